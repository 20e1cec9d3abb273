import {
  historyEntryBytes,
  type HistoryAppendResult,
  type HistoryCountFilter,
  type HistoryEntry,
  type HistoryFilter,
  type HistoryRetentionLimits,
  type MessageHistoryStore,
} from '../../ports/message-history-store.js';
import { defineScripts, type RedisClient } from './connection.js';
import type { RedisKeys } from './keys.js';

/** An entry as stored (JSON in the `e` hash): what the scripts need to drop it, then the rest. */
type Packed = [
  src: string,
  dst: string,
  bytes: number,
  id: string,
  kind: HistoryEntry['kind'],
  type: string,
  ts: number,
  payload: string,
];

/**
 * Lua: removes entry `m` (its JSON `j`) from the `e` hash and from every index, and takes its
 * bytes off the app's count. `base` is the app's history key prefix (the index keys are in the
 * same slot: same hash tag).
 */
const DROP = `
local function pairKey(base, src, dst) return base .. 'p:' .. string.len(src) .. ':' .. src .. ':' .. dst end
local function drop(base, m)
  local j = redis.call('HGET', base .. 'e', m)
  if not j then redis.call('ZREM', base .. 't', m) return 0 end
  local x = cjson.decode(j)
  redis.call('ZREM', base .. 't', m)
  redis.call('ZREM', base .. 's:' .. x[1], m)
  redis.call('ZREM', base .. 'd:' .. x[2], m)
  redis.call('ZREM', pairKey(base, x[1], x[2]), m)
  redis.call('HDEL', base .. 'e', m)
  return redis.call('DECRBY', base .. 'bytes', x[3])
end
`;

const SCRIPTS = {
  /**
   * KEYS: t, e, n, bytes, s:<src>, d:<dst>, p:<src,dst>; ARGV: ts, packed, bytes, cap, ttl ms,
   * base. Appends under the next sequence number (zero-padded: equal scores sort by member, so
   * equal timestamps keep append order), drops the oldest entries over the cap (never the new
   * one), and lets every key expire `ttl` after the app's last append (all its entries are older
   * than the ttl then).
   */
  messageHistAppend: {
    keys: 7,
    lua: `${DROP}
local seq = redis.call('INCR', KEYS[3])
local m = string.format('%016d', seq)
local ts = tonumber(ARGV[1])
redis.call('HSET', KEYS[2], m, ARGV[2])
redis.call('ZADD', KEYS[1], ts, m)
redis.call('ZADD', KEYS[5], ts, m)
redis.call('ZADD', KEYS[6], ts, m)
redis.call('ZADD', KEYS[7], ts, m)
local total = redis.call('INCRBY', KEYS[4], ARGV[3])
local cap = tonumber(ARGV[4])
local dropped = 0
while cap > 0 and total > cap do
  local olds = redis.call('ZRANGE', KEYS[1], 0, 63)
  local any = false
  for _, o in ipairs(olds) do
    if total <= cap then break end
    if o ~= m then
      any = true
      total = drop(ARGV[6], o)
      dropped = dropped + 1
    end
  end
  if not any then break end
end
for i = 1, 7 do redis.call('PEXPIRE', KEYS[i], ARGV[5]) end
return dropped`,
  },
  /** KEYS: an index, e; ARGV: min, max, offset, limit, 'asc'|'desc'. The entries' JSON, in order. */
  messageHistQuery: {
    keys: 2,
    lua: `local ids
if ARGV[5] == 'desc' then
  ids = redis.call('ZRANGE', KEYS[1], ARGV[2], ARGV[1], 'BYSCORE', 'REV', 'LIMIT', ARGV[3], ARGV[4])
else
  ids = redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'BYSCORE', 'LIMIT', ARGV[3], ARGV[4])
end
local out = {}
for _, m in ipairs(ids) do
  local j = redis.call('HGET', KEYS[2], m)
  if j then out[#out + 1] = j end
end
return out`,
  },
  /** KEYS: t; ARGV: before, base. Drops up to 512 entries older than `before`: [dropped, left]. */
  messageHistSweep: {
    keys: 1,
    lua: `${DROP}
local olds = redis.call('ZRANGE', KEYS[1], '-inf', '(' .. ARGV[1], 'BYSCORE', 'LIMIT', 0, 512)
for _, o in ipairs(olds) do drop(ARGV[2], o) end
return {#olds, redis.call('ZCARD', KEYS[1])}`,
  },
};

/**
 * The message history in Redis (cluster mode without `--postgres`), shared by every node. All of
 * an app's history is in one slot (hash tag `{a:<app>}`): the entries in a hash, one sorted set
 * by time for each filter a query can have (none, source, destination, both), so a query is one
 * range read and the cap one script. An append resolves when Redis answered it (durable as far
 * as the Redis deployment's persistence: AOF for history that must survive Redis itself;
 * docs/history.md).
 */
export class RedisMessageHistoryStore implements MessageHistoryStore {
  private readonly scripts;
  /** when this node last added each app to the sweeps' set */
  private readonly listed = new Map<string, number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.scripts = defineScripts(redis, SCRIPTS);
  }

  private index(appId: string, f: HistoryCountFilter): string {
    const { source: s, destination: d } = f;
    if (s !== undefined && d !== undefined) return this.keys.history(appId, pairPart(s, d));
    if (s !== undefined) return this.keys.history(appId, `s:${s}`);
    if (d !== undefined) return this.keys.history(appId, `d:${d}`);
    return this.keys.history(appId, 't');
  }

  async append(appId: string, e: HistoryEntry, limits: HistoryRetentionLimits): Promise<HistoryAppendResult> {
    const bytes = historyEntryBytes(e);
    const packed: Packed = [e.src, e.dst, bytes, e.id, e.kind, e.messageType, e.ts, e.payload];
    const k = (part: string) => this.keys.history(appId, part);
    const dropped = (await this.scripts.messageHistAppend(
      [k('t'), k('e'), k('n'), k('bytes'), k(`s:${e.src}`), k(`d:${e.dst}`), k(pairPart(e.src, e.dst))],
      [e.ts, JSON.stringify(packed), bytes, limits.maxBytesPerApp, Math.max(1, limits.ttlMs), k('')],
    )) as number;
    // The sweeps' set of apps, told at most once a minute per app (a sweep that took the app
    // out meanwhile only delays its next sweep: its keys expire on their own anyway).
    const now = Date.now();
    if ((this.listed.get(appId) ?? 0) < now - 60_000) {
      // Development mode admits any App ID: never remember an unbounded number of them.
      if (this.listed.size >= 10_000) this.listed.clear();
      this.listed.set(appId, now);
      await this.redis.sadd(this.keys.historyApps, appId);
    }
    return { dropped };
  }

  async query(appId: string, f: HistoryFilter): Promise<HistoryEntry[]> {
    const list = (await this.scripts.messageHistQuery(
      [this.index(appId, f), this.keys.history(appId, 'e')],
      [f.startMs, f.endMs, f.offset, f.limit, f.order],
    )) as string[];
    return list.map((j) => {
      const [src, dst, , id, kind, messageType, ts, payload] = JSON.parse(j) as Packed;
      return { id, src, dst, kind, messageType, ts, payload };
    });
  }

  async count(appId: string, f: HistoryCountFilter): Promise<number> {
    return this.redis.zcount(this.index(appId, f), f.startMs, f.endMs);
  }

  async sweep(before: number): Promise<number> {
    let n = 0;
    for (const appId of await this.redis.smembers(this.keys.historyApps)) {
      const t = this.keys.history(appId, 't');
      for (;;) {
        const [dropped, left] = (await this.scripts.messageHistSweep(
          [t],
          [before, this.keys.history(appId, '')],
        )) as [number, number];
        n += dropped;
        // An app without entries leaves the set (an append racing with this re-adds it; its keys
        // expire on their own anyway).
        if (left === 0) await this.redis.srem(this.keys.historyApps, appId);
        if (dropped < 512 || left === 0) break;
      }
    }
    return n;
  }
}

/** The index of (source, destination): the source's UTF-8 length first, so no two pairs share a key. */
const pairPart = (src: string, dst: string) => `p:${Buffer.byteLength(src, 'utf8')}:${src}:${dst}`;
