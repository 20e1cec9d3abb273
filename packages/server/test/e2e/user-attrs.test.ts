import { Op } from '@parley/protocol';
import AgoraRTM, { type RtmClient, type RtmConfig } from '@parley/sdk';
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

const FAST: RtmConfig = { reconnect: { baseMs: 50, capMs: 200, floorMs: 20 } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rejection(p: Promise<unknown>): Promise<{ name: string; code: number }> {
  try {
    await p;
  } catch (e) {
    return e as { name: string; code: number };
  }
  throw new Error('expected a rejection');
}

/** Calls `fn` until its result passes `ok` (polling state, never timing); rejects after 5 s. */
async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const end = Date.now() + 5000;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error('condition not met in 5 s');
    await sleep(20);
  }
}

/** n attributes k0…k(n-1) with values of `bytes` bytes */
const attrs = (n: number, bytes = 1, prefix = 'k') =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, 'v'.repeat(bytes)]));

describe('user attributes', () => {
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

  describe('methods', () => {
    it('sets, merges, deletes, clears and reads attributes', async () => {
      t = await setup({ rateLimits: false });
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      expect(await bob.getUserAttributes('alice')).toEqual({});
      await alice.setLocalUserAttributes({ mood: 'happy', city: 'Paris', lang: 'fr' });
      expect(await bob.getUserAttributes('alice')).toEqual({ mood: 'happy', city: 'Paris', lang: 'fr' });
      expect(await alice.getUserAttributes('alice')).toEqual({ mood: 'happy', city: 'Paris', lang: 'fr' });
      await alice.addOrUpdateLocalUserAttributes({ mood: 'sleepy', age: '7' });
      expect(await bob.getUserAttributes('alice')).toEqual({
        mood: 'sleepy',
        city: 'Paris',
        lang: 'fr',
        age: '7',
      });
      expect(await bob.getUserAttributesByKeys('alice', ['mood', 'age', 'missing'])).toEqual({
        mood: 'sleepy',
        age: '7',
      });
      await alice.deleteLocalUserAttributesByKeys(['city', 'missing']);
      expect(await bob.getUserAttributes('alice')).toEqual({ mood: 'sleepy', lang: 'fr', age: '7' });
      await alice.setLocalUserAttributes({ only: 'this' });
      expect(await bob.getUserAttributes('alice')).toEqual({ only: 'this' });
      await alice.clearLocalUserAttributes();
      expect(await bob.getUserAttributes('alice')).toEqual({});
      expect(await bob.getUserAttributesByKeys('alice', ['only'])).toEqual({});
    });

    it('keeps any 1–32 byte key, __proto__ and non-ASCII included', async () => {
      t = await setup({ rateLimits: false });
      const alice = await t.login('alice');
      // fromEntries defines own properties, so '__proto__' is a plain key here
      const map: Record<string, string> = Object.fromEntries([
        ['__proto__', 'p'],
        ['constructor', 'c'],
        ['é'.repeat(16), 'ü'.repeat(4096)], // 32 bytes key, 8192 bytes value
        [' sp ace', ' '],
      ]);
      await alice.setLocalUserAttributes(map);
      const got = await alice.getUserAttributes('alice');
      expect(Object.hasOwn(got, '__proto__')).toBe(true);
      expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
      expect({ ...got }).toEqual({ ...map });
      expect(await alice.getUserAttributesByKeys('alice', ['__proto__'])).toHaveProperty(['__proto__'], 'p');
    });

    it('serves users on another node', async () => {
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
        const alice = await on(a, 'alice');
        const bob = await on(b, 'bob');
        await alice.setLocalUserAttributes({ k: 'v' });
        expect(await bob.getUserAttributes('alice')).toEqual({ k: 'v' });
        await alice.logout();
        expect(await rejection(bob.getUserAttributes('alice'))).toMatchObject({ code: 6 });
        // A new session of alice on node b starts without attributes.
        await on(b, 'alice');
        expect(await bob.getUserAttributes('alice')).toEqual({});
      } finally {
        for (const c of clients) c.release();
        await a.close();
        await b.close();
        await store.close();
        await bus.close();
      }
    });
  });

  describe('limits and errors', () => {
    it('rejects bad keys and values with INVALID_ARGUMENT (3)', async () => {
      t = await setup({ rateLimits: false });
      const alice = await t.login('alice');
      const bad: Record<string, string>[] = [
        { '': 'v' },
        { ['k'.repeat(33)]: 'v' },
        { ['é'.repeat(17)]: 'v' },
        { k: '' },
        { k: 5 as unknown as string },
      ];
      for (const a of bad) {
        expect(await rejection(alice.setLocalUserAttributes(a))).toMatchObject({
          code: 3,
          name: 'RtmInvalidArgumentError',
        });
        expect(await rejection(alice.addOrUpdateLocalUserAttributes(a))).toMatchObject({
          code: 3,
          name: 'RtmInvalidArgumentError',
        });
      }
      for (const a of [null, 'str', ['k', 'v'], new Map([['k', 'v']])]) {
        expect(await rejection(alice.setLocalUserAttributes(a as never))).toMatchObject({
          code: 3,
          name: 'RtmInvalidArgumentError',
        });
      }
      for (const keys of [[], [''], ['k'.repeat(33)], 'k', [1]]) {
        expect(await rejection(alice.deleteLocalUserAttributesByKeys(keys as string[]))).toMatchObject({
          code: 3,
          name: 'RtmInvalidArgumentError',
        });
        expect(await rejection(alice.getUserAttributesByKeys('alice', keys as string[]))).toMatchObject({
          code: 3,
          name: 'RtmInvalidArgumentError',
        });
      }
      expect(await rejection(alice.getUserAttributesByKeys('alice', Object.keys(attrs(33))))).toMatchObject({
        code: 3,
        name: 'RtmInvalidArgumentError',
      });
      expect(await alice.getUserAttributesByKeys('alice', Object.keys(attrs(32)))).toEqual({});
      for (const uid of ['', 'null', 'x'.repeat(65), 'a/b', 7]) {
        expect(await rejection(alice.getUserAttributes(uid as string))).toMatchObject({
          code: 3,
          name: 'RtmInvalidArgumentError',
        });
        expect(await rejection(alice.getUserAttributesByKeys(uid as string, ['k']))).toMatchObject({
          code: 3,
          name: 'RtmInvalidArgumentError',
        });
      }
    });

    it('rejects oversized attribute sets with SIZE_OVERFLOW (4)', async () => {
      t = await setup({ rateLimits: false });
      const alice = await t.login('alice');
      const over = { code: 4, name: 'RtmLimitExceededError' };
      expect(await rejection(alice.setLocalUserAttributes({ k: 'v'.repeat(8193) }))).toMatchObject(over);
      expect(await rejection(alice.setLocalUserAttributes(attrs(33)))).toMatchObject(over);
      expect(await rejection(alice.setLocalUserAttributes(attrs(3, 6000)))).toMatchObject(over);
      // At the limits exactly: 32 pairs, 16384 bytes in all, a value of 8192 bytes.
      const base = attrs(30, 1);
      const used = Object.entries(base).reduce((n, [k, v]) => n + k.length + v.length, 0);
      await alice.setLocalUserAttributes({
        ...base,
        b1: 'v'.repeat(8192),
        b2: 'v'.repeat(16384 - used - 4 - 8192),
      });
      // A merge is checked as a whole: one more pair, or one more byte, is too much.
      expect(await rejection(alice.addOrUpdateLocalUserAttributes({ extra: 'v' }))).toMatchObject(over);
      expect(await rejection(alice.addOrUpdateLocalUserAttributes({ k0: 'vv' }))).toMatchObject(over);
      await alice.addOrUpdateLocalUserAttributes({ k0: 'w' });
      expect(Object.keys(await alice.getUserAttributes('alice'))).toHaveLength(32);
    });

    it('answers USER_NOT_FOUND (6) for a user without a session', async () => {
      t = await setup({ rateLimits: false });
      const alice = await t.login('alice');
      expect(await rejection(alice.getUserAttributes('nobody'))).toMatchObject({
        code: 6,
        name: 'RtmUnknownError',
      });
      expect(await rejection(alice.getUserAttributesByKeys('nobody', ['k']))).toMatchObject({
        code: 6,
        name: 'RtmUnknownError',
      });
    });

    it('rejects with 102 when not logged in', async () => {
      t = await setup();
      const c = t.client();
      for (const call of [
        c.setLocalUserAttributes({ k: 'v' }),
        c.addOrUpdateLocalUserAttributes({ k: 'v' }),
        c.deleteLocalUserAttributesByKeys(['k']),
        c.clearLocalUserAttributes(),
        c.getUserAttributes('bob'),
        c.getUserAttributesByKeys('bob', ['k']),
      ]) {
        expect(await rejection(call)).toMatchObject({ code: 102, name: 'RtmInvalidStatusError' });
      }
    });

    it('allows 10 writes per 5 s, then TOO_OFTEN (5)', async () => {
      t = await setup();
      const alice = await t.login('alice');
      await alice.setLocalUserAttributes({ a: '1' });
      await alice.addOrUpdateLocalUserAttributes({ b: '2' });
      await alice.deleteLocalUserAttributesByKeys(['a']);
      await alice.clearLocalUserAttributes();
      for (let i = 0; i < 6; i++) await alice.addOrUpdateLocalUserAttributes({ n: String(i) });
      for (const call of [alice.setLocalUserAttributes({ a: '1' }), alice.clearLocalUserAttributes()]) {
        expect(await rejection(call)).toMatchObject({ code: 5, name: 'RtmInvokeTooOftenError' });
      }
      // Reads have their own budget.
      expect(await alice.getUserAttributes('alice')).toEqual({ n: '5' });
    });

    it('allows 40 reads per 5 s, then TOO_OFTEN (5)', async () => {
      t = await setup();
      const alice = await t.login('alice');
      for (let i = 0; i < 20; i++) {
        await alice.getUserAttributes('alice');
        await alice.getUserAttributesByKeys('alice', ['k']);
      }
      expect(await rejection(alice.getUserAttributes('alice'))).toMatchObject({
        code: 5,
        name: 'RtmInvokeTooOftenError',
      });
      expect(await rejection(alice.getUserAttributesByKeys('alice', ['k']))).toMatchObject({
        code: 5,
        name: 'RtmInvokeTooOftenError',
      });
      await alice.setLocalUserAttributes({ k: 'v' });
    });

    it('is enforced by the server for clients that skip the SDK checks', async () => {
      t = await setup({ rateLimits: false });
      const raw = await rawSession(t.server.wsUrl);
      const code = async (op: number, body: unknown) => (await raw.request(op, body)).code;
      const pairs = (o: Record<string, string>) => Object.entries(o);
      try {
        expect(await code(Op.SetUserAttrs, { attrs: [['', 'v']] })).toBe(3);
        expect(await code(Op.SetUserAttrs, { attrs: [['k'.repeat(33), 'v']] })).toBe(3);
        expect(await code(Op.SetUserAttrs, { attrs: [['k', '']] })).toBe(3);
        expect(await code(Op.SetUserAttrs, { attrs: [['k', 1]] })).toBe(3);
        expect(await code(Op.SetUserAttrs, { attrs: { k: 'v' } })).toBe(3);
        expect(await code(Op.SetUserAttrs, null)).toBe(3);
        // an invalid entry wins over an oversized one, wherever it is
        expect(
          await code(Op.SetUserAttrs, {
            attrs: [
              ['a', 'v'.repeat(9000)],
              ['', 'v'],
            ],
          }),
        ).toBe(3);
        expect(await code(Op.SetUserAttrs, { attrs: [['k', 'v'.repeat(8193)]] })).toBe(4);
        expect(await code(Op.SetUserAttrs, { attrs: pairs(attrs(33)) })).toBe(4);
        expect(await code(Op.SetUserAttrs, { attrs: pairs(attrs(3, 6000)) })).toBe(4);
        expect(await code(Op.SetUserAttrs, { attrs: pairs(attrs(32)) })).toBe(0);
        expect(await code(Op.AddOrUpdateUserAttrs, { attrs: [['extra', 'v']] })).toBe(4);
        expect(await code(Op.DeleteUserAttrs, { keys: [] })).toBe(3);
        expect(await code(Op.DeleteUserAttrs, { keys: [''] })).toBe(3);
        expect(await code(Op.DeleteUserAttrs, null)).toBe(3);
        expect(await code(Op.GetUserAttrs, { uid: 'null' })).toBe(3);
        expect(await code(Op.GetUserAttrs, {})).toBe(3);
        expect(await code(Op.GetUserAttrsByKeys, { uid: 'raw', keys: Object.keys(attrs(33)) })).toBe(3);
        expect(await code(Op.GetUserAttrsByKeys, { uid: 'raw', keys: [] })).toBe(3);
        expect(await code(Op.GetUserAttrsByKeys, { uid: 'nobody', keys: ['k'] })).toBe(6);
        expect(await raw.request(Op.GetUserAttrsByKeys, { uid: 'raw', keys: ['k0', 'zz'] })).toEqual({
          code: 0,
          body: { attrs: [['k0', 'v']] },
        });
      } finally {
        raw.close();
      }
    });
  });

  describe('lifetime: as long as the session', () => {
    it('drops attributes at logout, on the server and in the SDK', async () => {
      t = await setup({ rateLimits: false });
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      await alice.setLocalUserAttributes({ k: 'v' });
      await alice.logout();
      expect(await rejection(bob.getUserAttributes('alice'))).toMatchObject({
        code: 6,
        name: 'RtmUnknownError',
      });
      await sleep(500); // the SDK's 500 ms login throttle (Agora)
      await alice.login({ uid: 'alice' });
      expect(await bob.getUserAttributes('alice')).toEqual({});
    });

    it('starts a remote login with no attributes', async () => {
      t = await setup({ rateLimits: false });
      const alice1 = await t.login('alice');
      const bob = await t.login('bob');
      await alice1.setLocalUserAttributes({ k: 'v' });
      const aborted = next(alice1, 'ConnectionStateChanged');
      await t.login('alice');
      await aborted;
      expect(await bob.getUserAttributes('alice')).toEqual({});
    });

    it('keeps attributes while the user is UNREACHABLE and a resume changes nothing', async () => {
      t = await setup({ rateLimits: false, sessionGraceMs: 10_000 });
      proxy = await startTcpProxy(t.server.port);
      const alice = await t.login('alice', { ...FAST, serverUrl: proxy.url });
      const bob = await t.login('bob');
      await alice.setLocalUserAttributes({ k: 'v' });
      proxy.pause('hold');
      proxy.dropAll();
      await until(() => sessionOf('alice')?.phase === 'detached');
      expect(await bob.getUserAttributes('alice')).toEqual({ k: 'v' });
      proxy.resume();
      await until(() => sessionOf('alice')?.phase === 'active');
      expect(await bob.getUserAttributes('alice')).toEqual({ k: 'v' });
    });

    it('answers USER_NOT_FOUND once the grace period ended, and the SDK re-applies its attributes after a re-login', async () => {
      t = await setup({ rateLimits: false, sessionGraceMs: 300 });
      proxy = await startTcpProxy(t.server.port);
      const alice = await t.login('alice', { ...FAST, serverUrl: proxy.url });
      const bob = await t.login('bob');
      await alice.setLocalUserAttributes({ a: '1', b: '2' });
      await alice.addOrUpdateLocalUserAttributes({ c: '3' });
      await alice.deleteLocalUserAttributesByKeys(['a']);
      proxy.pause();
      proxy.dropAll();
      await until(() => !sessionOf('alice'));
      expect(await rejection(bob.getUserAttributes('alice'))).toMatchObject({
        code: 6,
        name: 'RtmUnknownError',
      });
      proxy.resume();
      await until(() => sessionOf('alice')?.phase === 'active');
      // The SDK re-applies its copy right after the re-login; wait for it to land.
      const got = await eventually(
        () => bob.getUserAttributes('alice'),
        (r) => Object.keys(r).length > 0,
      );
      expect(got).toEqual({ b: '2', c: '3' });
    });
  });
});
