import type { RedisClient } from './connection.js';
import type { PresenceStore, SubscribeResult, Watcher } from '../../ports/presence-store.js';
import { defineScripts } from './connection.js';
import type { RedisKeys } from './keys.js';

const SCRIPTS = {
  /**
   * KEYS[1] the watcher session's target set; ARGV[1] max, ARGV[2..] targets.
   * → {ok 1|0, count}: adds the targets unless the set would exceed max.
   */
  presSubscribe: {
    keys: 1,
    lua: `local fresh = 0
local seen = {}
for i = 2, #ARGV do
  local t = ARGV[i]
  if not seen[t] then
    seen[t] = true
    if redis.call('SISMEMBER', KEYS[1], t) == 0 then fresh = fresh + 1 end
  end
end
local before = redis.call('SCARD', KEYS[1])
if before + fresh > tonumber(ARGV[1]) then return {0, before} end
if fresh == 0 then return {1, before} end
redis.call('SADD', KEYS[1], unpack(ARGV, 2))
return {1, before + fresh}`,
  },
  /** KEYS[1] the watcher session's target set → its members, and deletes it */
  presTakeAll: {
    keys: 1,
    lua: `local m = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return m`,
  },
};

/** `<sessionId>:<uid>`: the session id has no `:`, the uid may. */
const field = (uid: string, sessionId: string) => `${sessionId}:${uid}`;

/**
 * PresenceStore in Redis, kept in both directions like the memory one:
 * - per target user: a hash `watchers` of `<sessionId>:<uid>` → watcher node (the fan-out index:
 *   one HGETALL per status change);
 * - per watcher session: a set `watching:<sessionId>` of target ids (cap and clean-up).
 * The cap check is one script on the watcher's set; the target hashes live in other slots (one per
 * target), so they are written next, in the same pipeline.
 */
export class RedisPresenceStore implements PresenceStore {
  private readonly scripts;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.scripts = defineScripts(redis, SCRIPTS);
  }

  private watching(appId: string, uid: string, sessionId: string): string {
    return this.keys.user(appId, uid, `watching:${sessionId}`);
  }

  private watchers(appId: string, target: string): string {
    return this.keys.user(appId, target, 'watchers');
  }

  async subscribe(
    appId: string,
    watcher: Watcher,
    targets: readonly string[],
    max: number,
  ): Promise<SubscribeResult> {
    if (targets.length === 0) {
      const count = await this.redis.scard(this.watching(appId, watcher.uid, watcher.sessionId));
      return { ok: count <= max, count };
    }
    const [ok, count] = (await this.scripts.presSubscribe(
      [this.watching(appId, watcher.uid, watcher.sessionId)],
      [max, ...targets],
    )) as [number, number];
    if (!ok) return { ok: false, count };
    // Every target (not only new ones): idempotent, and it repairs an index a crash left half-written.
    const f = field(watcher.uid, watcher.sessionId);
    await Promise.all(
      [...new Set(targets)].map((t) => this.redis.hset(this.watchers(appId, t), f, watcher.nodeId)),
    );
    return { ok: true, count };
  }

  async unsubscribe(
    appId: string,
    uid: string,
    sessionId: string,
    targets: readonly string[],
  ): Promise<void> {
    if (targets.length === 0) return;
    const f = field(uid, sessionId);
    await Promise.all([
      this.redis.srem(this.watching(appId, uid, sessionId), ...targets),
      ...targets.map((t) => this.redis.hdel(this.watchers(appId, t), f)),
    ]);
  }

  async watchersOf(appId: string, target: string): Promise<Watcher[]> {
    const h = await this.redis.hgetall(this.watchers(appId, target));
    const out: Watcher[] = [];
    for (const k in h) {
      const i = k.indexOf(':');
      if (i > 0) out.push({ sessionId: k.slice(0, i), uid: k.slice(i + 1), nodeId: h[k]! });
    }
    return out;
  }

  async targetsOf(appId: string, uid: string, sessionId: string): Promise<string[]> {
    return this.redis.smembers(this.watching(appId, uid, sessionId));
  }

  async dropWatcher(appId: string, uid: string, sessionId: string): Promise<void> {
    const targets = (await this.scripts.presTakeAll([this.watching(appId, uid, sessionId)], [])) as string[];
    const f = field(uid, sessionId);
    await Promise.all(targets.map((t) => this.redis.hdel(this.watchers(appId, t), f)));
  }
}
