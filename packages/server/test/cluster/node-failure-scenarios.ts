import AgoraRTM, { type RtmChannel, type RtmClient } from '@parley/sdk';
import { expect } from 'vitest';
import { APP_ID, collect, until } from '../helpers.js';

/** the session grace period both setups run with */
export const GRACE_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A multi-node setup a node of which can die without ending its sessions: `parley serve`
 * processes on Redis killed with SIGKILL (node-failure.test.ts), or in-process nodes on the
 * in-memory registry that `crash()` (node-crash-memory.test.ts). Node indexes stay as started.
 */
export interface CrashSetup {
  /** starts `n` nodes (grace GRACE_MS, node heartbeats every 200 ms) */
  start(n: number): Promise<void>;
  wsUrl(node: number): string;
  /** the node dies: no session ends there; resolves once it is gone */
  kill(node: number): Promise<void>;
  /** checks the setup can make right after a kill (the crashed node holds nothing more) */
  afterKill?(node: number): void;
}

/** The clients of a scenario; the test's afterEach releases them. */
export function crashScenarios(setup: CrashSetup, clients: RtmClient[]) {
  const on = async (node: number, uid: string): Promise<{ c: RtmClient; ch: RtmChannel }> => {
    const c = AgoraRTM.createInstance(APP_ID, { serverUrl: setup.wsUrl(node) });
    clients.push(c);
    await c.login({ uid });
    const ch = c.createChannel('room');
    await ch.join();
    return { c, ch };
  };

  /** each MemberLeft, UNREACHABLE and OFFLINE of the dead node's users exactly once */
  async function usersEndOnce(): Promise<void> {
    await setup.start(3);
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
    await setup.kill(0);
    setup.afterKill?.(0);
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
  }

  /** a user back on a survivor before the grace period ends keeps the new session */
  async function backBeforeGraceEnds(): Promise<void> {
    await setup.start(2);
    await on(0, 'dave');
    await on(0, 'erin');
    const bob = await on(1, 'bob');
    await bob.c.subscribePeersOnlineStatus(['dave', 'erin']);
    const status = collect<[Record<string, string>]>(bob.c, 'PeersOnlineStatusChanged');
    const left = collect<[string]>(bob.ch, 'MemberLeft');
    await setup.kill(0);
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
  }

  return { on, usersEndOnce, backBeforeGraceEnds };
}

export const USERS_END_ONCE =
  'its users turn UNREACHABLE, then their sessions end after the grace period: each MemberLeft, UNREACHABLE and OFFLINE exactly once';
export const BACK_BEFORE_GRACE_ENDS =
  'a user of the dead node logs in again on a survivor before the grace period ends: the cleanup leaves the new session alone';
