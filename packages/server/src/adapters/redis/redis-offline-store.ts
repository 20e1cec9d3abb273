import { createHash } from 'node:crypto';
import type { RedisClient } from './connection.js';
import type { OfflineMessage, OfflineStore, OfflineUsage, PutOnceResult } from '../../ports/offline-store.js';
import { defineScripts } from './connection.js';
import type { RedisKeys } from './keys.js';

/** Inboxes one purge round handles at once. */
const PURGE_BATCH = 500;

const SCRIPTS = {
  /** KEYS[1] inbox; ARGV: message ids → {removed, their event bytes} (an emptied inbox is deleted) */
  offRemove: {
    keys: 1,
    lua: `local want = {}
for i = 1, #ARGV do want[ARGV[i]] = true end
local del = {}
local bytes = 0
for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  if want[e[2][2]] then
    del[#del + 1] = e[1]
    bytes = bytes + string.len(e[2][8])
    -- a keyed message (field k, see offPutOnce): its key record learns that it was acked
    if e[2][9] == 'k' then
      local rk = string.sub(KEYS[1], 1, -6) .. 'sk:' .. e[2][10]
      local r = redis.call('GET', rk)
      if r then redis.call('SET', rk, string.sub(r, 1, -2) .. '1', 'KEEPTTL') end
    end
  end
end
if #del > 0 then redis.call('XDEL', KEYS[1], unpack(del)) end
if redis.call('XLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[1]) end
return {#del, bytes}`,
  },
  /**
   * KEYS[1] inbox, KEYS[2] its key record (`…}:sk:<hash>`, same slot); ARGV id, ts, from, event,
   * key ttl (ms), hash → nil when stored now (uncapped: the caller caps and counts it as `put`
   * does), else {record "<id>\n<ts>\n<acked 0|1>", stored 0|1}
   */
  offPutOnce: {
    keys: 2,
    lua: `local prior = redis.call('GET', KEYS[2])
if prior then
  local id = string.match(prior, '^([^\\n]*)')
  local stored = 0
  for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
    if e[2][2] == id then stored = 1 break end
  end
  return {prior, stored}
end
redis.call('SET', KEYS[2], ARGV[1] .. '\\n' .. ARGV[2] .. '\\n0', 'PX', ARGV[5])
redis.call('XADD', KEYS[1], '*', 'i', ARGV[1], 't', ARGV[2], 'f', ARGV[3], 'e', ARGV[4], 'k', ARGV[6])
return false`,
  },
  /** KEYS[1] inbox; ARGV[1] before (ms) → {removed, ts of the oldest left or -1, removed bytes} */
  offTrim: {
    keys: 1,
    lua: `local before = tonumber(ARGV[1])
local del = {}
local oldest = -1
local bytes = 0
for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  local ts = tonumber(e[2][4])
  if ts < before then del[#del + 1] = e[1]; bytes = bytes + string.len(e[2][8])
  elseif oldest < 0 or ts < oldest then oldest = ts end
end
if #del > 0 then redis.call('XDEL', KEYS[1], unpack(del)) end
if oldest < 0 then redis.call('DEL', KEYS[1]) end
return {#del, oldest, bytes}`,
  },
  /** KEYS[1] inbox; ARGV[1] max → {dropped, their event bytes}: the oldest beyond max go */
  offCap: {
    keys: 1,
    lua: `local over = redis.call('XLEN', KEYS[1]) - tonumber(ARGV[1])
if over <= 0 then return {0, 0} end
local del = {}
local bytes = 0
for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', over)) do
  del[#del + 1] = e[1]; bytes = bytes + string.len(e[2][8])
end
redis.call('XDEL', KEYS[1], unpack(del))
return {#del, bytes}`,
  },
};

/**
 * OfflineStore in Redis: one capped stream per receiver (`inbox`, `XADD MAXLEN` drops the oldest
 * first), entries `i` id, `t` ts, `f` sender, `e` the encoded event. A sorted set `{offline}:inboxes`
 * scores each inbox by its oldest message, so purges visit only inboxes holding expired messages.
 * Durability is Redis' own: run it with AOF (`appendfsync everysec` or `always`) so a message the
 * sender was told is cached survives a Redis restart.
 */
export class RedisOfflineStore implements OfflineStore {
  private readonly scripts;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.scripts = defineScripts(redis, SCRIPTS);
  }

  private inbox(appId: string, uid: string): string {
    return this.keys.user(appId, uid, 'inbox');
  }

  async put(appId: string, to: string, msg: OfflineMessage, maxPerUser: number): Promise<number> {
    const ev = this.bytes(msg.event);
    const inbox = this.inbox(appId, to);
    // One pipeline (auto-pipelining keeps the order): add, count it for the app, then cap the
    // inbox (a script, so what the cap drops is known and uncounted too).
    const usage = this.usageKey(appId);
    const [, , , , capped] = await Promise.all([
      this.redis.xadd(inbox, '*', 'i', msg.id, 't', String(msg.ts), 'f', msg.from, 'e', ev),
      // LT: the score stays the time of the inbox's oldest message.
      this.redis.zadd(this.keys.inboxes, 'LT', msg.ts, appId + to),
      this.redis.hincrby(usage, 'n', 1),
      this.redis.hincrby(usage, 'b', ev.byteLength),
      this.scripts.offCap([inbox], [Math.max(1, maxPerUser)]) as Promise<[number, number]>,
    ]);
    const [dropped, bytes] = capped;
    if (dropped > 0) await this.unaccount(appId, dropped, bytes);
    return dropped;
  }

  private usageKey(appId: string): string {
    return this.keys.app(appId, 'offline-usage');
  }

  /** Takes removed messages off their app's usage (a separate key: another slot in Redis Cluster). */
  private async unaccount(appId: string, messages: number, bytes: number): Promise<void> {
    if (messages <= 0) return;
    const k = this.usageKey(appId);
    await Promise.all([this.redis.hincrby(k, 'n', -messages), this.redis.hincrby(k, 'b', -bytes)]);
  }

  async putOnce(
    appId: string,
    to: string,
    msg: OfflineMessage,
    key: string,
    maxPerUser: number,
    keyTtlMs: number,
  ): Promise<PutOnceResult> {
    // Hashed: the part after the user's `}:` must hold no `}:` of its own (keys.ts), and uids may.
    const hash = createHash('sha256').update(msg.from).update('\n').update(key).digest('base64url');
    const inbox = this.inbox(appId, to);
    const [r] = await Promise.all([
      this.scripts.offPutOnce(
        [inbox, this.keys.user(appId, to, `sk:${hash}`)],
        [msg.id, msg.ts, msg.from, this.bytes(msg.event), Math.max(1, keyTtlMs), hash],
      ) as Promise<[string, number] | null>,
      this.redis.zadd(this.keys.inboxes, 'LT', msg.ts, appId + to),
    ]);
    if (r) {
      const [id, ts, acked] = r[0].split('\n');
      return { prior: { id: id!, ts: Number(ts), stored: r[1] === 1, acked: acked === '1' }, dropped: 0 };
    }
    // Stored: counted for the app and capped as `put` does (the usage key is in another slot).
    const usage = this.usageKey(appId);
    const [, , capped] = await Promise.all([
      this.redis.hincrby(usage, 'n', 1),
      this.redis.hincrby(usage, 'b', msg.event.byteLength),
      this.scripts.offCap([inbox], [Math.max(1, maxPerUser)]) as Promise<[number, number]>,
    ]);
    const [dropped, bytes] = capped;
    if (dropped > 0) await this.unaccount(appId, dropped, bytes);
    return { prior: null, dropped };
  }

  /** Key records expire by themselves (PX). */
  async purgeKeys(_before: number): Promise<number> {
    return 0;
  }

  private bytes(event: Uint8Array): Buffer {
    return Buffer.isBuffer(event) ? event : Buffer.from(event.buffer, event.byteOffset, event.byteLength);
  }

  async fetch(appId: string, uid: string, notBefore: number): Promise<OfflineMessage[]> {
    const raw = await this.redis.xrangeBuffer(this.inbox(appId, uid), '-', '+');
    const out: OfflineMessage[] = [];
    for (const [, f] of raw) {
      const ts = Number(f[3]!.toString());
      if (ts >= notBefore) out.push({ id: f[1]!.toString(), ts, from: f[5]!.toString(), event: f[7]! });
    }
    return out;
  }

  async remove(appId: string, uid: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const [n, bytes] = (await this.scripts.offRemove([this.inbox(appId, uid)], ids)) as [number, number];
    await this.unaccount(appId, n, bytes);
  }

  async purge(before: number): Promise<number> {
    let total = 0;
    for (;;) {
      const members = await this.redis.zrangebyscore(
        this.keys.inboxes,
        '-inf',
        `(${before}`,
        'LIMIT',
        0,
        PURGE_BATCH,
      );
      if (members.length === 0) return total;
      await Promise.all(
        members.map(async (m) => {
          // Members are `<appId><uid>`; App IDs are 32 characters.
          const key = this.inbox(m.slice(0, 32), m.slice(32));
          const [removed, oldest, bytes] = (await this.scripts.offTrim([key], [before])) as [
            number,
            number,
            number,
          ];
          total += removed;
          await this.unaccount(m.slice(0, 32), removed, bytes);
          if (oldest >= 0) await this.redis.zadd(this.keys.inboxes, oldest, m);
          else {
            await this.redis.zrem(this.keys.inboxes, m);
            // A put may have landed between the trim and the ZREM: index it again.
            if (await this.redis.exists(key)) await this.redis.zadd(this.keys.inboxes, 'LT', before, m);
          }
        }),
      );
    }
  }

  async count(appId: string, uid: string): Promise<number> {
    return this.redis.xlen(this.inbox(appId, uid));
  }

  async usage(appId: string): Promise<OfflineUsage> {
    const [n, b] = await this.redis.hmget(this.usageKey(appId), 'n', 'b');
    // Counted in steps (see put): never report less than nothing.
    return { messages: Math.max(0, Number(n ?? 0)), bytes: Math.max(0, Number(b ?? 0)) };
  }

  async senderCount(appId: string, from: string, windowMs: number, add: boolean): Promise<number> {
    const k = this.keys.user(appId, from, 'offline-sent');
    if (!add) return Number((await this.redis.get(k)) ?? 0);
    // NX: the window starts at the first message it counts and is not extended by later ones.
    const [n] = await Promise.all([this.redis.incr(k), this.redis.pexpire(k, windowMs, 'NX')]);
    return n;
  }
}
