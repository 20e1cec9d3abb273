import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../logger.js';

/** A client of a single Redis or of a Redis Cluster: the Store parts and the Bus take either. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one server (`--redis`) or the seed nodes of a Redis Cluster (`--redis-cluster`). */
export type RedisTarget = { url: string } | { seeds: Array<{ host: string; port: number }> };

/** Tuning of the Redis connections; defaults suit a LAN Redis. */
export interface RedisConnOptions {
  /**
   * Redis silent this long while replies are due: the connection is dropped, its commands fail
   * and it reconnects, ms (default 2000)
   */
  replyTimeoutMs?: number;
  /** give up connecting (at start and per reconnect attempt) after this long, ms (default 5000) */
  connectTimeoutMs?: number;
  /** longest pause between reconnect attempts, ms (default 1000) */
  maxReconnectDelayMs?: number;
  /**
   * Redis Cluster: how often the slot map is read again, ms (default 1000). After a failover,
   * commands reach the promoted replica at the latest this long after the cluster elected it.
   */
  slotsRefreshMs?: number;
}

/**
 * Options shared by both connections. Operations that need Redis must fail fast while it is
 * unreachable, never hang: no offline queue (commands fail at once when disconnected), no retry
 * of commands cut by a disconnect (`maxRetriesPerRequest: 0` rejects them right away, and a
 * PUBLISH sent twice would deliver twice), and a reply timeout for a Redis that is up but stuck
 * (`socketTimeout`: one timer per connection, re-armed per read; ioredis' `commandTimeout` would
 * cost a timer per command on the hot path). Reconnects go on forever with a short capped
 * backoff, so service resumes soon after Redis returns.
 */
function baseOptions(name: string, o: RedisConnOptions): RedisOptions {
  const maxDelay = o.maxReconnectDelayMs ?? 1000;
  return {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: o.connectTimeoutMs ?? 5000,
    socketTimeout: o.replyTimeoutMs ?? 2000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
    lazyConnect: true,
  };
}

/** How long a slot-map refresh (CLUSTER SLOTS) may take. */
const SLOTS_REFRESH_TIMEOUT_MS = 5000;

/**
 * Options of a Redis Cluster client: the node connections get the options above; the cluster
 * client itself has no offline queue either, re-reads the slot map often (so a promoted replica
 * is found soon after a failover, not only on the next MOVED) and reconnects forever when every
 * node was lost. Like on a single Redis, a command cut by a lost connection is not sent again
 * (`retryDelayOnFailover: 0`: it may have run, and a PUBLISH or HINCRBY sent twice would count
 * twice), so commands to a shard whose master died fail at once until its replica took over;
 * replies that say a command did not run (`MOVED`, `ASK`, `TRYAGAIN`, `CLUSTERDOWN`) are followed
 * a bounded number of times (ioredis' maxRedirections).
 */
function clusterOptions(
  node: RedisOptions,
  role: 'command' | 'subscriber',
  o: RedisConnOptions,
): ClusterOptions {
  return {
    redisOptions: node,
    enableOfflineQueue: false,
    lazyConnect: true,
    enableAutoPipelining: role === 'command',
    // The subscriber client holds one sharded-subscriber connection per master (SSUBSCRIBE).
    shardedSubscribers: role === 'subscriber',
    slotsRefreshInterval: o.slotsRefreshMs ?? 1000,
    // ioredis' 1 s default fails under load (a busy node or master answers CLUSTER SLOTS late):
    // each failed refresh counts as a node error, and a node that keeps failing them ends up
    // sending commands by a stale or empty slot map (MOVED errors inside auto-pipelines).
    slotsRefreshTimeout: SLOTS_REFRESH_TIMEOUT_MS,
    retryDelayOnFailover: 0,
    clusterRetryStrategy: node.retryStrategy as ClusterOptions['clusterRetryStrategy'],
  };
}

/**
 * A Redis connection (or Redis Cluster client) that reports when it goes down and comes back
 * (once per outage, not per reconnect attempt) and logs it. A Redis Cluster client is "down" only
 * when it lost every node; one shard failing shows in the commands to its slots, which fail.
 */
export class RedisConn {
  redis: RedisClient;
  /** true for a Redis Cluster client */
  readonly sharded: boolean;
  private up = false;
  private everUp = false;
  private closing = false;
  private lastError: Error | null = null;
  private readonly listeners: Array<(up: boolean) => void> = [];

  /** builds a fresh Redis Cluster client (renew()); null for a single Redis */
  private readonly buildCluster: (() => Cluster) | null = null;

  constructor(
    target: RedisTarget,
    readonly role: 'command' | 'subscriber',
    opts: RedisConnOptions,
    nodeId: string,
    private readonly log: Logger,
  ) {
    const o: RedisOptions = { ...baseOptions(`parley:${nodeId}:${role}`, opts) };
    if (role === 'command') {
      // Commands issued in one tick go out as one pipeline (one write, one round trip).
      o.enableAutoPipelining = true;
    } else {
      // RedisBus re-subscribes itself after a reconnect, so it can count, log and await it.
      o.autoResubscribe = false;
    }
    if ('url' in target) {
      this.sharded = false;
      this.redis = new Redis(target.url, o);
    } else {
      this.sharded = true;
      const { enableAutoPipelining: _, ...node } = o;
      this.buildCluster = () => new Cluster(target.seeds, clusterOptions(node, role, opts));
      this.redis = this.buildCluster();
    }
    this.listen(this.redis);
  }

  private listen(client: RedisClient): void {
    const role = this.role;
    client.on('ready', () => client === this.redis && this.set(true));
    client.on('close', () => client === this.redis && this.set(false));
    client.on('error', (e: Error) => {
      this.lastError = e;
      // ioredis reports every failed reconnect attempt; the state change was logged once already.
      if (this.up) this.log.warn({ err: e, role }, 'redis error');
    });
    if (this.sharded)
      client.on('node error', (e: Error, node: string) => {
        this.lastError = e;
        if (this.up) this.log.warn({ err: e, role, node }, 'redis cluster node error');
      });
  }

  /**
   * Redis Cluster: replaces the client with a fresh one and connects it (the old one is dropped).
   * For a client whose internal state ioredis did not rebuild (RedisBus uses it when the sharded
   * subscribers do not come back after every master was lost). Rejects when none can connect.
   */
  async renew(): Promise<Cluster> {
    if (!this.buildCluster) throw new Error('renew() is for Redis Cluster clients');
    const old = this.redis;
    const fresh = this.buildCluster();
    this.redis = fresh;
    this.listen(fresh);
    old.removeAllListeners();
    old.on('error', () => undefined);
    old.disconnect();
    this.set(false);
    for (const fn of this.renewListeners) fn(fresh);
    await fresh.connect();
    return fresh;
  }

  /** Called with the new client after renew(), before it connects (to attach listeners). */
  onRenew(fn: (client: Cluster) => void): void {
    this.renewListeners.push(fn);
  }

  private readonly renewListeners: Array<(client: Cluster) => void> = [];

  get isUp(): boolean {
    return this.up;
  }

  onChange(fn: (up: boolean) => void): void {
    this.listeners.push(fn);
  }

  /** Connects; rejects when Redis cannot be reached within the connect timeout. */
  async connect(): Promise<void> {
    try {
      await this.redis.connect();
    } catch (e) {
      this.redis.disconnect();
      // A Redis Cluster client fails with "Failed to refresh slots cache": its cause is the last
      // node's error (e.g. "cluster support disabled" for a plain Redis).
      const err = (this.lastError ?? e) as Error & { lastNodeError?: Error };
      const why = err.lastNodeError ? `${err.message} ${err.lastNodeError.message}` : err.message;
      throw new Error(`cannot reach Redis (${this.role} connection): ${why}`);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.listeners.length = 0;
    if (this.redis.status === 'end') return;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private set(up: boolean): void {
    if (up === this.up || this.closing) return;
    this.up = up;
    if (up && this.everUp) this.log.warn({ role: this.role }, 'redis connection restored');
    else if (!up)
      this.log.error(
        { role: this.role },
        'redis connection lost; operations that need Redis fail until it returns',
      );
    if (up) this.everUp = true;
    for (const fn of this.listeners) fn(up);
  }
}

/** A Lua script run with EVALSHA (ioredis falls back to EVAL after a Redis restart flushed it). */
export type Script = (keys: string[], args: Array<string | number | Buffer>) => Promise<unknown>;

/** The scripts defined on each connection, by command name (a name taken twice is a bug). */
const defined = new WeakMap<RedisClient, Map<string, string>>();

/**
 * Registers Lua scripts on a connection and returns typed callers. The Store parts share one
 * connection, so script names are global to it: a name another part already defined with other
 * Lua throws (it would silently replace that part's script).
 */
export function defineScripts<T extends string>(
  redis: RedisClient,
  defs: Record<T, { keys: number; lua: string }>,
): Record<T, Script> {
  const out = {} as Record<T, Script>;
  let names = defined.get(redis);
  if (!names) defined.set(redis, (names = new Map()));
  for (const name of Object.keys(defs) as T[]) {
    const def = defs[name];
    const cmd = `parley_${name}`;
    const before = names.get(cmd);
    if (before !== undefined && before !== def.lua)
      throw new Error(`Redis script ${name} is defined twice with different Lua on one connection`);
    names.set(cmd, def.lua);
    redis.defineCommand(cmd, { numberOfKeys: def.keys, lua: def.lua });
    const fn = (redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[cmd]!.bind(redis);
    out[name] = (keys, args) => fn(...keys, ...args);
  }
  return out;
}
