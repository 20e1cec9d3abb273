import type { RtmClient } from '@parley/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ID, collect, next, setup, until } from '../helpers.js';
import { startTcpProxy } from '../tcp-proxy.js';

/**
 * The same node-to-node behaviour on both multi-node setups: three in-process nodes sharing
 * in-memory adapters, and two nodes sharing a real Redis. Clients go to the nodes round-robin.
 */
const MODES = [
  ['three nodes, shared memory adapters', { nodes: 3 }],
  ['two nodes on Redis', { cluster: 2 }],
] as const;

describe.each(MODES)('across nodes: %s', (_name, mode) => {
  let t: Awaited<ReturnType<typeof setup>> | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });

  /** the node a user's session lives on */
  const nodeOf = (uid: string) => t!.servers.findIndex((s) => s.sessions.local(APP_ID, uid));

  it('delivers peer messages to another node, acknowledged, once and in order', async () => {
    t = await setup({ ...mode, rateLimits: false });
    const alice = await t.login('alice');
    const bob = await t.login('bob');
    expect(nodeOf('alice')).toBe(0);
    expect(nodeOf('bob')).toBe(1);
    const got = collect<[{ text: string }, string]>(bob, 'MessageFromPeer');
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => alice.sendMessageToPeer({ text: String(i) }, 'bob')),
    );
    expect(results.every((r) => r.hasPeerReceived)).toBe(true);
    await until(() => got.length >= 300);
    expect(got.map((g) => Number(g[0].text))).toEqual([...Array(300).keys()]);
    expect(got.every((g) => g[1] === 'alice')).toBe(true);
    // and back
    const back = next<[{ text: string }, string]>(alice, 'MessageFromPeer');
    expect(await bob.sendMessageToPeer({ text: 'pong' }, 'alice')).toEqual({ hasPeerReceived: true });
    expect((await back)[0].text).toBe('pong');
  });

  it('ends the session on the first node with REMOTE_LOGIN when the user logs in on another', async () => {
    t = await setup(mode);
    const first = await t.login('alice');
    expect(nodeOf('alice')).toBe(0);
    const aborted = next<[string, string]>(first, 'ConnectionStateChanged', 5000);
    const second = await t.login('alice');
    expect(await aborted).toEqual(['ABORTED', 'REMOTE_LOGIN']);
    expect(nodeOf('alice')).toBe(1);
    expect(t.servers[0]!.sessions.local(APP_ID, 'alice')).toBeUndefined();
    // the new session is the one messages reach
    const bob: RtmClient = await t.login('bob');
    const got = next<[{ text: string }]>(second, 'MessageFromPeer');
    expect(await bob.sendMessageToPeer({ text: 'hi' }, 'alice')).toEqual({ hasPeerReceived: true });
    expect((await got)[0].text).toBe('hi');
  });

  it('a client replaced while it was reconnecting, coming back through another node, stops with REMOTE_LOGIN', async () => {
    t = await setup(mode);
    const [toA, toB] = await Promise.all([
      startTcpProxy(t.servers[0]!.port),
      startTcpProxy(t.servers[1]!.port),
    ]);
    try {
      // The first device reaches the nodes through a load balancer (a URL list): node A now.
      toB.pause('refuse');
      const first = t.client({
        serverUrl: [toA.url, toB.url],
        reconnect: { baseMs: 50, capMs: 200, floorMs: 20 },
      });
      await first.login({ uid: 'alice' });
      const seen = collect<[string, string]>(first, 'ConnectionStateChanged');
      toA.pause('refuse');
      toA.dropAll();
      await until(() => first.connectionState === 'RECONNECTING');
      // Meanwhile the second device logs in; node A ends the first session (REMOTE_LOGIN).
      const second = await t.login('alice', { serverUrl: t.servers[1]!.wsUrl });
      // The first device comes back through node B, which never held its session: it must learn
      // it was replaced, not log in again and kick the second device out.
      toB.resume();
      await until(() => first.connectionState === 'ABORTED', 10_000, 'the first device aborted');
      expect(seen).toEqual([
        ['RECONNECTING', 'INTERRUPTED'],
        ['ABORTED', 'REMOTE_LOGIN'],
      ]);
      expect(second.connectionState).toBe('CONNECTED');
      expect(t.servers[1]!.sessions.local(APP_ID, 'alice')).toBeDefined();
    } finally {
      await Promise.all([toA.close(), toB.close()]);
    }
  });

  it("a logout while reconnecting reaches the session's node through another node (farewell)", async () => {
    t = await setup({ ...mode, sessionGraceMs: 60_000 });
    const [toA, toB] = await Promise.all([
      startTcpProxy(t.servers[0]!.port),
      startTcpProxy(t.servers[1]!.port),
    ]);
    try {
      toB.pause('refuse');
      const alice = t.client({
        serverUrl: [toA.url, toB.url],
        reconnect: { baseMs: 50, capMs: 200, floorMs: 20 },
      });
      await alice.login({ uid: 'alice' });
      const bob = await t.login('bob', { serverUrl: t.servers[1]!.wsUrl });
      const status = collect<[Record<string, string>]>(bob, 'PeersOnlineStatusChanged');
      await bob.subscribePeersOnlineStatus(['alice']);
      toA.pause('refuse');
      toA.dropAll();
      await until(() => alice.connectionState === 'RECONNECTING');
      await alice.logout();
      // Node A stays out of reach; node B takes the farewell and hands it to node A.
      toB.resume();
      await until(() => status.some(([m]) => m.alice === 'OFFLINE'), 15_000, 'OFFLINE');
      expect(t.servers[0]!.sessions.local(APP_ID, 'alice')).toBeUndefined();
      expect(alice.connectionState).toBe('DISCONNECTED');
    } finally {
      await Promise.all([toA.close(), toB.close()]);
    }
  });

  it('fans channel messages out to members on every node, never back to the sender', async () => {
    t = await setup({ ...mode, rateLimits: false });
    const users = ['u0', 'u1', 'u2', 'u3'];
    const clients = await Promise.all(users.map((u) => t!.login(u)));
    const channels = clients.map((c) => c.createChannel('room'));
    for (const ch of channels) await ch.join();
    const got = channels.map((ch) => collect<[{ text: string }, string]>(ch, 'ChannelMessage'));
    for (let i = 0; i < 50; i++) await channels[0]!.sendMessage({ text: String(i) });
    await until(() => got.slice(1).every((g) => g.length >= 50));
    for (const g of got.slice(1)) expect(g.map((x) => Number(x[0].text))).toEqual([...Array(50).keys()]);
    expect(got[0]).toHaveLength(0);
  });
});
