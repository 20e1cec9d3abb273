import { defineConfig } from 'vitest/config';

/** The feature suites that also run against several nodes sharing Redis (same files, not copies). */
const CLUSTER_SUITES = [
  'packages/server/test/e2e/peer.test.ts',
  'packages/server/test/e2e/presence.test.ts',
  'packages/server/test/e2e/user-attrs.test.ts',
  'packages/server/test/e2e/channels.test.ts',
  'packages/server/test/e2e/channel-attrs.test.ts',
  'packages/server/test/e2e/invitations.test.ts',
  'packages/server/test/e2e/offline.test.ts',
  'packages/server/test/e2e/offline-quotas.test.ts',
  'packages/server/test/e2e/signaling-interop.test.ts',
  'packages/server/test/e2e/signaling-web.test.ts',
  'packages/server/test/e2e/agora-rest.test.ts',
  'packages/server/test/e2e/agora-history.test.ts',
];

export default defineConfig({
  resolve: { conditions: ['@parley/source'] },
  // Node-side tests resolve through the SSR environment, which needs the condition too.
  ssr: { resolve: { conditions: ['@parley/source'] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Many tests spawn real servers; two workers suit a 2-core machine.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      {
        extends: true,
        test: { name: 'embedded', include: ['packages/*/test/**/*.test.ts', 'packages/*/src/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'cluster', include: CLUSTER_SUITES, env: { PARLEY_TEST_CLUSTER: '1' } },
      },
      {
        // The same suites on a 3-master Redis Cluster (--redis-cluster), and the Redis Store
        // contract there; REDIS_CLUSTER_SEEDS from .ci/run, else the global setup starts one.
        extends: true,
        test: {
          name: 'redis-cluster',
          include: [
            ...CLUSTER_SUITES,
            'packages/server/test/cluster/redis-stores.test.ts',
            'packages/server/test/cluster/message-history-contract.test.ts',
          ],
          env: { PARLEY_TEST_CLUSTER: '1', PARLEY_TEST_REDIS_CLUSTER: '1' },
          globalSetup: ['packages/server/test/cluster/redis-cluster-setup.ts'],
        },
      },
    ],
  },
});
