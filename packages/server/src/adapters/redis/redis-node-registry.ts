import type { RedisClient } from './connection.js';
import type { NodeRegistry, SessionRef } from '../../ports/node-registry.js';
import type { SessionRecord } from '../../ports/session-store.js';
import { defineScripts } from './connection.js';
import { type RedisKeys, parseSessionMember, sessionMember } from './keys.js';
import type { RedisSessionStore } from './redis-session-store.js';

/** Lua: Redis' clock in ms (all liveness arithmetic uses it, so node clocks may differ). */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const SCRIPTS = {
  /**
   * KEYS: alive zset, my index, ghost index, epoch; ARGV: node id, dead ms, ghost id, epoch candidate.
   * → {status, ageMs, epoch}: status -1 = the id is in use by a live node; 1 = the leftovers of a
   * previous run of this id were moved to the ghost id (the reapers end them); 0 = clean.
   */
  nodeJoin: {
    keys: 4,
    lua: `${NOW}
redis.call('SET', KEYS[4], ARGV[4], 'NX')
local epoch = redis.call('GET', KEYS[4])
local last = redis.call('ZSCORE', KEYS[1], ARGV[1])
if last and now - tonumber(last) < tonumber(ARGV[2]) then return {-1, now - tonumber(last), epoch} end
local moved = 0
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('RENAME', KEYS[2], KEYS[3])
  redis.call('ZADD', KEYS[1], last or 0, ARGV[3])
  moved = 1
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
return {moved, 0, epoch}`,
  },
  /**
   * KEYS: alive zset, epoch; ARGV: node id, epoch candidate.
   * → {age of my previous beat in ms (-1 = I was not registered), epoch}
   */
  nodeBeat: {
    keys: 2,
    lua: `${NOW}
redis.call('SET', KEYS[2], ARGV[2], 'NX')
local last = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now, ARGV[1])
return {last and (now - tonumber(last)) or -1, redis.call('GET', KEYS[2])}`,
  },
  /** KEYS: alive zset; ARGV: dead ms → {now, id1, lastSeen1, id2, lastSeen2, ...} */
  nodeDead: {
    keys: 1,
    lua: `${NOW}
local r = redis.call('ZRANGE', KEYS[1], '-inf', now - tonumber(ARGV[1]), 'BYSCORE', 'WITHSCORES')
table.insert(r, 1, now)
return r`,
  },
  /** KEYS: alive zset; ARGV: node id → ms since its last beat, -1 if not registered */
  nodeAge: {
    keys: 1,
    lua: `${NOW}
local last = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not last then return -1 end
return now - tonumber(last)`,
  },
  /** KEYS: alive zset, dead node's index, its lock; ARGV: node id, dead ms → 1 when removed */
  nodeForget: {
    keys: 3,
    lua: `${NOW}
if redis.call('SCARD', KEYS[2]) > 0 then return 0 end
local last = redis.call('ZSCORE', KEYS[1], ARGV[1])
if last and now - tonumber(last) < tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[3])
return 1`,
  },
  /** KEYS: alive zset, my index; ARGV: node id → leaves the registry unless sessions are left to reap */
  nodeLeave: {
    keys: 2,
    lua: `if redis.call('SCARD', KEYS[2]) > 0 then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
return 1`,
  },
};

/**
 * The node registry's storage in Redis (the liveness logic over it: cluster/node-liveness.ts).
 * Heartbeats are scores of `{nodes}:alive` in Redis' clock; each node's sessions are a set
 * (`nodeSessions`) its session store keeps; a dead node's cleanup is held with a lock key.
 */
export class RedisNodeRegistry implements NodeRegistry {
  private readonly scripts;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly sessions: RedisSessionStore,
  ) {
    this.scripts = defineScripts(redis, SCRIPTS);
  }

  private get epochKey(): string {
    return `${this.keys.prefix}:{nodes}:epoch`;
  }

  async join(nodeId: string, deadMs: number, ghostId: string, epochCandidate: string) {
    const [status, ageMs, epoch] = (await this.scripts.nodeJoin(
      [this.keys.nodes, this.keys.nodeSessions(nodeId), this.keys.nodeSessions(ghostId), this.epochKey],
      [nodeId, deadMs, ghostId, epochCandidate],
    )) as [-1 | 0 | 1, number, string];
    return { status, ageMs, epoch };
  }

  async beat(nodeId: string, epochCandidate: string) {
    const [ageMs, epoch] = (await this.scripts.nodeBeat(
      [this.keys.nodes, this.epochKey],
      [nodeId, epochCandidate],
    )) as [number, string];
    return { ageMs, epoch };
  }

  async dead(deadMs: number) {
    const r = (await this.scripts.nodeDead([this.keys.nodes], [deadMs])) as Array<string | number>;
    const nodes: Array<{ nodeId: string; lastSeen: number }> = [];
    for (let i = 1; i + 1 < r.length; i += 2)
      nodes.push({ nodeId: String(r[i]), lastSeen: Number(r[i + 1]) });
    return { now: Number(r[0]), nodes };
  }

  async age(nodeId: string): Promise<number> {
    return (await this.scripts.nodeAge([this.keys.nodes], [nodeId])) as number;
  }

  async forget(nodeId: string, deadMs: number): Promise<void> {
    await this.scripts.nodeForget(
      [this.keys.nodes, this.keys.nodeSessions(nodeId), this.keys.reapLock(nodeId)],
      [nodeId, deadMs],
    );
  }

  async leave(nodeId: string): Promise<void> {
    await this.scripts.nodeLeave([this.keys.nodes, this.keys.nodeSessions(nodeId)], [nodeId]);
  }

  async lockCleanup(nodeId: string, owner: string, leaseMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.reapLock(nodeId), owner, 'PX', leaseMs, 'NX')) === 'OK';
  }

  async extendCleanup(nodeId: string, leaseMs: number): Promise<void> {
    await this.redis.pexpire(this.keys.reapLock(nodeId), leaseMs);
  }

  async unlockCleanup(nodeId: string): Promise<void> {
    await this.redis.del(this.keys.reapLock(nodeId));
  }

  async *entries(nodeId: string, batch: number): AsyncGenerator<string[]> {
    let cursor = '0';
    do {
      const [next, got] = await this.redis.sscan(this.keys.nodeSessions(nodeId), cursor, 'COUNT', batch);
      cursor = next;
      if (got.length) yield got;
    } while (cursor !== '0');
  }

  someEntries(nodeId: string, n: number): Promise<string[]> {
    return this.redis.srandmember(this.keys.nodeSessions(nodeId), n);
  }

  async move(from: string, to: string, entry: string): Promise<boolean> {
    return (await this.redis.smove(this.keys.nodeSessions(from), this.keys.nodeSessions(to), entry)) === 1;
  }

  async remove(nodeId: string, entry: string): Promise<void> {
    await this.redis.srem(this.keys.nodeSessions(nodeId), entry);
  }

  async contains(nodeId: string, sessions: SessionRef[]): Promise<boolean[]> {
    const present = (await this.redis.smismember(
      this.keys.nodeSessions(nodeId),
      ...sessions.map((s) => sessionMember(s.appId, s.sessionId, s.uid)),
    )) as number[];
    return present.map((p) => p === 1);
  }

  parse(entry: string): SessionRef | null {
    return parseSessionMember(entry);
  }

  restore(appId: string, uid: string, rec: SessionRecord): Promise<void> {
    return this.sessions.restore(appId, uid, rec);
  }
}
