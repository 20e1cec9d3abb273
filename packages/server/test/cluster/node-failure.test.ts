import AgoraRTM, { type RtmChannel, type RtmClient } from '@parley/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ID, collect, until } from '../helpers.js';
import { type ServerProcess, spawnServer } from '../server-process.js';
import { REDIS_URL, cleanPrefix, redisReachable, skipWithoutRedis, uniquePrefix } from './nodes.js';

const GRACE_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A node killed with SIGKILL (real `parley serve` processes sharing Redis; needs `npm run build`):
 * the survivors end its users' sessions once the grace period is over, and each MemberLeft and
 * OFFLINE reaches every other member and subscriber exactly once, however many survivors race.
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

  it("ends its users' sessions after the grace period, each MemberLeft and OFFLINE exactly once", async () => {
    if (!(await redisReachable())) skipWithoutRedis();
    const p = (prefix = uniquePrefix());
    const args = (id: string) => [
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
    procs.push(...(await Promise.all(['k1', 'k2', 'k3'].map((id) => spawnServer(args(id))))));
    const on = async (node: number, uid: string): Promise<{ c: RtmClient; ch: RtmChannel }> => {
      const c = AgoraRTM.createInstance(APP_ID, { serverUrl: procs[node]!.wsUrl });
      clients.push(c);
      await c.login({ uid });
      const ch = c.createChannel('room');
      await ch.join();
      return { c, ch };
    };
    const alice = await on(0, 'alice');
    const alice2 = await on(0, 'alice2');
    const bob = await on(1, 'bob');
    const carol = await on(2, 'carol');
    await bob.c.subscribePeersOnlineStatus(['alice', 'alice2']);
    await carol.c.subscribePeersOnlineStatus(['alice']);
    expect((await bob.ch.getMembers()).sort()).toEqual(['alice', 'alice2', 'bob', 'carol']);

    const bobLeft = collect<[string]>(bob.ch, 'MemberLeft');
    const carolLeft = collect<[string]>(carol.ch, 'MemberLeft');
    const bobStatus = collect<[Record<string, string>]>(bob.c, 'PeersOnlineStatusChanged');
    const carolStatus = collect<[Record<string, string>]>(carol.c, 'PeersOnlineStatusChanged');
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
    expect((await bob.ch.getMembers()).sort()).toEqual(['bob', 'carol']);
    expect(await bob.c.queryPeersOnlineStatus(['alice', 'alice2'])).toEqual({ alice: false, alice2: false });
  });
});
