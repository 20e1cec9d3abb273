import { Op } from '@parley/protocol';
import AgoraRTM, { type PeersOnlineStatusMap, type RtmClient, type RtmConfig } from '@parley/sdk';
import { startTestServer } from '@parley/server/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus, createEmbeddedStore } from '../../src/adapters/embedded/index.js';
import { APP_ID, next, setup, until } from '../helpers.js';
import { startTcpProxy, type TcpProxy } from '../tcp-proxy.js';
import { RawClient } from '../raw-client.js';

/** A logged-in protocol client without the SDK, to check what the server enforces by itself. */
async function rawSession(url: string): Promise<RawClient> {
  const raw = await RawClient.connect(url);
  expect((await raw.login({ appId: APP_ID, uid: 'raw' })).code).toBe(0);
  return raw;
}

/** Fast reconnects, so tests that cut a link do not wait on the default backoff. */
const FAST: RtmConfig = { reconnect: { baseMs: 50, capMs: 200, floorMs: 20 } };

/** Records every PeersOnlineStatusChanged of a client. */
function watch(c: RtmClient) {
  const events: PeersOnlineStatusMap[] = [];
  c.on('PeersOnlineStatusChanged', (m) => events.push({ ...m }));
  const history = (peer: string) => events.filter((e) => Object.hasOwn(e, peer)).map((e) => e[peer]);
  return {
    events,
    history,
    /** waits until the last state reported for `peer` is `state` */
    until: (peer: string, state: string) =>
      until(() => history(peer).at(-1) === state, 5000, `${peer} ${state}`),
  };
}

const ids = (n: number, prefix = 'u') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rejection(p: Promise<unknown>): Promise<{ name: string; code: number }> {
  try {
    await p;
  } catch (e) {
    return e as { name: string; code: number };
  }
  throw new Error('expected a rejection');
}

describe('presence', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let proxy: TcpProxy | null = null;
  afterEach(async () => {
    await proxy?.close();
    proxy = null;
    await t?.cleanup();
  });

  /** the user's live session on whichever node holds it (tests may run on several nodes) */
  const sessionOf = (uid: string) =>
    t.servers.map((s) => s.sessions.local(APP_ID, uid)).find((x) => x !== undefined);

  /** a client whose link to the server goes through a TCP proxy the test can cut */
  const viaProxy = async (uid: string) => {
    proxy ??= await startTcpProxy(t.server.port);
    return t.login(uid, { ...FAST, serverUrl: proxy.url });
  };

  describe('queryPeersOnlineStatus', () => {
    it('answers true for ONLINE and UNREACHABLE peers, false for offline ones', async () => {
      t = await setup({ rateLimits: false, sessionGraceMs: 10_000 });
      const alice = await t.login('alice');
      await t.login('bob');
      await viaProxy('carol');
      proxy!.pause();
      proxy!.dropAll();
      await until(() => sessionOf('carol')?.phase === 'detached');
      const r = await alice.queryPeersOnlineStatus(['bob', 'carol', 'dave', 'alice']);
      expect(r).toEqual({ bob: true, carol: true, dave: false, alice: true });
    });

    it('accepts 256 ids and answers for each, __proto__ included', async () => {
      t = await setup({ rateLimits: false });
      const alice = await t.login('alice');
      await t.login('__proto__');
      const r = await alice.queryPeersOnlineStatus([...ids(255), '__proto__']);
      expect(Object.keys(r)).toHaveLength(256);
      expect(Object.hasOwn(r, '__proto__')).toBe(true);
      expect(Object.getOwnPropertyDescriptor(r, '__proto__')?.value).toBe(true);
      expect(r.u0).toBe(false);
    });

    it('rejects bad id lists with INVALID_ARGUMENT (2)', async () => {
      t = await setup({ rateLimits: false });
      const alice = await t.login('alice');
      for (const bad of [[], ids(257), ['null'], [''], ['x'.repeat(65)], ['ok', 'bad/id'], 'bob', null]) {
        const e = await rejection(alice.queryPeersOnlineStatus(bad as string[]));
        expect(e.code).toBe(2);
        expect(e.name).toBe('RtmInvalidArgumentError');
      }
    });

    it('rejects with 102 when not logged in', async () => {
      t = await setup();
      const c = t.client();
      const e = await rejection(c.queryPeersOnlineStatus(['bob']));
      expect(e.code).toBe(102);
      expect(e.name).toBe('RtmInvalidStatusError');
    });

    it('allows 10 queries per 5 s, then TOO_OFTEN (5)', async () => {
      t = await setup();
      const alice = await t.login('alice');
      for (let i = 0; i < 10; i++) await alice.queryPeersOnlineStatus(['bob']);
      const e = await rejection(alice.queryPeersOnlineStatus(['bob']));
      expect(e.code).toBe(5);
      expect(e.name).toBe('RtmInvokeTooOftenError');
    });

    it('is enforced by the server for clients that skip the SDK checks', async () => {
      t = await setup({ rateLimits: false });
      const raw = await rawSession(t.server.wsUrl);
      try {
        expect((await raw.request(Op.QueryPeersOnline, { ids: ids(257) })).code).toBe(2);
        expect((await raw.request(Op.QueryPeersOnline, { ids: [] })).code).toBe(2);
        expect((await raw.request(Op.QueryPeersOnline, { ids: ['null'] })).code).toBe(2);
        expect((await raw.request(Op.QueryPeersOnline, { ids: [1] })).code).toBe(2);
        expect((await raw.request(Op.QueryPeersOnline, null)).code).toBe(2);
        expect(await raw.request(Op.QueryPeersOnline, { ids: ['raw', 'x'] })).toEqual({
          code: 0,
          body: { states: ['ONLINE', 'OFFLINE'] },
        });
      } finally {
        raw.close();
      }
    });
  });

  describe('subscriptions', () => {
    it('reports the current status after subscribing, then every change', async () => {
      t = await setup({ rateLimits: false });
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      await alice.subscribePeersOnlineStatus(['bob', 'carol']);
      // Added after the call resolved: the first report still reaches it (as with Agora's SDK).
      const [first] = await next<[PeersOnlineStatusMap]>(alice, 'PeersOnlineStatusChanged');
      expect(first).toEqual({ bob: 'ONLINE', carol: 'OFFLINE' });
      const w = watch(alice);
      const carol = await t.login('carol');
      await w.until('carol', 'ONLINE');
      await bob.logout();
      await w.until('bob', 'OFFLINE');
      await carol.logout();
      await w.until('carol', 'OFFLINE');
      expect(w.events).toEqual([{ carol: 'ONLINE' }, { bob: 'OFFLINE' }, { carol: 'OFFLINE' }]);
      expect(await alice.queryPeersBySubscriptionOption('ONLINE_STATUS')).toEqual(['bob', 'carol']);
    });

    it('sees ONLINE → UNREACHABLE → OFFLINE when a peer is cut off, and ONLINE when it is back', async () => {
      t = await setup({ rateLimits: false, sessionGraceMs: 500, heartbeatMs: 200 });
      const alice = await t.login('alice');
      const w = watch(alice);
      const bob = await viaProxy('bob');
      await alice.subscribePeersOnlineStatus(['bob']);
      await w.until('bob', 'ONLINE');
      // Silent loss: no close reaches either side; the server notices the missing heartbeats.
      proxy!.pause();
      proxy!.stall();
      await w.until('bob', 'UNREACHABLE');
      await w.until('bob', 'OFFLINE');
      expect(w.history('bob')).toEqual(['ONLINE', 'UNREACHABLE', 'OFFLINE']);
      expect(await alice.queryPeersOnlineStatus(['bob'])).toEqual({ bob: false });
      proxy!.dropAll();
      proxy!.resume();
      await w.until('bob', 'ONLINE');
      // Alice may hear of bob's new session before bob has processed his own login answer.
      await until(() => bob.connectionState === 'CONNECTED', 5000, 'bob connected');
      expect(w.history('bob')).toEqual(['ONLINE', 'UNREACHABLE', 'OFFLINE', 'ONLINE']);
    });

    it('reports UNREACHABLE then ONLINE, never OFFLINE, when a peer resumes within the grace period', async () => {
      t = await setup({ rateLimits: false, sessionGraceMs: 10_000 });
      const alice = await t.login('alice');
      const w = watch(alice);
      await viaProxy('bob');
      const sid = sessionOf('bob')!.id;
      await alice.subscribePeersOnlineStatus(['bob']);
      await w.until('bob', 'ONLINE');
      proxy!.pause('hold');
      proxy!.dropAll();
      await w.until('bob', 'UNREACHABLE');
      proxy!.resume();
      await w.until('bob', 'ONLINE');
      expect(sessionOf('bob')!.id).toBe(sid);
      expect(w.history('bob')).toEqual(['ONLINE', 'UNREACHABLE', 'ONLINE']);
    });

    it('keeps the subscriptions of a session that resumed', async () => {
      t = await setup({ rateLimits: false, sessionGraceMs: 10_000 });
      const bob = await t.login('bob');
      const alice = await viaProxy('alice');
      const w = watch(alice);
      await alice.subscribePeersOnlineStatus(['bob']);
      await w.until('bob', 'ONLINE');
      const sid = sessionOf('alice')!.id;
      const reconnected = next(alice, 'ConnectionStateChanged').then(() =>
        next<[string]>(alice, 'ConnectionStateChanged'),
      );
      proxy!.dropAll();
      expect((await reconnected)[0]).toBe('CONNECTED');
      expect(sessionOf('alice')!.id).toBe(sid);
      await bob.logout();
      await w.until('bob', 'OFFLINE');
      expect(await alice.queryPeersBySubscriptionOption('ONLINE_STATUS')).toEqual(['bob']);
    });

    it('delivers changes made while the subscriber was cut off once it resumes', async () => {
      t = await setup({ rateLimits: false, sessionGraceMs: 10_000 });
      const bob = await t.login('bob');
      const alice = await viaProxy('alice');
      const w = watch(alice);
      await alice.subscribePeersOnlineStatus(['bob']);
      await w.until('bob', 'ONLINE');
      proxy!.pause();
      proxy!.dropAll();
      await until(() => sessionOf('alice')?.phase === 'detached');
      await bob.logout();
      proxy!.resume();
      await w.until('bob', 'OFFLINE');
      expect(w.history('bob')).toEqual(['ONLINE', 'OFFLINE']);
    });

    it('restores subscriptions after a re-login and reports what changed meanwhile', async () => {
      t = await setup({ rateLimits: false, sessionGraceMs: 300 });
      const bob = await t.login('bob');
      const alice = await viaProxy('alice');
      const w = watch(alice);
      await alice.subscribePeersOnlineStatus(['bob', 'carol']);
      await w.until('bob', 'ONLINE');
      const sid = sessionOf('alice')!.id;
      proxy!.pause();
      proxy!.dropAll();
      // The grace period ends: the server forgets alice's session and her subscriptions.
      await until(() => !sessionOf('alice'));
      await bob.logout();
      proxy!.resume();
      await w.until('bob', 'OFFLINE');
      expect(sessionOf('alice')!.id).not.toBe(sid);
      // carol did not change: not reported again.
      expect(w.history('carol')).toEqual(['OFFLINE']);
      // The server holds the subscriptions again.
      await t.login('carol');
      await w.until('carol', 'ONLINE');
      expect(await alice.queryPeersBySubscriptionOption('ONLINE_STATUS')).toEqual(['bob', 'carol']);
    });

    it('stops reporting after unsubscribe', async () => {
      t = await setup({ rateLimits: false });
      const alice = await t.login('alice');
      const w = watch(alice);
      const bob = await t.login('bob');
      await alice.subscribePeersOnlineStatus(['bob', 'carol']);
      await w.until('bob', 'ONLINE');
      await alice.unsubscribePeersOnlineStatus(['bob', 'nobody']);
      expect(await alice.queryPeersBySubscriptionOption('ONLINE_STATUS')).toEqual(['carol']);
      await bob.logout();
      await t.login('carol');
      await w.until('carol', 'ONLINE');
      expect(w.history('bob')).toEqual(['ONLINE']);
    });

    it('clears subscriptions at logout', async () => {
      t = await setup({ rateLimits: false });
      const alice = await t.login('alice');
      const w = watch(alice);
      const bob = await t.login('bob');
      await alice.subscribePeersOnlineStatus(['bob']);
      await w.until('bob', 'ONLINE');
      await alice.logout();
      await sleep(500); // the 500 ms login throttle of the SDK (Agora)
      await alice.login({ uid: 'alice' });
      expect(await alice.queryPeersBySubscriptionOption('ONLINE_STATUS')).toEqual([]);
      await bob.logout();
      await sleep(200);
      expect(w.history('bob')).toEqual(['ONLINE']);
    });

    it('clears the subscriptions of a session kicked by a remote login', async () => {
      t = await setup({ rateLimits: false });
      const alice1 = await t.login('alice');
      const w1 = watch(alice1);
      const bob = await t.login('bob');
      await alice1.subscribePeersOnlineStatus(['bob']);
      await w1.until('bob', 'ONLINE');
      const aborted = next<[string, string]>(alice1, 'ConnectionStateChanged');
      const alice2 = await t.login('alice');
      expect(await aborted).toEqual(['ABORTED', 'REMOTE_LOGIN']);
      const w2 = watch(alice2);
      expect(await alice2.queryPeersBySubscriptionOption('ONLINE_STATUS')).toEqual([]);
      expect((await rejection(alice1.queryPeersBySubscriptionOption('ONLINE_STATUS'))).code).toBe(102);
      await bob.logout();
      await sleep(200);
      expect(w1.history('bob')).toEqual(['ONLINE']);
      expect(w2.events).toEqual([]);
    });

    it('does not report a remote login of the watched peer (ONLINE stays ONLINE)', async () => {
      t = await setup({ rateLimits: false });
      const alice = await t.login('alice');
      const w = watch(alice);
      await t.login('bob');
      await alice.subscribePeersOnlineStatus(['bob']);
      await w.until('bob', 'ONLINE');
      await t.login('bob');
      await sleep(200);
      expect(w.history('bob')).toEqual(['ONLINE']);
    });

    it('reports one change to every subscriber', async () => {
      t = await setup({ rateLimits: false });
      const watchers = await Promise.all(ids(40, 'w').map((u) => t.login(u)));
      const logs = watchers.map(watch);
      await Promise.all(watchers.map((c) => c.subscribePeersOnlineStatus(['star'])));
      await Promise.all(logs.map((l) => l.until('star', 'OFFLINE')));
      await t.login('star');
      await Promise.all(logs.map((l) => l.until('star', 'ONLINE')));
    });

    it('caps a client at 512 subscribed peers with OVERFLOW (6)', async () => {
      t = await setup({ rateLimits: false });
      const alice = await t.login('alice');
      let e = await rejection(alice.subscribePeersOnlineStatus(ids(513)));
      expect(e).toMatchObject({ code: 6, name: 'RtmLimitExceededError' });
      // Pending calls count: 300 on the wire + 300 new is over the cap.
      const first = alice.subscribePeersOnlineStatus(ids(300));
      e = await rejection(alice.subscribePeersOnlineStatus(ids(300, 'v')));
      expect(e).toMatchObject({ code: 6, name: 'RtmLimitExceededError' });
      await first;
      await alice.subscribePeersOnlineStatus([...ids(212, 'v'), 'u0']);
      expect(await alice.queryPeersBySubscriptionOption('ONLINE_STATUS')).toHaveLength(512);
      e = await rejection(alice.subscribePeersOnlineStatus(['one-more']));
      expect(e).toMatchObject({ code: 6, name: 'RtmLimitExceededError' });
      await alice.unsubscribePeersOnlineStatus(['u0']);
      await alice.subscribePeersOnlineStatus(['one-more']);
    });

    it('rejects bad arguments with the Agora codes', async () => {
      t = await setup({ rateLimits: false });
      const alice = await t.login('alice');
      for (const bad of [[], ['null'], [''], ['a', 'x'.repeat(65)], 'bob', undefined]) {
        for (const call of [
          alice.subscribePeersOnlineStatus(bad as string[]),
          alice.unsubscribePeersOnlineStatus(bad as string[]),
        ]) {
          expect(await rejection(call)).toMatchObject({ code: 2, name: 'RtmInvalidArgumentError' });
        }
      }
      expect(await rejection(alice.unsubscribePeersOnlineStatus(ids(513)))).toMatchObject({
        code: 6,
        name: 'RtmLimitExceededError',
      });
      expect(await rejection(alice.queryPeersBySubscriptionOption('OTHER' as 'ONLINE_STATUS'))).toMatchObject(
        {
          code: 1,
          name: 'RtmInvalidArgumentError',
        },
      );
    });

    it('rejects with 102 when not logged in', async () => {
      t = await setup();
      const c = t.client();
      for (const call of [
        c.subscribePeersOnlineStatus(['bob']),
        c.unsubscribePeersOnlineStatus(['bob']),
        c.queryPeersBySubscriptionOption('ONLINE_STATUS'),
      ]) {
        expect(await rejection(call)).toMatchObject({ code: 102, name: 'RtmInvalidStatusError' });
      }
    });

    it('allows 10 subscribe/unsubscribe calls per 5 s, then TOO_OFTEN (5)', async () => {
      t = await setup();
      const alice = await t.login('alice');
      for (let i = 0; i < 5; i++) {
        await alice.subscribePeersOnlineStatus([`p${i}`]);
        await alice.unsubscribePeersOnlineStatus([`p${i}`]);
      }
      expect(await rejection(alice.subscribePeersOnlineStatus(['bob']))).toMatchObject({
        code: 5,
        name: 'RtmInvokeTooOftenError',
      });
      expect(await rejection(alice.unsubscribePeersOnlineStatus(['bob']))).toMatchObject({
        code: 5,
        name: 'RtmInvokeTooOftenError',
      });
    });

    it('is enforced by the server for clients that skip the SDK checks', async () => {
      t = await setup({ rateLimits: false });
      const raw = await rawSession(t.server.wsUrl);
      try {
        expect((await raw.request(Op.SubscribePeers, { ids: [] })).code).toBe(2);
        expect((await raw.request(Op.SubscribePeers, { ids: ['null'] })).code).toBe(2);
        expect((await raw.request(Op.SubscribePeers, { ids: 'bob' })).code).toBe(2);
        // A body of the wrong shape is also reported as a protocol error (BAD_BODY).
        await until(() =>
          raw.events.some((e) => e.op === Op.ProtocolError && (e.body as { code: number }).code === 1004),
        );
        expect((await raw.request(Op.SubscribePeers, { ids: ids(513) })).code).toBe(6);
        expect(await raw.request(Op.SubscribePeers, { ids: ids(512) })).toMatchObject({ code: 0 });
        // Already subscribed ids do not count twice; a new one overflows.
        expect(await raw.request(Op.SubscribePeers, { ids: ['u0', 'u1'] })).toMatchObject({ code: 0 });
        expect((await raw.request(Op.SubscribePeers, { ids: ['u512'] })).code).toBe(6);
        expect((await raw.request(Op.UnsubscribePeers, { ids: ids(513) })).code).toBe(6);
        expect((await raw.request(Op.UnsubscribePeers, { ids: [] })).code).toBe(2);
        expect((await raw.request(Op.UnsubscribePeers, { ids: ['u0'] })).code).toBe(0);
        expect((await raw.request(Op.SubscribePeers, { ids: ['u512'] })).code).toBe(0);
      } finally {
        raw.close();
      }
    });
  });

  describe('timeouts', () => {
    it('rejects with RtmTimeoutError after 10 s without an answer (presence 4, attributes 7)', async () => {
      t = await setup({ rateLimits: false, heartbeatMs: 200 });
      const alice = await viaProxy('alice');
      // The link goes silent: requests are written but never reach the server.
      proxy!.pause('hold');
      proxy!.stall();
      const calls = [
        alice.queryPeersOnlineStatus(['bob']),
        alice.subscribePeersOnlineStatus(['bob']),
        alice.setLocalUserAttributes({ k: 'v' }),
        alice.getUserAttributes('bob'),
      ].map(rejection);
      const [query, sub, set, get] = await Promise.all(calls);
      expect(query).toMatchObject({ code: 4, name: 'RtmTimeoutError' });
      expect(sub).toMatchObject({ code: 4, name: 'RtmTimeoutError' });
      expect(set).toMatchObject({ code: 7, name: 'RtmTimeoutError' });
      expect(get).toMatchObject({ code: 7, name: 'RtmTimeoutError' });
    }, 20_000);
  });

  describe('across two nodes', () => {
    it('reports status, answers queries and tells subscribers on both nodes', async () => {
      const store = createEmbeddedStore({ dataDir: null });
      const bus = new MemoryBus({ shared: true });
      const a = await startTestServer({ nodeId: 'a', rateLimits: false }, { store, bus });
      const b = await startTestServer({ nodeId: 'b', rateLimits: false }, { store, bus });
      const clients: RtmClient[] = [];
      const on = async (server: typeof a, uid: string) => {
        const c = AgoraRTM.createInstance(APP_ID, { serverUrl: server.wsUrl });
        clients.push(c);
        await c.login({ uid });
        return c;
      };
      try {
        const wa = await on(a, 'wa');
        const wb = await on(b, 'wb');
        const la = watch(wa);
        const lb = watch(wb);
        await wa.subscribePeersOnlineStatus(['bob']);
        await wb.subscribePeersOnlineStatus(['bob']);
        const bob = await on(b, 'bob');
        await la.until('bob', 'ONLINE');
        await lb.until('bob', 'ONLINE');
        expect(await wa.queryPeersOnlineStatus(['bob', 'wb'])).toEqual({ bob: true, wb: true });
        await bob.logout();
        await la.until('bob', 'OFFLINE');
        await lb.until('bob', 'OFFLINE');
        // bob moves to the other node; wa's remote login from node b kicks nobody.
        await on(a, 'bob');
        await la.until('bob', 'ONLINE');
        await lb.until('bob', 'ONLINE');
      } finally {
        for (const c of clients) c.release();
        await a.close();
        await b.close();
        await store.close();
        await bus.close();
      }
    });
  });
});
