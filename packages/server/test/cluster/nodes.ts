import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { getCurrentTest } from 'vitest/suite';
import { startTestServer, type ParleyServer } from '@parley/server/testing';
import { MemoryBus, MemoryNodeRegistry, createEmbeddedStore } from '../../src/adapters/embedded/index.js';
import type { ServerConfig } from '../../src/config.js';

/**
 * Multi-node test servers, used by `setup()` in ../helpers.ts:
 * - cluster on Redis: N in-process servers sharing a real Redis (`REDIS_URL`, default
 *   redis://127.0.0.1:6379) under a key prefix unique to this setup, deleted at cleanup;
 * - mesh in memory: N in-process servers sharing one MemoryBus, one embedded Store and one
 *   MemoryNodeRegistry (fast tests of node-to-node behaviour and node failure — `crash()` — without
 *   Redis).
 * Redis unreachable: the test is skipped with a loud message, or fails when PARLEY_REQUIRE_REDIS=1.
 *
 * With PARLEY_TEST_REDIS_CLUSTER=1 (vitest project 'redis-cluster') the Redis-backed nodes use the
 * Redis Cluster at REDIS_CLUSTER_SEEDS (`--redis-cluster`) instead of REDIS_URL: .ci/run starts
 * one, else the project's global setup does (./redis-cluster-setup.ts).
 */

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Cluster-mode tests run on a Redis Cluster (project 'redis-cluster'), not on REDIS_URL. */
export const ON_REDIS_CLUSTER = process.env.PARLEY_TEST_REDIS_CLUSTER === '1';

/** Seed nodes of the tests' Redis Cluster (`host:port,...`), or '' when none was started. */
export const redisClusterSeeds = (): string => process.env.REDIS_CLUSTER_SEEDS ?? '';

/** The seeds as ioredis Cluster startup nodes. */
export const seedNodes = (seeds: string) =>
  seeds.split(',').map((s) => {
    const i = s.lastIndexOf(':');
    return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
  });

/** Options of setup() beyond ServerConfig. */
export interface NodeOptions {
  /** cluster mode on Redis: true = 2 nodes, or a node count (default: PARLEY_TEST_CLUSTER=1 → 2) */
  cluster?: boolean | number;
  /** several in-process nodes sharing a MemoryBus and an embedded Store (no Redis) */
  nodes?: number;
}

export interface TestNodes {
  servers: ParleyServer[];
  mode: 'single' | 'memory' | 'redis' | 'redis-cluster';
  /** the Redis key prefix (redis and redis-cluster modes) */
  prefix: string | null;
  close(): Promise<void>;
}

/** How many Redis-backed nodes a setup wants: from options, else PARLEY_TEST_CLUSTER. 0 = none. */
export function clusterNodes(o: NodeOptions): number {
  if (o.cluster === false) return 0;
  if (typeof o.cluster === 'number') return o.cluster;
  if (o.cluster === true) return 2;
  if (o.nodes) return 0;
  if (process.env.PARLEY_TEST_CLUSTER === '1') return Number(process.env.PARLEY_TEST_NODES ?? 2);
  return 0;
}

let probe: Promise<boolean> | null = null;
const clusterProbes = new Map<string, Promise<boolean>>();

/** Whether a Redis Cluster answers at `seeds` with cluster_state:ok (checked once per test process). */
export function redisClusterReachable(seeds = redisClusterSeeds()): Promise<boolean> {
  let p = clusterProbes.get(seeds);
  if (!p)
    clusterProbes.set(
      seeds,
      (p = (async () => {
        if (!seeds) return false;
        const { clusterHealthy } = await import('./redis-cluster.js');
        return clusterHealthy(seeds);
      })()),
    );
  return p;
}

/** Whether Redis answers at `url` (checked once per test process). */
export function redisReachable(url = REDIS_URL): Promise<boolean> {
  if (ON_REDIS_CLUSTER && url === REDIS_URL) return redisClusterReachable();
  probe ??= (async () => {
    const r = new Redis(url, {
      lazyConnect: true,
      connectTimeout: 1000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    r.on('error', () => undefined);
    try {
      await r.connect();
      return (await r.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      r.disconnect();
    }
  })();
  return probe;
}

let warned = false;

const unreachable = (url: string) =>
  ON_REDIS_CLUSTER && url === REDIS_URL
    ? `no Redis Cluster answers at REDIS_CLUSTER_SEEDS=${redisClusterSeeds() || '(unset)'}: the 'redis-cluster' tests need one (.ci/run starts it; without REDIS_CLUSTER_SEEDS the project's global setup starts one when redis-server is installed)`
    : `Redis is not reachable at ${url}: cluster-mode tests need it (start redis-server, or set REDIS_URL)`;

/** Prints the loud "skipping cluster tests" line once per test process. */
export function warnSkipped(url = REDIS_URL): void {
  if (warned) return;
  warned = true;
  const msg = unreachable(url);
  console.warn(`\n${'!'.repeat(100)}\n!!! SKIPPING: ${msg}\n${'!'.repeat(100)}\n`);
}

/**
 * Redis is unreachable: fail when PARLEY_REQUIRE_REDIS=1 (CI), else skip the current test with a
 * loud line. Outside a test (beforeAll) it cannot skip, so it throws with the same explanation.
 */
export function skipWithoutRedis(url = REDIS_URL): never {
  const msg = unreachable(url);
  if (process.env.PARLEY_REQUIRE_REDIS === '1')
    throw new Error(`${msg}; PARLEY_REQUIRE_REDIS=1 makes this a failure`);
  warnSkipped(url);
  const test = getCurrentTest();
  if (test) test.context.skip(msg);
  throw new Error(msg);
}

/** A key prefix unique to one setup (one test), so parallel test files never share keys. */
export function uniquePrefix(): string {
  return `ptest:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under `prefix` on every master of a Redis Cluster (one key at a time: slots differ). */
export async function cleanClusterPrefix(prefix: string, seeds: string): Promise<void> {
  const c = new Cluster(seedNodes(seeds), { lazyConnect: true, redisOptions: { connectTimeout: 2000 } });
  c.on('error', () => undefined);
  try {
    await c.connect();
    for (const node of c.nodes('master')) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) {
          const p = node.pipeline();
          for (const k of keys) p.unlink(k);
          await p.exec();
        }
      } while (cursor !== '0');
    }
  } finally {
    c.disconnect();
  }
}

/** Deletes every key under `prefix` (on the tests' Redis Cluster in project 'redis-cluster'). */
export async function cleanPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  if (ON_REDIS_CLUSTER && url === REDIS_URL) return cleanClusterPrefix(prefix, redisClusterSeeds());
  const r = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
  r.on('error', () => undefined);
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** Starts the servers of one setup: 1 (default), N on Redis, or N sharing memory adapters. */
export async function startNodes(cfg: Partial<ServerConfig>, o: NodeOptions): Promise<TestNodes> {
  const onRedis = clusterNodes(o);
  if (onRedis > 0) {
    // A Redis Cluster: the test's own (cfg.redisCluster), or the project's unless the test brings
    // its own single Redis (cfg.redisUrl, e.g. a private one it crashes).
    const seeds = cfg.redisCluster ?? (ON_REDIS_CLUSTER && !cfg.redisUrl ? redisClusterSeeds() : null);
    const url = cfg.redisUrl ?? REDIS_URL;
    if (seeds) {
      if (!(await redisClusterReachable(seeds))) skipWithoutRedis();
    } else if (!(await redisReachable(url))) skipWithoutRedis(url);
    const target = seeds ? { redisUrl: null, redisCluster: seeds } : { redisUrl: url };
    const prefix = cfg.redisPrefix ?? uniquePrefix();
    const servers: ParleyServer[] = [];
    const close = async () => {
      await Promise.all(servers.map((s) => s.close()));
      await (seeds ? cleanClusterPrefix(prefix, seeds) : cleanPrefix(prefix, url));
    };
    try {
      for (let i = 0; i < onRedis; i++)
        servers.push(await startTestServer({ ...cfg, nodeId: `n${i + 1}`, ...target, redisPrefix: prefix }));
    } catch (e) {
      await close().catch(() => undefined);
      throw e;
    }
    return { servers, mode: seeds ? 'redis-cluster' : 'redis', prefix, close };
  }
  if (o.nodes && o.nodes > 1) {
    const store = createEmbeddedStore({ dataDir: null });
    const bus = new MemoryBus({ shared: true });
    const nodes = MemoryNodeRegistry.over(store.sessions);
    const servers: ParleyServer[] = [];
    for (let i = 0; i < o.nodes; i++)
      servers.push(await startTestServer({ ...cfg, nodeId: `m${i + 1}` }, { store, bus, nodes }));
    return {
      servers,
      mode: 'memory',
      prefix: null,
      async close() {
        await Promise.all(servers.map((s) => s.close()));
        await store.close();
        await bus.close();
      },
    };
  }
  const server = await startTestServer(cfg);
  return { servers: [server], mode: 'single', prefix: null, close: () => server.close() };
}
