import { checkRedisMode, type ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Bus } from '../ports/bus.js';
import type { Store } from '../ports/store.js';
import { MemoryBus, createEmbeddedStore } from './embedded/index.js';
import type { ClusterHooks } from './redis/index.js';

export type { ClusterHooks };

/** Cluster-mode duties beyond the two ports: liveness of nodes and signals for health and metrics. */
export interface ClusterAgent {
  /** Starts heartbeating and cleaning up after dead nodes (call once the node serves). */
  start(hooks: ClusterHooks): Promise<void>;
  /** Stops heartbeating and leaves the node registry (after the local sessions ended). */
  stop(): Promise<void>;
  /** Called when the bus becomes able (true) or unable (false) to carry messages. */
  onBusReady(fn: (ready: boolean) => void): void;
  /** Called after the bus re-subscribed its topics following a reconnect to Redis. */
  onResubscribed(fn: (topics: number) => void): void;
}

export interface AdapterSet {
  store: Store;
  bus: Bus;
  /** null in embedded mode */
  cluster: ClusterAgent | null;
}

/** Picks the adapter set from config: embedded by default, Redis with `--redis` or `--redis-cluster`. */
export async function createAdapters(config: ServerConfig, log: Logger): Promise<AdapterSet> {
  checkRedisMode(config);
  if (!config.redisUrl && !config.redisCluster)
    return {
      store: createEmbeddedStore({ dataDir: config.dataDir, synchronous: config.sqliteSync, log }),
      bus: new MemoryBus(),
      cluster: null,
    };
  // Loaded only in cluster mode, so an embedded server never loads ioredis.
  const { createRedisAdapters } = await import('./redis/index.js');
  const r = await createRedisAdapters(config, log);
  const busReady: Array<(ready: boolean) => void> = [];
  const resub: Array<(topics: number) => void> = [];
  r.bus.events.onReady = (ready) => {
    for (const fn of busReady) fn(ready);
  };
  r.bus.events.onResubscribed = (n) => {
    for (const fn of resub) fn(n);
  };
  return {
    store: r.store,
    bus: r.bus,
    cluster: {
      start: (hooks) => r.nodes.start(hooks),
      stop: () => r.nodes.stop(),
      onBusReady: (fn) => void busReady.push(fn),
      onResubscribed: (fn) => void resub.push(fn),
    },
  };
}
