import { randomBytes } from 'node:crypto';
import type { RedisClient } from './connection.js';
import type { Logger } from '../../logger.js';
import { defineScripts } from './connection.js';
import { type RedisKeys, parseSessionMember, sessionMember } from './keys.js';
import type { RedisSessionStore } from './redis-session-store.js';

/** What the node registry needs from the session layer (wired in server.ts). */
export interface ClusterHooks {
  /**
   * Ends a session that lived on a dead node: runs its sessionEnd hooks on this node. Called
   * exactly once per session cluster-wide (each session is claimed with an atomic SMOVE).
   */
  endForeign(appId: string, uid: string, sessionId: string): Promise<void>;
  /**
   * A session of a node just found dead is now UNREACHABLE in the registry: runs its
   * sessionDetached hooks on this node (presence tells its watchers), as a dropped socket would.
   */
  detachForeign(appId: string, uid: string, sessionId: string): Promise<void>;
  /** This node's live sessions, to put back into Redis after it lost its data. */
  localSessions(): Iterable<{ appId: string; uid: string; sessionId: string; online: boolean }>;
  /** Forgets a local session the survivors already ended (this node had been presumed dead). */
  evict(appId: string, uid: string, sessionId: string): void;
}

export interface NodeRegistryOptions {
  nodeId: string;
  /** heartbeat period, ms; a node is dead after 3 periods without one */
  heartbeatMs: number;
  /** the session grace period, ms: a dead node's sessions end this long after its last beat */
  sessionGraceMs: number;
}

/** Sessions a reaper claims and ends at once. */
const REAP_BATCH = 100;

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
 * Node liveness and dead-node cleanup in Redis.
 *
 * Every node writes a heartbeat (Redis clock) into `{nodes}:alive` each `heartbeatMs`. A node with
 * no beat for 3 periods is dead. A survivor claims the cleanup with `SET {nodes}:reap:<node> NX`,
 * marks the dead node's sessions UNREACHABLE, waits for the grace period (from now), checks
 * the node is still silent, then ends each session listed in the dead node's index: it moves the
 * entry into its own index with SMOVE (atomic: one survivor gets each entry, and if that survivor
 * dies too the entry is in its index and is reaped with it), runs the session-end path
 * (`endForeign`), and removes the entry. The dead node leaves the registry when its index is empty.
 *
 * A node that finds it was presumed dead (its entry gone, or older than the dead threshold) evicts
 * the local sessions the survivors ended. A node that finds Redis lost its data (the epoch key
 * changed) writes its sessions back.
 */
export class RedisNodeRegistry {
  private readonly scripts;
  private readonly deadMs: number;
  /** A new random epoch: whoever finds the epoch key gone (Redis lost its data) sets one. */
  private get epochCandidate(): string {
    return randomBytes(8).toString('hex');
  }
  private epoch: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private hooks: ClusterHooks | null = null;
  /** local time since which every heartbeat succeeded (null: the last one failed) */
  private healthySince: number | null = null;
  private beatFailing = false;
  /** beats left on which to look for local sessions the survivors ended */
  private evictChecks = 0;
  /** dead nodes this node is cleaning up */
  private readonly reaping = new Map<string, NodeJS.Timeout | null>();
  private stopped = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly sessions: RedisSessionStore,
    private readonly opts: NodeRegistryOptions,
    private readonly log: Logger,
  ) {
    this.scripts = defineScripts(redis, SCRIPTS);
    this.deadMs = opts.heartbeatMs * 3;
  }

  private get epochKey(): string {
    return `${this.keys.prefix}:{nodes}:epoch`;
  }

  /**
   * Registers this node (waiting up to two dead periods if a node with the same id still beats:
   * a restart right after a crash) and starts heartbeating and watching the other nodes.
   */
  async start(hooks: ClusterHooks): Promise<void> {
    this.hooks = hooks;
    const { nodeId } = this.opts;
    const deadline = Date.now() + 2 * this.deadMs + this.opts.heartbeatMs;
    for (;;) {
      const ghost = `${nodeId}~${Date.now().toString(36)}`;
      const [status, age, epoch] = (await this.scripts.nodeJoin(
        [this.keys.nodes, this.keys.nodeSessions(nodeId), this.keys.nodeSessions(ghost), this.epochKey],
        [nodeId, this.deadMs, ghost, this.epochCandidate],
      )) as [number, number, string];
      if (status === 1)
        this.log.warn(
          { node: nodeId, ghost },
          'sessions of a previous run of this node id are left; they will be ended',
        );
      if (status !== -1) {
        this.epoch = epoch;
        break;
      }
      if (Date.now() > deadline)
        throw new Error(`node id ${nodeId} is in use: a node with this id heartbeated ${age} ms ago`);
      await new Promise((r) => setTimeout(r, this.opts.heartbeatMs));
    }
    this.healthySince = Date.now();
    this.timer = setInterval(() => void this.tick(), this.opts.heartbeatMs);
    this.timer.unref();
  }

  /** Stops heartbeating; leaves the registry when no session is left to clean up (graceful stop). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const t of this.reaping.values()) if (t) clearTimeout(t);
    this.reaping.clear();
    await this.scripts
      .nodeLeave([this.keys.nodes, this.keys.nodeSessions(this.opts.nodeId)], [this.opts.nodeId])
      .catch((e) => this.log.warn({ err: e }, 'could not leave the node registry; survivors will clean up'));
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      await this.beat();
    } catch (e) {
      if (!this.beatFailing) this.log.error({ err: e }, 'node heartbeat failed');
      this.beatFailing = true;
      this.healthySince = null;
      this.ticking = false;
      return;
    }
    try {
      if (this.healthySince !== null && Date.now() - this.healthySince >= this.deadMs) await this.findDead();
    } catch (e) {
      this.log.warn({ err: e }, 'looking for dead nodes failed');
    } finally {
      this.ticking = false;
    }
  }

  private async beat(): Promise<void> {
    const { nodeId } = this.opts;
    const [age, epoch] = (await this.scripts.nodeBeat(
      [this.keys.nodes, this.epochKey],
      [nodeId, this.epochCandidate],
    )) as [number, string];
    if (this.beatFailing) this.log.warn('node heartbeat restored');
    this.beatFailing = false;
    this.healthySince ??= Date.now();
    if (epoch !== this.epoch) {
      this.log.warn('Redis lost its data (restart without persistence?): writing this node’s sessions back');
      await this.restoreSessions();
      // Only once all are back: the shards of a Redis Cluster return one by one, and a beat whose
      // write-back failed tries again on the next one (the writes are idempotent).
      this.epoch = epoch;
    } else if (age === -1 || age >= this.deadMs) {
      this.log.warn(
        { silentMs: age },
        'this node was silent long enough to be presumed dead; reconciling its sessions with the survivors',
      );
      // Check again on the next beats too: a survivor that began its cleanup just before this beat
      // may still be ending sessions.
      this.evictChecks = 3;
    }
    if (this.evictChecks > 0) {
      this.evictChecks--;
      await this.reconcileAfterSilence();
    }
  }

  private async restoreSessions(): Promise<void> {
    const { nodeId } = this.opts;
    const ops: Promise<void>[] = [];
    for (const s of this.hooks?.localSessions() ?? [])
      ops.push(
        this.sessions.restore(s.appId, s.uid, {
          nodeId,
          sessionId: s.sessionId,
          state: s.online ? 'ONLINE' : 'UNREACHABLE',
        }),
      );
    await Promise.all(ops);
  }

  /**
   * After this node was silent past the dead threshold: drops the local sessions a survivor
   * already ended (their index entries are gone) and restores the registry state of the others.
   */
  private async reconcileAfterSilence(): Promise<void> {
    const local = [...(this.hooks?.localSessions() ?? [])];
    if (local.length === 0) return;
    const idx = this.keys.nodeSessions(this.opts.nodeId);
    const present = (await this.redis.smismember(
      idx,
      ...local.map((s) => sessionMember(s.appId, s.sessionId, s.uid)),
    )) as number[];
    const kept: Promise<boolean>[] = [];
    local.forEach((s, i) => {
      if (!present[i]) this.hooks?.evict(s.appId, s.uid, s.sessionId);
      // A survivor that found this node dead marked its sessions UNREACHABLE: put their state back.
      else
        kept.push(this.sessions.setState(s.appId, s.uid, s.sessionId, s.online ? 'ONLINE' : 'UNREACHABLE'));
    });
    await Promise.all(kept);
  }

  private async findDead(): Promise<void> {
    const r = (await this.scripts.nodeDead([this.keys.nodes], [this.deadMs])) as Array<string | number>;
    for (let i = 1; i + 1 < r.length; i += 2) {
      const node = String(r[i]);
      const lastSeen = Number(r[i + 1]);
      if (node === this.opts.nodeId || this.reaping.has(node)) continue;
      await this.claim(node, lastSeen, Number(r[0]));
    }
  }

  /** Takes the cleanup of a dead node if no other survivor has it, and schedules it. */
  private async claim(node: string, lastSeen: number, now: number): Promise<void> {
    // The grace period counts from when the node was found dead: never earlier than a dropped
    // socket's grace on a live node would end (its sockets died at most 3 heartbeats before).
    const delay = this.opts.sessionGraceMs;
    const lease = delay + 10 * this.opts.heartbeatMs + 10_000;
    const got = await this.redis.set(this.keys.reapLock(node), this.opts.nodeId, 'PX', lease, 'NX');
    if (got !== 'OK') return;
    this.log.warn(
      { node, silentMs: now - lastSeen, endInMs: delay },
      'node is dead; its sessions end after the grace period',
    );
    this.reaping.set(node, null);
    await this.markUnreachable(node).catch((e) =>
      this.log.warn({ err: e, node }, 'could not mark sessions of a dead node unreachable'),
    );
    const t = setTimeout(() => {
      this.reap(node).then(
        () => this.reaping.delete(node),
        (e) => {
          // The lock expires; this node or another retries.
          this.log.error({ err: e, node }, 'cleanup of a dead node failed');
          this.reaping.delete(node);
        },
      );
    }, delay);
    t.unref();
    this.reaping.set(node, t);
  }

  private async markUnreachable(node: string): Promise<void> {
    for await (const batch of this.members(node)) {
      await Promise.all(
        batch.map((m) => {
          const p = parseSessionMember(m);
          if (!p) return undefined;
          return this.sessions
            .setState(p.appId, p.uid, p.sessionId, 'UNREACHABLE')
            .then((changed) =>
              changed ? this.hooks?.detachForeign(p.appId, p.uid, p.sessionId) : undefined,
            );
        }),
      );
    }
  }

  private async *members(node: string): AsyncGenerator<string[]> {
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.sscan(this.keys.nodeSessions(node), cursor, 'COUNT', REAP_BATCH);
      cursor = next;
      if (batch.length) yield batch;
    } while (cursor !== '0');
  }

  private async reap(node: string): Promise<void> {
    if (this.stopped) return;
    const age = (await this.scripts.nodeAge([this.keys.nodes], [node])) as number;
    if (age !== -1 && age < this.deadMs) {
      this.log.warn({ node }, 'node came back before its sessions ended; cleanup cancelled');
      await this.redis.del(this.keys.reapLock(node));
      return;
    }
    const from = this.keys.nodeSessions(node);
    const mine = this.keys.nodeSessions(this.opts.nodeId);
    let ended = 0;
    for (;;) {
      if (this.stopped) return;
      const batch = await this.redis.srandmember(from, REAP_BATCH);
      if (batch.length === 0) break;
      await this.redis.pexpire(this.keys.reapLock(node), 10 * this.opts.heartbeatMs + 10_000);
      await Promise.all(
        batch.map(async (m) => {
          // SMOVE is the claim: exactly one survivor moves each entry.
          if ((await this.redis.smove(from, mine, m)) !== 1) return;
          const p = parseSessionMember(m);
          if (p) {
            await this.hooks
              ?.endForeign(p.appId, p.uid, p.sessionId)
              .catch((e) => this.log.error({ err: e, node }, 'ending a session of a dead node failed'));
            ended++;
          }
          await this.redis.srem(mine, m);
        }),
      );
    }
    await this.scripts.nodeForget([this.keys.nodes, from, this.keys.reapLock(node)], [node, this.deadMs]);
    this.log.warn({ node, sessions: ended }, 'sessions of a dead node ended');
  }
}
