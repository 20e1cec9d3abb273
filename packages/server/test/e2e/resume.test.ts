import type { RtmClient } from '@parley/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config.js';
import { APP_ID, collect, next, setup, until } from '../helpers.js';
import { startTcpProxy, type TcpProxy } from '../tcp-proxy.js';

type Got = [{ text: string }, string, { isOfflineMessage: boolean }];
type StateChange = [string, string];
const FAST = { reconnect: { baseMs: 50, capMs: 200, floorMs: 20 } };
const range = (a: number, b: number) => [...Array(b - a).keys()].map((i) => String(a + i));
const texts = (got: Got[]) => got.map((g) => g[0].text);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The online states `watcher` is told for `peer`, in order. */
const watch = (watcher: RtmClient, peer: string): string[] => {
  const seen: string[] = [];
  watcher.on('PeersOnlineStatusChanged', (status: Record<string, string>) => {
    if (status[peer] !== undefined) seen.push(status[peer]!);
  });
  return seen;
};

/**
 * Session resume over a real network cut: SDKs reach the server through a TCP proxy that drops
 * its connections and refuses new ones for a while (test/tcp-proxy.ts).
 */
describe('session resume after a network cut', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let proxy: TcpProxy;
  const start = async (cfg: Partial<ServerConfig> = {}) => {
    t = await setup({ rateLimits: false, ...cfg });
    proxy = await startTcpProxy(t.server.port);
  };
  afterEach(async () => {
    await proxy.close();
    await t.cleanup();
  });
  /** A client logged in through the proxy, with a fast reconnect. */
  const viaProxy = async (uid: string): Promise<RtmClient> => {
    const c = t.client({ serverUrl: proxy.url, ...FAST });
    await c.login({ uid });
    return c;
  };
  const session = (uid: string) => t.server.sessions.local(APP_ID, uid);

  it('a one-second cut loses nothing: peer and channel messages arrive once, in order; no MemberLeft, no OFFLINE', async () => {
    // A long ack timeout, so sends made during the cut are answered once the peer acks after resume.
    await start({ sessionGraceMs: 10_000, peerAckTimeoutMs: 20_000 });
    const alice = await viaProxy('alice');
    const bob = await viaProxy('bob');
    // carol stays connected directly: she watches bob and shares a channel with both.
    const carol = await t.login('carol');
    const rooms = [alice, bob, carol].map((c) => c.createChannel('room'));
    for (const ch of rooms) await ch.join();
    const [, bobRoom, carolRoom] = rooms as [unknown, (typeof rooms)[0], (typeof rooms)[0]];
    const bobStatus = watch(carol, 'bob');
    await carol.subscribePeersOnlineStatus(['bob']);
    await until(() => bobStatus.length === 1, 5000, 'bob ONLINE');
    const left = collect<[string]>(carolRoom, 'MemberLeft');
    const bobSession = session('bob');
    const bobStates = collect<StateChange>(bob, 'ConnectionStateChanged');
    const toBob = collect<Got>(bob, 'MessageFromPeer');
    const toAlice = collect<Got>(alice, 'MessageFromPeer');
    const inRoomBob = collect<Got>(bobRoom, 'ChannelMessage');
    const inRoomCarol = collect<Got>(carolRoom, 'ChannelMessage');
    const sends: Promise<{ hasPeerReceived: boolean }>[] = [];
    const channelSends: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) sends.push(alice.sendMessageToPeer({ text: String(i) }, 'bob'));

    proxy.pause();
    proxy.dropAll();
    await until(
      () => session('bob')?.phase === 'detached' && session('alice')?.phase === 'detached',
      5000,
      'both sessions detached',
    );
    await until(() => bob.connectionState === 'RECONNECTING' && alice.connectionState === 'RECONNECTING');
    // Both directions during the cut: sends wait in the SDK, or in the server's session queue.
    for (let i = 10; i < 30; i++) sends.push(alice.sendMessageToPeer({ text: String(i) }, 'bob'));
    for (let i = 0; i < 10; i++) sends.push(bob.sendMessageToPeer({ text: String(i) }, 'alice'));
    for (let i = 0; i < 10; i++) channelSends.push(carolRoom.sendMessage({ text: `carol ${i}` }));
    for (let i = 0; i < 10; i++) channelSends.push(bobRoom.sendMessage({ text: `bob ${i}` }));
    await sleep(1000);
    proxy.resume();

    await until(() => toBob.length >= 30 && toAlice.length >= 10, 10_000, 'every peer message');
    await until(() => inRoomBob.length >= 10 && inRoomCarol.length >= 10, 10_000, 'every channel message');
    expect((await Promise.all(sends)).every((r) => r.hasPeerReceived)).toBe(true);
    await Promise.all(channelSends);
    await sleep(200); // no duplicate may follow
    expect(texts(toBob)).toEqual(range(0, 30));
    expect(texts(toAlice)).toEqual(range(0, 10));
    expect(texts(inRoomBob)).toEqual(range(0, 10).map((i) => `carol ${i}`));
    expect(texts(inRoomCarol)).toEqual(range(0, 10).map((i) => `bob ${i}`));
    expect(bobStates).toEqual([
      ['RECONNECTING', 'INTERRUPTED'],
      ['CONNECTED', 'LOGIN_SUCCESS'],
    ]);
    // Resumed, not re-logged: the very same server session, which never left anything.
    expect(session('bob')).toBe(bobSession);
    expect(session('bob')?.phase).toBe('active');
    expect(left).toEqual([]);
    expect(bobStatus).toEqual(['ONLINE', 'UNREACHABLE', 'ONLINE']);
    expect((await carolRoom.getMembers()).sort()).toEqual(['alice', 'bob', 'carol']);
  });

  it('a silent stall is found by heartbeats, and the session resumes without loss', async () => {
    await start({ sessionGraceMs: 10_000, heartbeatMs: 200, peerAckTimeoutMs: 20_000 });
    const alice = await t.login('alice');
    const bob = await viaProxy('bob');
    const bobSession = session('bob');
    const toBob = collect<Got>(bob, 'MessageFromPeer');
    proxy.stall(); // nothing is closed: only missing heartbeats tell
    const sends = [];
    for (let i = 0; i < 20; i++) sends.push(alice.sendMessageToPeer({ text: String(i) }, 'bob'));
    await until(() => bob.connectionState === 'RECONNECTING', 5000, 'bob notices the dead link');
    proxy.resume();
    await until(() => toBob.length >= 20, 10_000, '20 messages');
    expect((await Promise.all(sends)).every((r) => r.hasPeerReceived)).toBe(true);
    await sleep(200);
    expect(texts(toBob)).toEqual(range(0, 20));
    expect(session('bob')).toBe(bobSession);
  });

  it('messages queued for a detached session reach it in order when it resumes', async () => {
    await start({ sessionGraceMs: 10_000 });
    const alice = await t.login('alice');
    const bob = await viaProxy('bob');
    const toBob = collect<Got>(bob, 'MessageFromPeer');
    proxy.pause();
    proxy.dropAll();
    await until(() => session('bob')?.phase === 'detached', 5000, 'bob detached');
    // The server holds these for bob's session; the sender is told false after the ack timeout.
    const sends = [];
    for (let i = 0; i < 50; i++) sends.push(alice.sendMessageToPeer({ text: String(i) }, 'bob'));
    await sleep(100);
    proxy.resume();
    await until(() => toBob.length >= 50, 10_000, '50 messages');
    await sleep(200);
    expect(texts(toBob)).toEqual(range(0, 50));
    await Promise.all(sends);
  });

  it('a resume that needs more than the session queue holds becomes a new login; offline messages survive it', async () => {
    await start({ sessionGraceMs: 10_000, resumeBufferMessages: 8, peerAckTimeoutMs: 300 });
    const alice = await t.login('alice');
    const bob = await viaProxy('bob');
    const before = session('bob');
    const toBob = collect<Got>(bob, 'MessageFromPeer');
    proxy.pause();
    proxy.dropAll();
    await until(() => session('bob')?.phase === 'detached', 5000, 'bob detached');
    const sends = [];
    for (let i = 0; i < 20; i++)
      sends.push(alice.sendMessageToPeer({ text: String(i) }, 'bob', { enableOfflineMessaging: true }));
    const results = await Promise.all(sends);
    // Not acked while detached, so every one of them was stored.
    expect(results.every((r) => !r.hasPeerReceived)).toBe(true);
    const relogged = next(bob, 'ConnectionStateChanged', 10_000);
    proxy.resume();
    expect(await relogged).toEqual(['CONNECTED', 'LOGIN_SUCCESS']);
    await until(() => toBob.length >= 20, 10_000, '20 messages');
    await sleep(200);
    expect(texts(toBob)).toEqual(range(0, 20));
    expect(session('bob')).not.toBe(before);
  });

  it('a cut longer than the grace period: UNREACHABLE → OFFLINE and MemberLeft; the SDK logs in again and rejoins', async () => {
    await start({ sessionGraceMs: 300 });
    const alice = await t.login('alice');
    const bob = await viaProxy('bob');
    const aliceRoom = alice.createChannel('room');
    const bobRoom = bob.createChannel('room');
    await aliceRoom.join();
    await bobRoom.join();
    const bobStatus = watch(alice, 'bob');
    await alice.subscribePeersOnlineStatus(['bob']);
    await until(() => bobStatus.length === 1, 5000, 'bob ONLINE');
    const left = collect<[string]>(aliceRoom, 'MemberLeft');
    const joined = collect<[string]>(aliceRoom, 'MemberJoined');
    const before = session('bob');
    const bobStates = collect<StateChange>(bob, 'ConnectionStateChanged');
    proxy.pause();
    proxy.dropAll();
    await until(() => session('bob')?.phase === 'detached', 5000, 'bob detached');
    await until(() => session('bob') === undefined, 5000, 'bob’s session ended');
    await until(() => left.length === 1 && bobStatus.length === 3, 5000, 'MemberLeft and OFFLINE');
    expect(bobStatus).toEqual(['ONLINE', 'UNREACHABLE', 'OFFLINE']);
    expect(left).toEqual([['bob']]);
    expect(await alice.sendMessageToPeer({ text: 'gone' }, 'bob')).toEqual({ hasPeerReceived: false });
    proxy.resume();
    await until(
      () => session('bob') !== undefined && bob.connectionState === 'CONNECTED',
      10_000,
      'bob back',
    );
    expect(session('bob')).not.toBe(before);
    expect(bobStates).toEqual([
      ['RECONNECTING', 'INTERRUPTED'],
      ['CONNECTED', 'LOGIN_SUCCESS'],
    ]);
    // The SDK rejoined the channel by itself, and bob is ONLINE again.
    await until(() => joined.length === 1 && bobStatus.length === 4, 5000, 'MemberJoined and ONLINE');
    expect(joined).toEqual([['bob']]);
    expect(bobStatus[3]).toBe('ONLINE');
    const got = next<Got>(bob, 'MessageFromPeer');
    expect(await alice.sendMessageToPeer({ text: 'back' }, 'bob')).toEqual({ hasPeerReceived: true });
    expect((await got)[0].text).toBe('back');
    const inRoom = next<Got>(bobRoom, 'ChannelMessage');
    await aliceRoom.sendMessage({ text: 'welcome back' });
    expect((await inRoom)[0].text).toBe('welcome back');
  });

  it('the resume queue defaults to 1024 messages and the grace period to 30 s', async () => {
    const { DEFAULT_CONFIG } = await import('../../src/config.js');
    expect(DEFAULT_CONFIG.resumeBufferMessages).toBe(1024);
    expect(DEFAULT_CONFIG.sessionGraceMs).toBe(30_000);
  });
});
