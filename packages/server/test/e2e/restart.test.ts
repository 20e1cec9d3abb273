import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AgoraRTM, { type RtmClient } from '@parley/sdk';
import { startTestServer, type ParleyServer } from '@parley/server/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Op, encodeEvent, type PeerMessageEvent } from '@parley/protocol';
import { APP_ID, collect, next, until } from '../helpers.js';
import { RawClient } from '../raw-client.js';
import { startTcpProxy } from '../tcp-proxy.js';

type Got = [{ text: string }, string, { isOfflineMessage: boolean }];
type StateChange = [string, string];
const FAST = { reconnect: { baseMs: 50, capMs: 200, floorMs: 20 } };

/** Polls an async condition until it holds (rejects after `ms`). */
async function eventually(cond: () => Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const members = (ch: { getMembers(): Promise<string[]> }) => ch.getMembers().catch(() => [] as string[]);

/**
 * A graceful restart on the same port and data dir: clients come back by themselves (a new
 * login, since the sessions are gone, then their channels again) and durable data (offline
 * inbox, channel history) is still there.
 */
describe('server restart on the same port and data dir', () => {
  let dir: string;
  let server: ParleyServer | null = null;
  const clients: RtmClient[] = [];
  const client = (serverUrl = `ws://127.0.0.1:${server!.port}/rtm`): RtmClient => {
    const c = AgoraRTM.createInstance(APP_ID, { serverUrl, ...FAST });
    clients.push(c);
    return c;
  };
  const boot = (port = 0) => startTestServer({ port, dataDir: dir, rateLimits: false, sessionGraceMs: 500 });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-restart-'));
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.release();
    await server?.close();
    server = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('clients log in again by themselves, rejoin their channels, and messaging works; offline messages survive', async () => {
    server = await boot();
    const port = server.port;
    const alice = client();
    const bob = client();
    await alice.login({ uid: 'alice' });
    await bob.login({ uid: 'bob' });
    const aliceRoom = alice.createChannel('room');
    const bobRoom = bob.createChannel('room');
    await aliceRoom.join();
    await bobRoom.join();
    for (let i = 0; i < 5; i++)
      await alice.sendMessageToPeer({ text: `kept ${i}` }, 'carol', { enableOfflineMessaging: true });
    const aliceStates = collect<StateChange>(alice, 'ConnectionStateChanged');
    const bobStates = collect<StateChange>(bob, 'ConnectionStateChanged');

    await server.close();
    await until(
      () => alice.connectionState === 'RECONNECTING' && bob.connectionState === 'RECONNECTING',
      5000,
      'clients reconnecting',
    );
    server = await boot(port);
    await until(
      () => alice.connectionState === 'CONNECTED' && bob.connectionState === 'CONNECTED',
      10_000,
      'clients back',
    );
    for (const states of [aliceStates, bobStates])
      expect(states).toEqual([
        ['RECONNECTING', 'INTERRUPTED'],
        ['CONNECTED', 'LOGIN_SUCCESS'],
      ]);

    // Both SDKs joined the channel again by themselves.
    await eventually(async () => (await members(bobRoom)).length === 2, 5000, 'both members back');
    const inRoom = next<Got>(bobRoom, 'ChannelMessage');
    await aliceRoom.sendMessage({ text: 'channel after restart' });
    expect((await inRoom)[0].text).toBe('channel after restart');

    const got = next<Got>(bob, 'MessageFromPeer');
    expect(await alice.sendMessageToPeer({ text: 'after restart' }, 'bob')).toEqual({
      hasPeerReceived: true,
    });
    expect((await got)[0].text).toBe('after restart');

    const carol = client();
    const toCarol = collect<Got>(carol, 'MessageFromPeer');
    await carol.login({ uid: 'carol' });
    await until(() => toCarol.length >= 5, 5000, 'carol’s offline messages');
    expect(toCarol.map((g) => g[0].text)).toEqual([0, 1, 2, 3, 4].map((i) => `kept ${i}`));
    expect(toCarol.every((g) => g[2].isOfflineMessage && g[1] === 'alice')).toBe(true);
  });

  it('a sender waiting on a restart gets its message through once the server is back', async () => {
    server = await boot();
    const port = server.port;
    const alice = client();
    const bob = client();
    await alice.login({ uid: 'alice' });
    await bob.login({ uid: 'bob' });
    await server.close();
    await until(() => alice.connectionState === 'RECONNECTING', 5000, 'alice reconnecting');
    // Sent while the server is down: waits in the SDK, goes out on the new session. Whether bob is
    // back before or after it, it reaches him once (live, or from the inbox).
    const sent = alice.sendMessageToPeer({ text: 'queued' }, 'bob', { enableOfflineMessaging: true });
    const got = collect<Got>(bob, 'MessageFromPeer');
    server = await boot(port);
    await sent;
    await until(() => got.length >= 1, 10_000, 'the queued message');
    await new Promise((r) => setTimeout(r, 200)); // no duplicate may follow
    expect(got.map((g) => g[0].text)).toEqual(['queued']);
  });

  it('a message in flight at shutdown is answered before the session ends, and not sent again', async () => {
    server = await boot();
    const port = server.port;
    const alice = client();
    await alice.login({ uid: 'alice' });
    // bob: a bare client that acks only when the test says so
    const raw = await RawClient.connect(server.wsUrl);
    expect((await raw.login({ appId: APP_ID, uid: 'bob' })).code).toBe(0);
    const sent = alice.sendMessageToPeer({ text: 'in flight' }, 'bob');
    await until(() => raw.events.some((e) => e.op === Op.PeerMessage), 5000, 'bob got it');
    const closing = server.close();
    const ev = raw.events.find((e) => e.op === Op.PeerMessage)!.body as PeerMessageEvent;
    raw.ws.send(encodeEvent(Op.PeerAck, { id: ev.id }));
    expect(await sent).toEqual({ hasPeerReceived: true });
    await closing;
    raw.close();
    server = await boot(port);
    const bob = client();
    const got = collect<Got>(bob, 'MessageFromPeer');
    await bob.login({ uid: 'bob' });
    await until(() => alice.connectionState === 'CONNECTED', 10_000, 'alice back');
    await new Promise((r) => setTimeout(r, 300)); // nothing may be sent again
    expect(got).toEqual([]);
    expect(raw.events.filter((e) => e.op === Op.PeerMessage)).toHaveLength(1);
  });

  it('channel history is durable: a member cut off across the restart gets what it missed', async () => {
    server = await boot();
    const port = server.port;
    const proxy = await startTcpProxy(port);
    try {
      const alice = client();
      const bob = client(proxy.url);
      await alice.login({ uid: 'alice' });
      await bob.login({ uid: 'bob' });
      const aliceRoom = alice.createChannel('room');
      const bobRoom = bob.createChannel('room');
      await aliceRoom.join();
      await bobRoom.join();
      const got = collect<Got>(bobRoom, 'ChannelMessage');
      await aliceRoom.sendMessage({ text: 'before' });
      await until(() => got.length === 1, 5000, 'the first message');
      proxy.pause();
      proxy.dropAll();
      await until(() => server!.sessions.local(APP_ID, 'bob')?.phase === 'detached', 5000, 'bob cut off');
      // Only bob's session queue and the channel history hold this one; the queue dies with the server.
      await aliceRoom.sendMessage({ text: 'missed' });
      await server.close();
      server = await boot(port);
      proxy.resume();
      await until(() => got.length >= 2, 10_000, 'the missed message, from the history');
      await eventually(async () => (await members(aliceRoom)).length === 2, 5000, 'both members back');
      const live = next<Got>(bobRoom, 'ChannelMessage');
      await aliceRoom.sendMessage({ text: 'after' });
      await live;
      expect(got.map((g) => g[0].text)).toEqual(['before', 'missed', 'after']);
    } finally {
      await proxy.close();
    }
  });
});
