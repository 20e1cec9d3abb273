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

  it('a one-second cut loses nothing: every message arrives once, in order, and the session resumes', async () => {
    // A long ack timeout, so sends made during the cut are answered once the peer acks after resume.
    await start({ sessionGraceMs: 10_000, peerAckTimeoutMs: 20_000 });
    const alice = await viaProxy('alice');
    const bob = await viaProxy('bob');
    const bobSession = session('bob');
    const bobStates = collect<StateChange>(bob, 'ConnectionStateChanged');
    const toBob = collect<Got>(bob, 'MessageFromPeer');
    const toAlice = collect<Got>(alice, 'MessageFromPeer');
    const sends: Promise<{ hasPeerReceived: boolean }>[] = [];
    for (let i = 0; i < 10; i++) sends.push(alice.sendMessageToPeer({ text: String(i) }, 'bob'));

    proxy.pause();
    proxy.dropAll();
    await until(
      () => session('bob')?.phase === 'detached' && session('alice')?.phase === 'detached',
      5000,
      'both sessions detached',
    );
    await until(() => bob.connectionState === 'RECONNECTING' && alice.connectionState === 'RECONNECTING');
    // Both directions during the cut: sends wait in the SDK (or in the server's session queue).
    for (let i = 10; i < 30; i++) sends.push(alice.sendMessageToPeer({ text: String(i) }, 'bob'));
    for (let i = 0; i < 10; i++) sends.push(bob.sendMessageToPeer({ text: String(i) }, 'alice'));
    await sleep(1000);
    proxy.resume();

    await until(() => toBob.length >= 30 && toAlice.length >= 10, 10_000, 'every message');
    expect((await Promise.all(sends)).every((r) => r.hasPeerReceived)).toBe(true);
    await sleep(200); // no duplicate may follow
    expect(texts(toBob)).toEqual(range(0, 30));
    expect(texts(toAlice)).toEqual(range(0, 10));
    expect(bobStates).toEqual([
      ['RECONNECTING', 'INTERRUPTED'],
      ['CONNECTED', 'LOGIN_SUCCESS'],
    ]);
    // Resumed, not re-logged: the very same server session.
    expect(session('bob')).toBe(bobSession);
    expect(session('bob')?.phase).toBe('active');
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

  it('a cut longer than the grace period ends the session; the SDK logs in again by itself', async () => {
    await start({ sessionGraceMs: 300 });
    const alice = await t.login('alice');
    const bob = await viaProxy('bob');
    const before = session('bob');
    const bobStates = collect<StateChange>(bob, 'ConnectionStateChanged');
    proxy.pause();
    proxy.dropAll();
    await until(() => session('bob')?.phase === 'detached', 5000, 'bob detached');
    await until(() => session('bob') === undefined, 5000, 'bob’s session ended');
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
    const got = next<Got>(bob, 'MessageFromPeer');
    expect(await alice.sendMessageToPeer({ text: 'back' }, 'bob')).toEqual({ hasPeerReceived: true });
    expect((await got)[0].text).toBe('back');
  });

  it('the resume queue defaults to 1024 messages and the grace period to 30 s', async () => {
    const { DEFAULT_CONFIG } = await import('../../src/config.js');
    expect(DEFAULT_CONFIG.resumeBufferMessages).toBe(1024);
    expect(DEFAULT_CONFIG.sessionGraceMs).toBe(30_000);
  });
});
