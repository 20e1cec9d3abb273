import type { RedisClient } from './connection.js';
import { utf8Length } from '@parley/protocol';
import type {
  ChannelAttribute,
  ChannelAttrTotals,
  ChannelAttrsStore,
} from '../../ports/channel-attrs-store.js';
import { defineScripts } from './connection.js';
import type { RedisKeys } from './keys.js';

/** Lua: the byte size an encoded attribute counts for (its `<bytes>|` prefix). */
const SIZE = `local function size(v) return tonumber(string.match(v, '^(%d+)|')) end`;

const SCRIPTS = {
  /** KEYS[1] attrs; ARGV: k1, v1, ... → {drop time or -1/-2, the whole set after}. Keeps a scheduled drop. */
  caReplace: {
    keys: 1,
    lua: `local at = redis.call('PEXPIRETIME', KEYS[1])
redis.call('DEL', KEYS[1])
if #ARGV > 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV))
  if at > 0 then redis.call('PEXPIREAT', KEYS[1], at) end
end
local out = redis.call('HGETALL', KEYS[1])
table.insert(out, 1, at)
return out`,
  },
  /** KEYS[1] attrs; ARGV: max pairs, max bytes, k1, v1, ... → {1, drop time, k, v, ...} or {0} on overflow */
  caUpsert: {
    keys: 1,
    lua: `${SIZE}
local cur = redis.call('HGETALL', KEYS[1])
local sizes = {}
local count = 0
for i = 1, #cur, 2 do sizes[cur[i]] = size(cur[i + 1]); count = count + 1 end
for i = 3, #ARGV, 2 do
  if sizes[ARGV[i]] == nil then count = count + 1 end
  sizes[ARGV[i]] = size(ARGV[i + 1])
end
local total = 0
for _, b in pairs(sizes) do total = total + b end
if count > tonumber(ARGV[1]) or total > tonumber(ARGV[2]) then return {0} end
if #ARGV > 2 then redis.call('HSET', KEYS[1], unpack(ARGV, 3)) end
local out = redis.call('HGETALL', KEYS[1])
table.insert(out, 1, redis.call('PEXPIRETIME', KEYS[1]))
table.insert(out, 1, 1)
return out`,
  },
  /** KEYS[1] attrs; ARGV: keys → {drop time before, the whole set after} */
  caRemove: {
    keys: 1,
    lua: `local at = redis.call('PEXPIRETIME', KEYS[1])
if #ARGV > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV)) end
local out = redis.call('HGETALL', KEYS[1])
table.insert(out, 1, at)
return out`,
  },
  /** KEYS[1] attrs; ARGV[1] drop time → {drop time in force, Σ bytes} or {-1, 0} without attributes */
  caSchedule: {
    keys: 1,
    lua: `${SIZE}
if redis.call('PEXPIREAT', KEYS[1], ARGV[1], 'LT') == 0 and redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
local total = 0
for i, v in ipairs(redis.call('HVALS', KEYS[1])) do total = total + size(v) end
return {redis.call('PEXPIRETIME', KEYS[1]), total}`,
  },
  /**
   * The per-app ledger of attributes on channels without members. KEYS: [1] zset channel → drop
   * time, [2] hash channel → bytes, [3] the total. ARGV: now, channel ('' = none), bytes (-1 =
   * take it off), drop time. Drops that came due are taken off first (100 per call). → the total.
   */
  caLedger: {
    keys: 3,
    lua: `local due = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, 100)
for _, c in ipairs(due) do
  redis.call('DECRBY', KEYS[3], tonumber(redis.call('HGET', KEYS[2], c) or '0'))
  redis.call('HDEL', KEYS[2], c)
  redis.call('ZREM', KEYS[1], c)
end
if ARGV[2] ~= '' then
  local old = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
  local bytes = tonumber(ARGV[3])
  if bytes < 0 then
    redis.call('HDEL', KEYS[2], ARGV[2])
    redis.call('ZREM', KEYS[1], ARGV[2])
    redis.call('DECRBY', KEYS[3], old)
  else
    redis.call('HSET', KEYS[2], ARGV[2], bytes)
    redis.call('ZADD', KEYS[1], ARGV[4], ARGV[2])
    redis.call('INCRBY', KEYS[3], bytes - old)
  end
end
return tonumber(redis.call('GET', KEYS[3]) or '0')`,
  },
};

/** `<bytes>|[value, lastUpdateUserId, lastUpdateTs]`; bytes = UTF-8 size of key + value (the limit's measure). */
const encode = (a: ChannelAttribute) =>
  `${utf8Length(a.key) + utf8Length(a.value)}|${JSON.stringify([a.value, a.lastUpdateUserId, a.lastUpdateTs])}`;

function decode(key: string, v: string): ChannelAttribute {
  const [value, lastUpdateUserId, lastUpdateTs] = JSON.parse(v.slice(v.indexOf('|') + 1)) as [
    string,
    string,
    number,
  ];
  return { key, value, lastUpdateUserId, lastUpdateTs };
}

function decodeFlat(flat: unknown[], from = 0): ChannelAttribute[] {
  const out: ChannelAttribute[] = [];
  for (let i = from; i + 1 < flat.length; i += 2) out.push(decode(String(flat[i]), String(flat[i + 1])));
  return out;
}

/**
 * ChannelAttrsStore in Redis: one hash per channel, key → encoded attribute (Redis keeps small
 * hashes in insertion order, as the memory store's Map does). Writes are scripts, so each is
 * atomic and answers the full set. A scheduled drop is the hash's expiry (`PEXPIREAT ... LT`
 * keeps an earlier one; `PERSIST` cancels), so no node has to be alive to carry it out.
 */
export class RedisChannelAttrsStore implements ChannelAttrsStore {
  private readonly scripts;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.scripts = defineScripts(redis, SCRIPTS);
  }

  private k(appId: string, channelId: string): string {
    return this.keys.channel(appId, channelId, 'attrs');
  }

  async replace(appId: string, channelId: string, attrs: ChannelAttribute[]): Promise<ChannelAttribute[]> {
    const args: string[] = [];
    for (const a of attrs) args.push(a.key, encode(a));
    const r = (await this.scripts.caReplace([this.k(appId, channelId)], args)) as unknown[];
    const after = decodeFlat(r, 1);
    await this.ledgerAfterWrite(appId, channelId, Number(r[0]), after);
    return after;
  }

  /**
   * After a write to a channel with a drop scheduled (no members): its bytes in the app's ledger
   * (a separate key: another slot in Redis Cluster, so a step of its own). Others cost nothing.
   */
  private async ledgerAfterWrite(
    appId: string,
    channelId: string,
    dropAt: number,
    after: ChannelAttribute[],
  ): Promise<void> {
    if (dropAt <= 0) return;
    let bytes = 0;
    for (const a of after) bytes += utf8Length(a.key) + utf8Length(a.value);
    await this.ledger(appId, channelId, after.length === 0 ? -1 : bytes, dropAt);
  }

  private ledger(appId: string, channelId: string, bytes: number, dropAt: number): Promise<number> {
    const k = this.keys;
    return this.scripts.caLedger(
      [k.app(appId, 'empty-attrs'), k.app(appId, 'empty-attr-bytes'), k.app(appId, 'empty-attrs-total')],
      [Date.now(), channelId, bytes, dropAt],
    ) as Promise<number>;
  }

  async upsert(
    appId: string,
    channelId: string,
    attrs: ChannelAttribute[],
    limits: ChannelAttrTotals,
  ): Promise<ChannelAttribute[] | 'overflow'> {
    const args: Array<string | number> = [limits.maxPairs, limits.maxTotalBytes];
    for (const a of attrs) args.push(a.key, encode(a));
    const r = (await this.scripts.caUpsert([this.k(appId, channelId)], args)) as unknown[];
    if (r[0] !== 1) return 'overflow';
    const after = decodeFlat(r, 2);
    await this.ledgerAfterWrite(appId, channelId, Number(r[1]), after);
    return after;
  }

  async remove(appId: string, channelId: string, keys: readonly string[]): Promise<ChannelAttribute[]> {
    const r = (await this.scripts.caRemove([this.k(appId, channelId)], [...keys])) as unknown[];
    const after = decodeFlat(r, 1);
    await this.ledgerAfterWrite(appId, channelId, Number(r[0]), after);
    return after;
  }

  async get(appId: string, channelId: string): Promise<ChannelAttribute[]> {
    // The flat reply keeps Redis' order (an object would put numeric-looking keys first).
    return decodeFlat((await this.redis.call('HGETALL', this.k(appId, channelId))) as unknown[]);
  }

  async getByKeys(appId: string, channelId: string, keys: readonly string[]): Promise<ChannelAttribute[]> {
    const uniq = [...new Set(keys)];
    if (uniq.length === 0) return [];
    const vals = await this.redis.hmget(this.k(appId, channelId), ...uniq);
    const out: ChannelAttribute[] = [];
    vals.forEach((v, i) => {
      if (v !== null) out.push(decode(uniq[i]!, v));
    });
    return out;
  }

  async scheduleDrop(appId: string, channelId: string, at: number): Promise<void> {
    // LT: an earlier drop stays; a key without attributes does not exist, so nothing happens.
    const [dropAt, bytes] = (await this.scripts.caSchedule([this.k(appId, channelId)], [at])) as [
      number,
      number,
    ];
    if (dropAt > 0) await this.ledger(appId, channelId, bytes, dropAt);
  }

  async cancelDrop(appId: string, channelId: string): Promise<void> {
    // 1 only when a drop was scheduled: a join to a channel that has members costs nothing more.
    if ((await this.redis.persist(this.k(appId, channelId))) === 1)
      await this.ledger(appId, channelId, -1, 0);
  }

  async emptyBytes(appId: string): Promise<number> {
    return Math.max(0, await this.ledger(appId, '', 0, 0));
  }
}
