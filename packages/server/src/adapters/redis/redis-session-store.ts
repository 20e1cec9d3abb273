import type { RedisClient } from './connection.js';
import type { SessionRecord, SessionStore } from '../../ports/session-store.js';
import { defineScripts } from './connection.js';
import { type RedisKeys, sessionMember } from './keys.js';

/**
 * A registry entry is one string, `<O|U>|<sessionId>|<nodeId>` (the node id goes last: it is the
 * only part that may contain `|`). A string keeps GET/SET single commands and the compare-and-set
 * scripts short.
 */
const encode = (r: SessionRecord) => `${r.state === 'ONLINE' ? 'O' : 'U'}|${r.sessionId}|${r.nodeId}`;

function decode(v: string | null): SessionRecord | null {
  if (v === null) return null;
  const a = v.indexOf('|');
  const b = v.indexOf('|', a + 1);
  if (a !== 1 || b < 0) return null;
  return {
    state: v[0] === 'O' ? 'ONLINE' : 'UNREACHABLE',
    sessionId: v.slice(a + 1, b),
    nodeId: v.slice(b + 1),
  };
}

/** Lua: the session id of an entry (between the first two `|`). */
const SID = `local function sid(v)
  local a = string.find(v, '|', 1, true)
  local b = string.find(v, '|', a + 1, true)
  return string.sub(v, a + 1, b - 1), a
end`;

const SCRIPTS = {
  /** KEYS[1] entry; ARGV[1] session id, ARGV[2] state letter → 1 if it was still that session's and the state changed */
  sessSetState: {
    keys: 1,
    lua: `${SID}
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local s, a = sid(v)
if s ~= ARGV[1] or string.sub(v, 1, 1) == ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[2] .. string.sub(v, a))
return 1`,
  },
  /** KEYS[1] entry; ARGV[1] session id → 1 if removed */
  sessRelease: {
    keys: 1,
    lua: `${SID}
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if sid(v) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`,
  },
  /** KEYS[1] entry; ARGV[1] record → 1 if set (only when the user has no entry at all) */
  sessRestore: {
    keys: 1,
    lua: `return redis.call('SET', KEYS[1], ARGV[1], 'NX') and 1 or 0`,
  },
};

/**
 * The cluster-wide session registry in Redis: one key per (app, uid) holding the live session's
 * node, id and state. Next to it, each node keeps the set of sessions it holds
 * (`{nodes}:idx:<node>`), written before the registry entry and removed after it, so that when a
 * node dies the survivors know exactly which sessions to end (see RedisNodeRegistry). The two live
 * in different hash slots, so they are separate commands sent in one pipeline.
 */
export class RedisSessionStore implements SessionStore {
  private readonly scripts;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly nodeId: string,
  ) {
    this.scripts = defineScripts(redis, SCRIPTS);
  }

  private key(appId: string, uid: string): string {
    return this.keys.user(appId, uid, 'sess');
  }

  async claim(appId: string, uid: string, rec: SessionRecord): Promise<SessionRecord | null> {
    // Index first: if this node dies between the two, the survivors find an index entry without a
    // registry entry and just end it; the reverse would leave a registry entry nobody cleans up.
    const [, prev] = await Promise.all([
      this.redis.sadd(this.keys.nodeSessions(rec.nodeId), sessionMember(appId, rec.sessionId, uid)),
      this.redis.set(this.key(appId, uid), encode(rec), 'GET'),
    ]);
    return decode(prev);
  }

  async lookup(appId: string, uid: string): Promise<SessionRecord | null> {
    return decode(await this.redis.get(this.key(appId, uid)));
  }

  async lookupMany(appId: string, uids: string[]): Promise<(SessionRecord | null)[]> {
    // One GET per user (their keys are in different slots); auto-pipelining sends them as one write.
    const vals = await Promise.all(uids.map((u) => this.redis.get(this.key(appId, u))));
    return vals.map(decode);
  }

  async setState(
    appId: string,
    uid: string,
    sessionId: string,
    state: SessionRecord['state'],
  ): Promise<boolean> {
    return (
      (await this.scripts.sessSetState(
        [this.key(appId, uid)],
        [sessionId, state === 'ONLINE' ? 'O' : 'U'],
      )) === 1
    );
  }

  async release(appId: string, uid: string, sessionId: string): Promise<boolean> {
    // The session ends whether or not it was still the user's (a newer login may have replaced
    // it), so its index entry goes either way.
    const [r] = await Promise.all([
      this.scripts.sessRelease([this.key(appId, uid)], [sessionId]),
      this.redis.srem(this.keys.nodeSessions(this.nodeId), sessionMember(appId, sessionId, uid)),
    ]);
    return r === 1;
  }

  async markReplaced(appId: string, uid: string, sessionId: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.user(appId, uid, `replaced:${sessionId}`), '1', 'PX', Math.max(1, ttlMs));
  }

  async wasReplaced(appId: string, uid: string, sessionId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.user(appId, uid, `replaced:${sessionId}`))) === 1;
  }

  /**
   * Puts a live local session back after Redis lost its data (restart without persistence): the
   * index entry always, the registry entry unless a newer login took the user meanwhile.
   */
  async restore(appId: string, uid: string, rec: SessionRecord): Promise<void> {
    await Promise.all([
      this.redis.sadd(this.keys.nodeSessions(rec.nodeId), sessionMember(appId, rec.sessionId, uid)),
      this.scripts.sessRestore([this.key(appId, uid)], [encode(rec)]),
    ]);
  }
}
