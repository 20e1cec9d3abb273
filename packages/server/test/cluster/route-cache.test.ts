import type { RtmClient } from '@parley/sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryBus, createEmbeddedStore } from '../../src/adapters/embedded/index.js';
import { createLogger } from '../../src/logger.js';
import { NodeMesh } from '../../src/cluster/node-mesh.js';
import { RouteCache } from '../../src/cluster/route-cache.js';
import { APP_ID, collect, next, setup, until } from '../helpers.js';
import { signalingClients } from '../signaling-client.js';

/**
 * Peer messages to users on other nodes use a cached route (which node holds the session) instead
 * of a registry read per message; a login anywhere makes every node forget the user's route.
 */
describe.each([
  ['three nodes, shared memory adapters', { nodes: 3 }],
  ['three nodes on Redis', { cluster: 3 }],
] as const)('routes to other nodes: %s', (_name, mode) => {
  let t: Awaited<ReturnType<typeof setup>> | undefined;
  const cleanups: Array<() => void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) c();
    await t?.cleanup();
    t = undefined;
  });

  it('are cached after the first message; a login elsewhere moves them, and messages follow the user', async () => {
    t = await setup({ ...mode, rateLimits: false });
    const [n1, n2, n3] = t.servers;
    const alice = await t.login('alice', { serverUrl: n1!.wsUrl });
    const bob = await t.login('bob', { serverUrl: n2!.wsUrl });
    expect(n1!.routes.cached(APP_ID, 'bob')).toBeUndefined();
    // (bob's login announcement may reach n1 after the first send cached the route and drop it
    // again: send until the route is cached)
    const sendUntilCached = (text: string, node: string) =>
      expect
        .poll(
          async () => {
            expect(await alice.sendMessageToPeer({ text }, 'bob')).toEqual({ hasPeerReceived: true });
            return n1!.routes.cached(APP_ID, 'bob');
          },
          { timeout: 5000 },
        )
        .toBe(node);
    await sendUntilCached('1', n2!.config.nodeId);

    // bob's new device logs in on the third node: the first one is replaced…
    const aborted = next<[string, string]>(bob, 'ConnectionStateChanged');
    const bob2: RtmClient = await t.login('bob', { serverUrl: n3!.wsUrl });
    expect(await aborted).toEqual(['ABORTED', 'REMOTE_LOGIN']);
    // …and every node forgot where bob was (the login's announcement)
    await until(() => n1!.routes.cached(APP_ID, 'bob') === undefined, 5000, 'n1 forgot bob');
    const got = collect<[{ text: string }]>(bob2, 'MessageFromPeer');
    expect(await alice.sendMessageToPeer({ text: '2' }, 'bob')).toEqual({ hasPeerReceived: true });
    expect(got.map(([m]) => m.text)).toEqual(['2']);
    expect(n1!.routes.cached(APP_ID, 'bob')).toBe(n3!.config.nodeId);

    // bob's second device logs out and a third logs in on n2 (announced, so n1 forgets): a
    // Signaling user on n1 caches that route, then bob logs out there too (no announcement)…
    await bob2.logout();
    const bob3 = await t.login('bob', { serverUrl: n2!.wsUrl });
    await until(() => n1!.routes.cached(APP_ID, 'bob') === undefined, 5000, 'n1 heard the login');
    const sig = signalingClients(t.servers);
    cleanups.push(sig.cleanup);
    const carol = sig.create({ serverUrl: n1!.wsUrl });
    await carol.login('carol');
    const got3 = collect<[{ text: string }]>(bob3, 'MessageFromPeer');
    carol.api.messageInstantSend('bob', 0, 'from Signaling', 'm1');
    await until(() => got3.length === 1, 5000, 'the Signaling message');
    expect(n1!.routes.cached(APP_ID, 'bob')).toBe(n2!.config.nodeId);
    await bob3.logout();
    // …a one-way delivery (Signaling's) on the stale route is lost, and the node that had no
    // session for it tells n1 to forget the route
    carol.api.messageInstantSend('bob', 0, 'nobody there', 'm2');
    await until(() => n1!.routes.cached(APP_ID, 'bob') === undefined, 5000, 'route.gone');

    // bob logs in on n3 and out again: the cached route answers "not here", is forgotten, and the
    // next send reads the registry (offline: not received)
    const bob4 = await t.login('bob', { serverUrl: n3!.wsUrl });
    await sendUntilCached('2b', n3!.config.nodeId);
    await bob4.logout();
    expect(await alice.sendMessageToPeer({ text: '3' }, 'bob')).toEqual({ hasPeerReceived: false });
    expect(n1!.routes.cached(APP_ID, 'bob')).toBeUndefined();
    expect(await alice.sendMessageToPeer({ text: '4' }, 'bob')).toEqual({ hasPeerReceived: false });
    expect(n1!.routes.cached(APP_ID, 'bob')).toBeUndefined();
  });
});

describe('RouteCache', () => {
  const log = createLogger('silent');
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    vi.useRealTimers();
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function node(bus: MemoryBus, store: ReturnType<typeof createEmbeddedStore>, id: string) {
    const mesh = new NodeMesh(bus, id, log);
    await mesh.start();
    const routes = new RouteCache(store, mesh);
    await routes.start();
    cleanups.push(async () => {
      await routes.close();
      await mesh.close();
    });
    return routes;
  }

  it('caches remote nodes only, expires entries after 30 s, and caches nothing on a lone node', async () => {
    const store = createEmbeddedStore({ dataDir: null });
    const shared = new MemoryBus({ shared: true });
    const a = await node(shared, store, 'a');
    await store.sessions.claim(APP_ID, 'bob', { nodeId: 'b', sessionId: 's1', state: 'ONLINE' });
    await store.sessions.claim(APP_ID, 'me', { nodeId: 'a', sessionId: 's2', state: 'ONLINE' });
    vi.useFakeTimers({ toFake: ['Date'] });
    expect(await a.remoteNode(APP_ID, 'bob')).toBe('b');
    expect(a.cached(APP_ID, 'bob')).toBe('b');
    expect(await a.remoteNode(APP_ID, 'me')).toBeNull(); // on this node: not a route
    expect(await a.remoteNode(APP_ID, 'nobody')).toBeNull();
    expect(a.cached(APP_ID, 'nobody')).toBeUndefined();
    vi.setSystemTime(Date.now() + 30_001);
    expect(a.cached(APP_ID, 'bob')).toBeUndefined();
    a.forget(APP_ID, 'bob');

    const lone = await node(new MemoryBus(), store, 'z');
    expect(await lone.remoteNode(APP_ID, 'bob')).toBe('b');
    expect(lone.cached(APP_ID, 'bob')).toBeUndefined();
  });

  it('clear() (the bus is back from an outage) drops every route', async () => {
    const store = createEmbeddedStore({ dataDir: null });
    const a = await node(new MemoryBus({ shared: true }), store, 'a');
    await store.sessions.claim(APP_ID, 'bob', { nodeId: 'b', sessionId: 's1', state: 'ONLINE' });
    await a.remoteNode(APP_ID, 'bob');
    expect(a.cached(APP_ID, 'bob')).toBe('b');
    a.clear();
    expect(a.cached(APP_ID, 'bob')).toBeUndefined();
  });

  it('a login announced by another node, or on this one, drops the route', async () => {
    const store = createEmbeddedStore({ dataDir: null });
    const bus = new MemoryBus({ shared: true });
    const a = await node(bus, store, 'a');
    const c = await node(bus, store, 'c');
    await store.sessions.claim(APP_ID, 'bob', { nodeId: 'b', sessionId: 's1', state: 'ONLINE' });
    await a.remoteNode(APP_ID, 'bob');
    await c.remoteNode(APP_ID, 'bob');
    await c.claimed(APP_ID, 'bob');
    expect(c.cached(APP_ID, 'bob')).toBeUndefined();
    await until(() => a.cached(APP_ID, 'bob') === undefined, 5000, 'the announcement');
  });
});
