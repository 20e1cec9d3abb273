import { haveRedisServer, startRedisCluster } from './redis-cluster.js';

/**
 * Global setup of the vitest project 'redis-cluster': uses the Redis Cluster at
 * REDIS_CLUSTER_SEEDS (.ci/run starts one), else starts a local one (3 masters, no replicas: no
 * test kills it) for the run and stops it at the end. PARLEY_TEST_START_REDIS_CLUSTER=0 forbids
 * starting one; the tests then skip loudly (fail with PARLEY_REQUIRE_REDIS=1).
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.REDIS_CLUSTER_SEEDS) return undefined;
  if (process.env.PARLEY_TEST_START_REDIS_CLUSTER === '0' || !haveRedisServer()) return undefined;
  const cluster = await startRedisCluster({ replicas: 0 });
  // Test workers are started after this and inherit the environment.
  process.env.REDIS_CLUSTER_SEEDS = cluster.seeds;
  return () => cluster.close();
}
