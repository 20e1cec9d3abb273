import type { Redis } from 'ioredis';
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
  /** KEYS[1] attrs; ARGV: k1, v1, ... → the whole set after. Keeps a scheduled drop. */
  caReplace: {
    keys: 1,
    lua: `local ttl = redis.call('PTTL', KEYS[1])
redis.call('DEL', KEYS[1])
if #ARGV > 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV))
  if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
end
return redis.call('HGETALL', KEYS[1])`,
  },
  /** KEYS[1] attrs; ARGV: max pairs, max bytes, k1, v1, ... → {1, k, v, ...} or {0} on overflow */
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
table.insert(out, 1, 1)
return out`,
  },
  /** KEYS[1] attrs; ARGV: keys → the whole set after */
  caRemove: {
    keys: 1,
    lua: `if #ARGV > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV)) end
return redis.call('HGETALL', KEYS[1])`,
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
    private readonly redis: Redis,
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
    return decodeFlat((await this.scripts.caReplace([this.k(appId, channelId)], args)) as unknown[]);
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
    return r[0] === 1 ? decodeFlat(r, 1) : 'overflow';
  }

  async remove(appId: string, channelId: string, keys: readonly string[]): Promise<ChannelAttribute[]> {
    return decodeFlat((await this.scripts.caRemove([this.k(appId, channelId)], [...keys])) as unknown[]);
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
    await this.redis.pexpireat(this.k(appId, channelId), at, 'LT');
  }

  async cancelDrop(appId: string, channelId: string): Promise<void> {
    await this.redis.persist(this.k(appId, channelId));
  }
}
