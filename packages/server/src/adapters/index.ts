import { checkRedisMode, type ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Bus } from '../ports/bus.js';
import type { Store } from '../ports/store.js';
import { NodeLiveness } from '../cluster/node-liveness.js';
import { MemoryBus, createEmbeddedStore } from './embedded/index.js';
import type { ClusterAgent, ClusterHooks } from '../ports/cluster.js';
import type { NodeRegistry } from '../ports/node-registry.js';
import type { SessionStore } from '../ports/session-store.js';

export type { ClusterAgent, ClusterHooks };

export interface AdapterSet {
  store: Store;
  bus: Bus;
  /** null in embedded mode */
  cluster: ClusterAgent | null;
}

/**
 * Picks the adapter set from config: embedded by default, Redis with `--redis` or
 * `--redis-cluster`; with `--postgres`, the durable parts that live there (postgres/) are opened
 * first, so a PostgreSQL that cannot be reached stops start-up before anything else is touched.
 */
export async function createAdapters(config: ServerConfig, log: Logger): Promise<AdapterSet> {
  checkRedisMode(config);
  // Loaded only with --postgres, so a server without it never loads pg.
  const postgres = config.postgres ? await import('./postgres/index.js') : null;
  const pg = postgres && config.postgres ? await postgres.openPostgres(config.postgres, log) : null;
  try {
    const set = await createModeAdapters(config, log);
    if (!pg || !postgres) return set;
    // The parts PostgreSQL holds replace the mode's own.
    Object.assign(set.store, postgres.postgresParts(pg.pool));
    const close = set.store.close;
    set.store.close = async () => {
      await close.call(set.store);
      await pg.close();
    };
    return set;
  } catch (e) {
    await pg?.close();
    throw e;
  }
}

async function createModeAdapters(config: ServerConfig, log: Logger): Promise<AdapterSet> {
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
  const liveness = livenessAgent(r.nodes, r.store.sessions, config, log.child({ layer: 'redis' }));
  return {
    store: r.store,
    bus: r.bus,
    cluster: {
      ...liveness,
      onBusReady: (fn) => void busReady.push(fn),
      onResubscribed: (fn) => void resub.push(fn),
    },
  };
}

/**
 * Node liveness (cluster/node-liveness.ts) over a NodeRegistry: Redis' in cluster mode, or the
 * in-memory one shared by the in-process nodes of a multi-node test. Without a bus that can go
 * down (memory), the bus callbacks never fire.
 */
export function livenessAgent(
  registry: NodeRegistry,
  sessions: Pick<SessionStore, 'setState'>,
  config: ServerConfig,
  log: Logger,
): ClusterAgent {
  const liveness = new NodeLiveness(
    registry,
    sessions,
    { nodeId: config.nodeId, heartbeatMs: config.nodeHeartbeatMs, sessionGraceMs: config.sessionGraceMs },
    log,
  );
  return {
    start: (hooks) => liveness.start(hooks),
    stop: () => liveness.stop(),
    halt: () => liveness.halt(),
    onBusReady: () => undefined,
    onResubscribed: () => undefined,
  };
}
