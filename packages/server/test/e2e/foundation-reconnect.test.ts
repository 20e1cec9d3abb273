import type { RtmConfig } from '@parley/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP_ID, collect, next, setup, until } from '../helpers.js';
import { startTcpProxy, type TcpProxy } from '../tcp-proxy.js';

/** Calls across a cut link, and dead links found by heartbeats (DESIGN §4), through a TCP proxy. */

const FAST: RtmConfig = { reconnect: { baseMs: 50, capMs: 200, floorMs: 20 } };

describe('reconnecting', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let proxy: TcpProxy;
  beforeEach(async () => {
    // heartbeat 200 ms: a silent socket is judged dead after 3 intervals on either side
    t = await setup({ heartbeatMs: 200, sessionGraceMs: 5000, rateLimits: false });
    proxy = await startTcpProxy(t.server.port);
  });
  afterEach(async () => {
    await proxy.close();
    await t.cleanup();
  });

  it('a peer send issued during a cut waits and is delivered once the link is back', async () => {
    const alice = await t.login('alice', { ...FAST, serverUrl: proxy.url });
    const bob = await t.login('bob');
    const got = collect<[{ text: string }, string]>(bob, 'MessageFromPeer');
    proxy.pause('refuse');
    proxy.dropAll();
    await until(() => alice.connectionState === 'RECONNECTING');
    const sends = [1, 2, 3].map((i) => alice.sendMessageToPeer({ text: `during cut ${i}` }, 'bob'));
    // nothing leaves while the network is down
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual([]);
    proxy.resume();
    expect(await Promise.all(sends)).toEqual([1, 2, 3].map(() => ({ hasPeerReceived: true })));
    await until(() => got.length === 3);
    expect(got.map(([m, from]) => `${from}:${m.text}`)).toEqual([
      'alice:during cut 1',
      'alice:during cut 2',
      'alice:during cut 3',
    ]);
    expect(alice.connectionState).toBe('CONNECTED');
  });

  it('messages to a client whose link is cut reach it, once and in order, after it reconnects', async () => {
    const alice = await t.login('alice');
    const bob = await t.login('bob', { ...FAST, serverUrl: proxy.url });
    const got = collect<[{ text: string }]>(bob, 'MessageFromPeer');
    proxy.pause('refuse');
    proxy.dropAll();
    await until(() => bob.connectionState === 'RECONNECTING');
    await until(
      () => t.server.sessions.local(APP_ID, 'bob')?.phase === 'detached',
      2000,
      'server saw the drop',
    );
    const sends = [1, 2, 3].map((i) => alice.sendMessageToPeer({ text: String(i) }, 'bob'));
    proxy.resume();
    await until(() => got.length >= 3, 5000);
    await Promise.all(sends);
    expect(got.map(([m]) => m.text)).toEqual(['1', '2', '3']);
  });

  it('a dead socket (traffic stalls, nothing closes) is detected by heartbeats on both sides within seconds', async () => {
    const alice = await t.login('alice', { ...FAST, serverUrl: proxy.url });
    const bob = await t.login('bob');
    const changed: string[] = [];
    alice.on('ConnectionStateChanged', (s, r) => changed.push(`${s}/${r}`));
    proxy.stall();
    // client: three silent heartbeat intervals → RECONNECTING
    await until(() => alice.connectionState === 'RECONNECTING', 3000, 'client detects the dead link');
    // server: the socket is dropped and the session waits for a resume (UNREACHABLE)
    await until(
      () => t.server.sessions.local(APP_ID, 'alice')?.phase === 'detached',
      3000,
      'server detects the dead link',
    );
    proxy.resume();
    await until(() => alice.connectionState === 'CONNECTED', 5000);
    expect(changed).toEqual(['RECONNECTING/INTERRUPTED', 'CONNECTED/LOGIN_SUCCESS']);
    const got = next<[{ text: string }]>(bob, 'MessageFromPeer');
    expect(await alice.sendMessageToPeer({ text: 'alive' }, 'bob')).toEqual({ hasPeerReceived: true });
    expect((await got)[0].text).toBe('alive');
  });

  it('a link that stays dead while reconnecting (held connections) is abandoned and retried', async () => {
    const alice = await t.login('alice', { ...FAST, serverUrl: proxy.url });
    proxy.pause('hold');
    proxy.dropAll();
    await until(() => alice.connectionState === 'RECONNECTING');
    // attempts hang in the proxy; each one is given up after the attempt timeout
    await until(() => proxy.accepted >= 3, 5000, 'several attempts');
    proxy.resume();
    await until(() => alice.connectionState === 'CONNECTED', 5000);
  });
});
