import type { RtmClient } from '@parley/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { collect, until } from '../helpers.js';
import {
  BACK_BEFORE_GRACE_ENDS,
  GRACE_MS,
  USERS_END_ONCE,
  crashScenarios,
} from './node-failure-scenarios.js';
import { type TestNodes, startNodes } from './nodes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * node-failure.test.ts on the in-memory multi-node setup: in-process nodes sharing a MemoryBus, an
 * embedded Store and a MemoryNodeRegistry; one of them `crash()`es (heartbeats stop, sockets drop,
 * no session ends there). The same scenarios as with `parley serve` processes killed on Redis.
 */
describe('an in-memory node crashes', () => {
  let nodes: TestNodes | null = null;
  const clients: RtmClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.release();
    await nodes?.close();
    nodes = null;
  });

  const start = async (n: number) => {
    nodes = await startNodes({ sessionGraceMs: GRACE_MS, nodeHeartbeatMs: 200 }, { nodes: n });
    return nodes.servers;
  };
  const scenarios = crashScenarios(
    {
      start: async (n) => {
        await start(n);
      },
      wsUrl: (node) => nodes!.servers[node]!.wsUrl,
      kill: (node) => nodes!.servers[node]!.crash(),
      // The crashed node holds nothing more; no session ended there (the first state reported
      // after it is UNREACHABLE).
      afterKill: (node) => expect(nodes!.servers[node]!.sessions.count).toBe(0),
    },
    clients,
  );

  it(USERS_END_ONCE, () => scenarios.usersEndOnce());
  it(BACK_BEFORE_GRACE_ENDS, () => scenarios.backBeforeGraceEnds());

  it('a graceful close leaves nothing for the survivors to end: no MemberLeft twice', async () => {
    const servers = await start(2);
    await scenarios.on(0, 'frank');
    const bob = await scenarios.on(1, 'bob');
    const left = collect<[string]>(bob.ch, 'MemberLeft');
    await servers[0]!.close();
    await until(() => left.length >= 1, 5000, 'MemberLeft for frank');
    // Longer than the dead threshold (3 heartbeats) plus the grace period: a survivor that took the
    // closed node for dead would end frank's session a second time.
    await sleep(3 * 200 + GRACE_MS + 400);
    expect(left.map((x) => x[0])).toEqual(['frank']);
    expect((await bob.ch.getMembers()).sort()).toEqual(['bob']);
  });
});
