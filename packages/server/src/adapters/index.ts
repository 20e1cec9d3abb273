import { checkRedisMode, type ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Bus } from '../ports/bus.js';
import type { Store } from '../ports/store.js';
import { NodeLiveness } from '../cluster/node-liveness.js';
import { MemoryBus, createEmbeddedStore } from './embedded/index.js';
import type { ClusterAgent, ClusterHooks } from '../ports/cluster.js';

export type { ClusterAgent, ClusterHooks };

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
  // Node liveness (cluster/) over the Redis registry's primitives.
  const liveness = new NodeLiveness(
    r.nodes,
    r.store.sessions,
    { nodeId: config.nodeId, heartbeatMs: config.nodeHeartbeatMs, sessionGraceMs: config.sessionGraceMs },
    log.child({ layer: 'redis' }),
  );
  return {
    store: r.store,
    bus: r.bus,
    cluster: {
      start: (hooks) => liveness.start(hooks),
      stop: () => liveness.stop(),
      onBusReady: (fn) => void busReady.push(fn),
      onResubscribed: (fn) => void resub.push(fn),
    },
  };
}
