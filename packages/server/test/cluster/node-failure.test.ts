import AgoraRTM, { type RtmChannel, type RtmClient } from '@parley/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ID, collect, until } from '../helpers.js';
import { type ServerProcess, spawnServer } from '../server-process.js';
import { REDIS_URL, cleanPrefix, redisReachable, skipWithoutRedis, uniquePrefix } from './nodes.js';

const GRACE_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  const on = async (node: number, uid: string): Promise<{ c: RtmClient; ch: RtmChannel }> => {
    const c = AgoraRTM.createInstance(APP_ID, { serverUrl: procs[node]!.wsUrl });
    clients.push(c);
    await c.login({ uid });
    const ch = c.createChannel('room');
    await ch.join();
    return { c, ch };
  };
  const start = async (ids: string[]) => {
    const p = (prefix = uniquePrefix());
    procs.push(...(await Promise.all(ids.map((id) => spawnServer(args(p, id))))));
  };

  it('its users turn UNREACHABLE, then their sessions end after the grace period: each MemberLeft, UNREACHABLE and OFFLINE exactly once', async () => {
    if (!(await redisReachable())) skipWithoutRedis();
    await start(['k1', 'k2', 'k3']);
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
    await procs[0]!.kill9();
    procs.shift();
    // alice's clients keep trying the dead node; they play no further part
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
    // The state at subscription, then as for a dropped socket: UNREACHABLE once the node is found
    // dead, OFFLINE when the grace period is over; once each, in that order.
    const states = (list: [Record<string, string>][], uid: string) =>
      list.flatMap(([m]) => (m[uid] === undefined ? [] : [m[uid]]));
    expect(states(bobStatus, 'alice')).toEqual(['ONLINE', 'UNREACHABLE', 'OFFLINE']);
    expect(states(bobStatus, 'alice2')).toEqual(['ONLINE', 'UNREACHABLE', 'OFFLINE']);
    expect(states(carolStatus, 'alice')).toEqual(['ONLINE', 'UNREACHABLE', 'OFFLINE']);
    expect((await bob.ch.getMembers()).sort()).toEqual(['bob', 'carol']);
    expect(await bob.c.queryPeersOnlineStatus(['alice', 'alice2'])).toEqual({ alice: false, alice2: false });
  });

  it('a user of the dead node logs in again on a survivor before the grace period ends: the cleanup leaves the new session alone', async () => {
    if (!(await redisReachable())) skipWithoutRedis();
    await start(['m1', 'm2']);
    await on(0, 'dave');
    await on(0, 'erin');
    const bob = await on(1, 'bob');
    await bob.c.subscribePeersOnlineStatus(['dave', 'erin']);
    const status = collect<[Record<string, string>]>(bob.c, 'PeersOnlineStatusChanged');
    const left = collect<[string]>(bob.ch, 'MemberLeft');
    await procs[0]!.kill9();
    procs.shift();
    for (const c of clients.splice(0, 2)) c.release();

    // dave comes back through the survivor at once; the kick of his old session finds nobody
    // listening on the dead node and does not hold the login up.
    const dave = await on(0, 'dave');
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
});
