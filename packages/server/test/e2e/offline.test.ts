import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Op, PeerMessageError, type PeerMessageEvent, type PeerSendResponse } from '@parley/protocol';
import type { RtmClient } from '@parley/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config.js';
import { APP_ID, collect, next, setup, until } from '../helpers.js';
import { RawClient } from '../raw-client.js';

type Got = [{ text: string }, string, { serverReceivedTs: number; isOfflineMessage: boolean }];
const OFFLINE = { enableOfflineMessaging: true };
const texts = (got: Got[]) => got.map((g) => g[0].text);

// Offline messages over both embedded inboxes: memory (dataDir null) and SQLite (a temp dir).
describe.each([
  ['memory', false],
  ['sqlite', true],
])('offline messages (%s inbox)', (_name, durable) => {
  let t: Awaited<ReturnType<typeof setup>>;
  let dir: string | null = null;
  const start = async (cfg: Partial<ServerConfig> = {}) => {
    dir = durable ? mkdtempSync(join(tmpdir(), 'parley-offline-')) : null;
    t = await setup({ rateLimits: false, dataDir: dir, ...cfg });
  };
  afterEach(async () => {
    await t.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Logs `uid` in and resolves with the first `n` messages it receives. */
  const loginAndReceive = async (uid: string, n: number): Promise<{ c: RtmClient; got: Got[] }> => {
    const c = t.client();
    const got = collect<Got>(c, 'MessageFromPeer');
    await c.login({ uid });
    await until(() => got.length >= n, 5000, `${n} messages for ${uid}`);
    return { c, got };
  };

  it('caches a message for an offline peer and delivers it at login, marked offline', async () => {
    await start();
    const alice = await t.login('alice');
    const before = Date.now();
    expect(await alice.sendMessageToPeer({ text: 'while you were out' }, 'bob', OFFLINE)).toEqual({
      hasPeerReceived: false,
    });
    const { got } = await loginAndReceive('bob', 1);
    const [msg, from, props] = got[0]!;
    expect(msg).toEqual({ text: 'while you were out', messageType: 'TEXT' });
    expect(from).toBe('alice');
    expect(props.isOfflineMessage).toBe(true);
    expect(props.serverReceivedTs).toBeGreaterThanOrEqual(before - 5);
    expect(props.serverReceivedTs).toBeLessThanOrEqual(Date.now());
  });

  it('delivers raw offline messages byte for byte', async () => {
    await start();
    const alice = await t.login('alice');
    const raw = new Uint8Array([0, 1, 2, 250, 255]);
    await alice.sendMessageToPeer({ rawMessage: raw, description: 'bin' }, 'bob', OFFLINE);
    const bob = t.client();
    const got = next<
      [{ rawMessage: Uint8Array; description: string }, string, { isOfflineMessage: boolean }]
    >(bob, 'MessageFromPeer');
    await bob.login({ uid: 'bob' });
    const [msg, , props] = await got;
    expect([...msg.rawMessage]).toEqual([...raw]);
    expect(msg.description).toBe('bin');
    expect(props.isOfflineMessage).toBe(true);
  });

  it('delivers every cached message once, in each sender’s order', async () => {
    await start();
    const alice = await t.login('alice');
    const carol = await t.login('carol');
    const sends = [];
    for (let i = 0; i < 60; i++)
      sends.push((i % 2 ? carol : alice).sendMessageToPeer({ text: String(i) }, 'bob', OFFLINE));
    expect((await Promise.all(sends)).every((r) => !r.hasPeerReceived)).toBe(true);
    const { got } = await loginAndReceive('bob', 60);
    await new Promise((r) => setTimeout(r, 200)); // no duplicate may follow
    expect(got.length).toBe(60);
    expect(got.every((g) => g[2].isOfflineMessage)).toBe(true);
    // Order holds per sender (two senders' messages may interleave either way).
    const from = (uid: string) => got.filter((g) => g[1] === uid).map((g) => Number(g[0].text));
    expect(from('alice')).toEqual([...Array(30).keys()].map((i) => i * 2));
    expect(from('carol')).toEqual([...Array(30).keys()].map((i) => i * 2 + 1));
  });

  it('removes messages once the receiving SDK acked them', async () => {
    await start();
    const alice = await t.login('alice');
    await alice.sendMessageToPeer({ text: 'one' }, 'bob', OFFLINE);
    const first = await loginAndReceive('bob', 1);
    await first.c.logout();
    // A sentinel sent after the logout: the next login sees it first if nothing else was left.
    await alice.sendMessageToPeer({ text: 'sentinel' }, 'bob', OFFLINE);
    const second = await loginAndReceive('bob', 1);
    expect(texts(second.got)).toEqual(['sentinel']);
  });

  it('keeps a message the receiver did not ack, and delivers it at the next login', async () => {
    await start();
    const alice = await t.login('alice');
    await alice.sendMessageToPeer({ text: 'unacked' }, 'bob', OFFLINE);
    // A bare client that never acks, then logs out.
    const raw = await RawClient.connect(t.server.wsUrl);
    expect((await raw.login({ appId: APP_ID, uid: 'bob' })).code).toBe(0);
    await until(
      () => raw.events.some((e) => e.op === Op.PeerMessage),
      5000,
      'the raw client got the message',
    );
    const ev = raw.events.find((e) => e.op === Op.PeerMessage)!.body as PeerMessageEvent;
    expect(ev).toMatchObject({ from: 'alice', msg: { type: 'TEXT', text: 'unacked' }, offline: true });
    expect((await raw.request(Op.Logout, null)).code).toBe(0);
    raw.close();
    const { got } = await loginAndReceive('bob', 1);
    expect(texts(got)).toEqual(['unacked']);
  });

  it('reports cached:true on the wire (Java CACHED_BY_SERVER) and does not cache without the option', async () => {
    await start();
    const raw = await RawClient.connect(t.server.wsUrl);
    await raw.login({ appId: APP_ID, uid: 'alice' });
    const msg = { type: 'TEXT', text: 'x' };
    const cached = await raw.request<PeerSendResponse>(Op.PeerSend, { to: 'bob', msg, offline: true });
    expect(cached.code).toBe(0);
    expect(cached.body).toMatchObject({ received: false, cached: true });
    const plain = await raw.request<PeerSendResponse>(Op.PeerSend, {
      to: 'bob',
      msg: { type: 'TEXT', text: 'not kept' },
    });
    expect(plain.body).toMatchObject({ received: false, cached: false });
    const bad = await raw.request(Op.PeerSend, { to: 'bob', msg, offline: 'yes' });
    expect(bad.code).toBe(PeerMessageError.INVALID_MESSAGE);
    raw.close();
    const { got } = await loginAndReceive('bob', 1);
    await new Promise((r) => setTimeout(r, 200)); // nothing else may follow
    expect(texts(got)).toEqual(['x']);
  });

  it('an online peer gets the message live (not marked offline), and it is not kept', async () => {
    await start();
    const alice = await t.login('alice');
    const bob = t.client();
    const got = collect<Got>(bob, 'MessageFromPeer');
    await bob.login({ uid: 'bob' });
    expect(await alice.sendMessageToPeer({ text: 'live' }, 'bob', OFFLINE)).toEqual({
      hasPeerReceived: true,
    });
    expect(got[0]![2].isOfflineMessage).toBe(false);
    await bob.logout();
    await alice.sendMessageToPeer({ text: 'sentinel' }, 'bob', OFFLINE);
    const again = await loginAndReceive('bob', 1);
    expect(texts(again.got)).toEqual(['sentinel']);
  });

  it('keeps send order when offline and plain messages are mixed', async () => {
    await start();
    const alice = await t.login('alice');
    const { got } = await loginAndReceive('bob', 0);
    const sends = [];
    for (let i = 0; i < 40; i++)
      sends.push(alice.sendMessageToPeer({ text: String(i) }, 'bob', i % 3 === 0 ? OFFLINE : undefined));
    expect((await Promise.all(sends)).every((r) => r.hasPeerReceived)).toBe(true);
    await until(() => got.length >= 40);
    expect(texts(got)).toEqual([...Array(40).keys()].map(String));
  });

  it('messages sent while the receiver logs in arrive once and in order', async () => {
    await start();
    const alice = await t.login('alice');
    const bob = t.client();
    const got = collect<Got>(bob, 'MessageFromPeer');
    const sends = [];
    for (let i = 0; i < 20; i++) sends.push(alice.sendMessageToPeer({ text: String(i) }, 'bob', OFFLINE));
    const login = bob.login({ uid: 'bob' });
    for (let i = 20; i < 120; i++) {
      sends.push(alice.sendMessageToPeer({ text: String(i) }, 'bob', OFFLINE));
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    await login;
    await Promise.all(sends);
    await until(() => got.length >= 120);
    await new Promise((r) => setTimeout(r, 200)); // no duplicate may follow
    expect(texts(got)).toEqual([...Array(120).keys()].map(String));
  });

  it('keeps at most offlineMaxPerUser messages per receiver, dropping the oldest', async () => {
    await start({ offlineMaxPerUser: 3 });
    const alice = await t.login('alice');
    for (let i = 0; i < 5; i++) await alice.sendMessageToPeer({ text: String(i) }, 'bob', OFFLINE);
    const { got } = await loginAndReceive('bob', 3);
    await new Promise((r) => setTimeout(r, 200)); // nothing else may follow
    expect(texts(got)).toEqual(['2', '3', '4']);
  });

  it('does not deliver messages older than offlineTtlMs', async () => {
    await start({ offlineTtlMs: 300 });
    const alice = await t.login('alice');
    await alice.sendMessageToPeer({ text: 'stale' }, 'bob', OFFLINE);
    await new Promise((r) => setTimeout(r, 400)); // let it expire
    await alice.sendMessageToPeer({ text: 'fresh' }, 'bob', OFFLINE);
    // Delivery is in order, so a stale message would arrive before the fresh one.
    const { got } = await loginAndReceive('bob', 1);
    expect(texts(got)).toEqual(['fresh']);
  });
});

describe('offline message defaults', () => {
  it('keep 200 messages per receiver for 7 days', async () => {
    const { DEFAULT_CONFIG } = await import('../../src/config.js');
    expect(DEFAULT_CONFIG.offlineMaxPerUser).toBe(200);
    expect(DEFAULT_CONFIG.offlineTtlMs).toBe(7 * 24 * 3600 * 1000);
  });
  it('remember an idempotency key for 1 hour (docs/configuration.md)', async () => {
    const { DEFAULT_CONFIG } = await import('../../src/config.js');
    expect(DEFAULT_CONFIG.sendKeyTtlMs).toBe(3600 * 1000);
  });
});

// Sender and receiver on different nodes: the inbox is shared, the live copy goes over the mesh.
describe.each([
  ['three nodes, shared memory adapters', { nodes: 3 }],
  ['two nodes on Redis', { cluster: 2 }],
] as const)('offline messages across nodes: %s', (_name, mode) => {
  let t: Awaited<ReturnType<typeof setup>> | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });
  const nodeOf = (uid: string) => t!.servers.findIndex((s) => s.sessions.local(APP_ID, uid));

  it('stores on one node, delivers at login on another, once and in order', async () => {
    t = await setup({ ...mode, rateLimits: false });
    const alice = await t.login('alice'); // node 0
    const sends = [];
    for (let i = 0; i < 30; i++) sends.push(alice.sendMessageToPeer({ text: String(i) }, 'bob', OFFLINE));
    expect((await Promise.all(sends)).every((r) => !r.hasPeerReceived)).toBe(true);
    const bob = t.client(); // node 1
    const got = collect<Got>(bob, 'MessageFromPeer');
    await bob.login({ uid: 'bob' });
    expect(nodeOf('alice')).not.toBe(nodeOf('bob'));
    await until(() => got.length >= 30, 5000, '30 messages');
    await new Promise((r) => setTimeout(r, 200)); // no duplicate may follow
    expect(texts(got)).toEqual([...Array(30).keys()].map(String));
    expect(got.every((g) => g[2].isOfflineMessage)).toBe(true);
  });

  it('delivers live to a peer on another node and removes the stored copy on its ack', async () => {
    t = await setup({ ...mode, rateLimits: false });
    const alice = await t.login('alice');
    const bob = t.client();
    const got = collect<Got>(bob, 'MessageFromPeer');
    await bob.login({ uid: 'bob' });
    expect(nodeOf('alice')).not.toBe(nodeOf('bob'));
    const sends = [];
    for (let i = 0; i < 20; i++) sends.push(alice.sendMessageToPeer({ text: String(i) }, 'bob', OFFLINE));
    expect((await Promise.all(sends)).every((r) => r.hasPeerReceived)).toBe(true);
    expect(texts(got)).toEqual([...Array(20).keys()].map(String));
    expect(got.every((g) => !g[2].isOfflineMessage)).toBe(true);
    await bob.logout();
    await alice.sendMessageToPeer({ text: 'sentinel' }, 'bob', OFFLINE);
    const again = t.client();
    const got2 = collect<Got>(again, 'MessageFromPeer');
    await again.login({ uid: 'bob' });
    await until(() => got2.length >= 1, 5000, 'the sentinel');
    await new Promise((r) => setTimeout(r, 200));
    expect(texts(got2)).toEqual(['sentinel']);
  });
});
