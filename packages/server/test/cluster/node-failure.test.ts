import type { RtmClient } from '@parley/sdk';
import { afterEach, describe, it } from 'vitest';
import { type ServerProcess, spawnServer } from '../server-process.js';
import {
  BACK_BEFORE_GRACE_ENDS,
  GRACE_MS,
  USERS_END_ONCE,
  crashScenarios,
} from './node-failure-scenarios.js';
import { REDIS_URL, cleanPrefix, redisReachable, skipWithoutRedis, uniquePrefix } from './nodes.js';

/**
 * A node killed with SIGKILL (real `parley serve` processes sharing Redis; needs `npm run build`):
 * its users turn UNREACHABLE once it is found dead, the survivors end their sessions once the grace
 * period is over, and each MemberLeft, UNREACHABLE and OFFLINE reaches every other member and
 * subscriber exactly once, however many survivors race. A user of the dead node logs in again on a
 * survivor at once: the kick of its old session finds nobody listening and does not wait.
 */
describe('a node dies (kill -9)', () => {
  const procs: ServerProcess[] = [];
  const clients: RtmClient[] = [];
  let prefix: string | null = null;
  afterEach(async () => {
    for (const c of clients.splice(0)) c.release();
    await Promise.all(procs.splice(0).map((p) => p.stop().catch(() => undefined)));
    if (prefix) await cleanPrefix(prefix);
    prefix = null;
  });

  const args = (p: string, id: string) => [
    '--port',
    '0',
    '--redis',
    REDIS_URL,
    '--redis-prefix',
    p,
    '--node-id',
    id,
    '--session-grace-ms',
    String(GRACE_MS),
    '--node-heartbeat-ms',
    '200',
  ];
  const scenarios = crashScenarios(
    {
      async start(n) {
        if (!(await redisReachable())) skipWithoutRedis();
        const p = (prefix = uniquePrefix());
        const ids = Array.from({ length: n }, (_, i) => `k${i + 1}`);
        procs.push(...(await Promise.all(ids.map((id) => spawnServer(args(p, id))))));
      },
      wsUrl: (node) => procs[node]!.wsUrl,
      kill: (node) => procs[node]!.kill9(),
    },
    clients,
  );

  it(USERS_END_ONCE, () => scenarios.usersEndOnce());
  it(BACK_BEFORE_GRACE_ENDS, () => scenarios.backBeforeGraceEnds());
});
