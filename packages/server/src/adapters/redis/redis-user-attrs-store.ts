import type { RedisClient } from './connection.js';
import type { UserAttrsRecord, UserAttrsStore } from '../../ports/user-attrs-store.js';
import { defineScripts } from './connection.js';
import type { RedisKeys } from './keys.js';

const SCRIPTS = {
  /** KEYS: attrs hash, owner; ARGV: keys wanted (none = all) → {owner, k1, v1, ...} or nil */
  uaGet: {
    keys: 2,
    lua: `local owner = redis.call('GET', KEYS[2])
if not owner then return false end
local out = {owner}
if #ARGV == 0 then
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all do out[#out + 1] = all[i] end
else
  local vals = redis.call('HMGET', KEYS[1], unpack(ARGV))
  for i = 1, #ARGV do
    if vals[i] then out[#out + 1] = ARGV[i]; out[#out + 1] = vals[i] end
  end
end
return out`,
  },
  /** KEYS: attrs hash, owner; ARGV: session id, k1, v1, ... (none: remove if owned) */
  uaPut: {
    keys: 2,
    lua: `if #ARGV == 1 then
  if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[1], KEYS[2]) end
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('SET', KEYS[2], ARGV[1])
return 1`,
  },
  /** KEYS: attrs hash, owner; ARGV: session id → removes both if that session owns them */
  uaDrop: {
    keys: 2,
    lua: `if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[1], KEYS[2]) return 1 end
return 0`,
  },
};

/**
 * UserAttrsStore in Redis: per user a hash `attrs` (key → value, in insertion order as Redis keeps
 * small hashes) and a string `attrs-owner` (the owning session). Both share the user's hash slot,
 * so each operation is one script.
 */
export class RedisUserAttrsStore implements UserAttrsStore {
  private readonly scripts;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.scripts = defineScripts(redis, SCRIPTS);
  }

  private k(appId: string, uid: string): string[] {
    return [this.keys.user(appId, uid, 'attrs'), this.keys.user(appId, uid, 'attrs-owner')];
  }

  async get(appId: string, uid: string, keys?: readonly string[]): Promise<UserAttrsRecord | null> {
    if (keys && keys.length === 0) {
      const owner = await this.redis.get(this.keys.user(appId, uid, 'attrs-owner'));
      return owner === null ? null : { sessionId: owner, attrs: new Map() };
    }
    const r = (await this.scripts.uaGet(this.k(appId, uid), keys ? [...new Set(keys)] : [])) as
      | string[]
      | null;
    if (!r) return null;
    const attrs = new Map<string, string>();
    for (let i = 1; i + 1 < r.length; i += 2) attrs.set(r[i]!, r[i + 1]!);
    return { sessionId: r[0]!, attrs };
  }

  async put(
    appId: string,
    uid: string,
    sessionId: string,
    attrs: ReadonlyMap<string, string>,
  ): Promise<void> {
    const args: string[] = [sessionId];
    for (const [k, v] of attrs) args.push(k, v);
    await this.scripts.uaPut(this.k(appId, uid), args);
  }

  async drop(appId: string, uid: string, sessionId: string): Promise<void> {
    await this.scripts.uaDrop(this.k(appId, uid), [sessionId]);
  }
}
