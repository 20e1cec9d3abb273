import type { RtmClient } from '@parley/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ID, collect, next, setup, until } from '../helpers.js';

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
