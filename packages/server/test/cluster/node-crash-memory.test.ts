import AgoraRTM, { type RtmChannel, type RtmClient } from '@parley/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ID, collect, until } from '../helpers.js';
import { type TestNodes, startNodes } from './nodes.js';

const GRACE_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * node-failure.test.ts on the in-memory multi-node setup: in-process nodes sharing a MemoryBus, an
 * embedded Store and a MemoryNodeRegistry; one of them `crash()`es (heartbeats stop, sockets drop,
 * no session ends there). The same expectations as with `parley serve` processes killed on Redis.
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
  const on = async (node: number, uid: string): Promise<{ c: RtmClient; ch: RtmChannel }> => {
    const c = AgoraRTM.createInstance(APP_ID, { serverUrl: nodes!.servers[node]!.wsUrl });
    clients.push(c);
    await c.login({ uid });
    const ch = c.createChannel('room');
    await ch.join();
    return { c, ch };
  };

  it('its users turn UNREACHABLE, then their sessions end after the grace period: each MemberLeft, UNREACHABLE and OFFLINE exactly once', async () => {
    const servers = await start(3);
    const alice = await on(0, 'alice');
    const alice2 = await on(0, 'alice2');
    const bob = await on(1, 'bob');
    const carol = await on(2, 'carol');
    const bobStatus = collect<[Record<string, string>]>(bob.c, 'PeersOnlineStatusChanged');
    const carolStatus = collect<[Record<string, string>]>(carol.c, 'PeersOnlineStatusChanged');
    await bob.c.subscribePeersOnlineStatus(['alice', 'alice2']);
    await carol.c.subscribePeersOnlineStatus(['alice']);
    expect((await bob.ch.getMembers()).sort()).toEqual(['alice', 'alice2', 'bob', 'carol']);

    const bobLeft = collect<[string]>(bob.ch, 'MemberLeft');
    const carolLeft = collect<[string]>(carol.ch, 'MemberLeft');
    const killedAt = Date.now();
    await servers[0]!.crash();
    // The crashed node holds nothing more; no session ended there (the first state reported
    // after it is UNREACHABLE, below).
    expect(servers[0]!.sessions.count).toBe(0);
    alice.c.release();
    alice2.c.release();

    await until(
      () => bobLeft.length >= 2 && carolLeft.length >= 2,
      15_000,
      'MemberLeft for both users of the dead node',
    );
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(GRACE_MS);
    const offline = (list: [Record<string, string>][], uid: string) =>
      list.filter(([m]) => m[uid] === 'OFFLINE').length;
    await until(
      () =>
        offline(bobStatus, 'alice') >= 1 &&
        offline(bobStatus, 'alice2') >= 1 &&
        offline(carolStatus, 'alice') >= 1,
      5000,
      'OFFLINE reports',
    );

    // Exactly once: nothing more arrives (a short quiet period).
    await sleep(600);
    expect(bobLeft.map((x) => x[0]).sort()).toEqual(['alice', 'alice2']);
    expect(carolLeft.map((x) => x[0]).sort()).toEqual(['alice', 'alice2']);
    expect([
      offline(bobStatus, 'alice'),
      offline(bobStatus, 'alice2'),
      offline(carolStatus, 'alice'),
    ]).toEqual([1, 1, 1]);
    const states = (list: [Record<string, string>][], uid: string) =>
      list.flatMap(([m]) => (m[uid] === undefined ? [] : [m[uid]]));
    expect(states(bobStatus, 'alice')).toEqual(['ONLINE', 'UNREACHABLE', 'OFFLINE']);
    expect(states(bobStatus, 'alice2')).toEqual(['ONLINE', 'UNREACHABLE', 'OFFLINE']);
    expect(states(carolStatus, 'alice')).toEqual(['ONLINE', 'UNREACHABLE', 'OFFLINE']);
    expect((await bob.ch.getMembers()).sort()).toEqual(['bob', 'carol']);
    expect(await bob.c.queryPeersOnlineStatus(['alice', 'alice2'])).toEqual({ alice: false, alice2: false });
  });

  it('a user of the dead node logs in again on a survivor before the grace period ends: the cleanup leaves the new session alone', async () => {
    const servers = await start(2);
    await on(0, 'dave');
    await on(0, 'erin');
    const bob = await on(1, 'bob');
    await bob.c.subscribePeersOnlineStatus(['dave', 'erin']);
    const status = collect<[Record<string, string>]>(bob.c, 'PeersOnlineStatusChanged');
    const left = collect<[string]>(bob.ch, 'MemberLeft');
    await servers[0]!.crash();
    for (const c of clients.splice(0, 2)) c.release();

    // dave comes back through the survivor at once; the kick of his old session finds nobody
    // listening on the dead node and does not hold the login up.
    const dave = await on(1, 'dave');
    // The cleanup is over when erin (who did not come back) is OFFLINE.
    await until(() => status.some(([m]) => m.erin === 'OFFLINE'), 15_000, 'erin OFFLINE');
    await sleep(300);
    expect(await bob.c.queryPeersOnlineStatus(['dave', 'erin'])).toEqual({ dave: true, erin: false });
    expect(status.flatMap(([m]) => (m.dave === 'OFFLINE' ? ['OFFLINE'] : []))).toEqual([]);
    expect((await bob.ch.getMembers()).sort()).toEqual(['bob', 'dave']);
    // dave's new session took his membership over before the old one ended: to bob he never left.
    expect(left.map((x) => x[0])).toEqual(['erin']);
    await dave.c.sendMessageToPeer({ text: 'back' }, 'bob');
  });

  it('a graceful close leaves nothing for the survivors to end: no MemberLeft twice', async () => {
    const servers = await start(2);
    await on(0, 'frank');
    const bob = await on(1, 'bob');
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
