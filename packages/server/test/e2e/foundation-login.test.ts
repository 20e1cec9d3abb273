import { LoginError, Op } from '@parley/protocol';
import AgoraRTM, { type RtmClient } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, next, setup, until } from '../helpers.js';
import { RawClient } from '../raw-client.js';

/** Login/logout rules of agora-rtm-sdk 1.5.x (spec rtm-1x-api.md §1.2, §4.2), end to end. */

type Err = { name: string; code: number; message: string };
async function rejection(p: Promise<unknown> | (() => unknown)): Promise<Err> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as Err;
  }
  throw new Error('expected a rejection');
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('login and logout', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup();
  });
  afterAll(async () => t.cleanup());

  it.each([
    ['empty', ''],
    ['"null"', 'null'],
    ['65 characters', 'x'.repeat(65)],
    ['non-ASCII', 'zoë'],
    ['CJK', '用户'],
    ['a forbidden character', 'a*b'],
    ['a quote', 'a"b'],
    ['a number', 42],
    ['undefined', undefined],
  ])(
    'refuses an invalid uid (%s) with RtmInvalidArgumentError 3, before any network traffic',
    async (_, uid) => {
      const c = t.client();
      const e = await rejection(c.login({ uid: uid as string }));
      expect([e.name, e.code]).toEqual(['RtmInvalidArgumentError', LoginError.INVALID_ARGUMENT]);
      expect(c.connectionState).toBe('DISCONNECTED');
    },
  );

  it('refuses login() without options and a non-string token with code 3', async () => {
    const c = t.client();
    const e1 = await rejection(() => (c.login as (o?: unknown) => Promise<void>)());
    expect([e1.name, e1.code]).toEqual(['RtmInvalidArgumentError', 3]);
    const e2 = await rejection(c.login({ uid: 'alice', token: 7 as unknown as string }));
    expect([e2.name, e2.code]).toEqual(['RtmInvalidArgumentError', 3]);
  });

  it.each([
    ['a space inside', 'alice smith'],
    ['a leading space', ' alice'],
    ['a tab', 'a\tb'],
    ['"NULL" (the check is case-sensitive)', 'NULL'],
    ['64 characters', 'y'.repeat(64)],
    ['every allowed symbol', '!#$%&()+,-.:;<=>?@[]^_{|}~'],
  ])('accepts a uid with %s, as the Web validator does', async (_, uid) => {
    const c = await t.login(uid);
    expect(c.connectionState).toBe('CONNECTED');
    expect(t.server.sessions.local(APP_ID, uid)).toBeDefined();
    await c.logout();
  });

  it('the server enforces the uid rule too (raw protocol client)', async () => {
    const raw = await RawClient.connect(t.server.wsUrl);
    try {
      for (const uid of ['', 'null', 'x'.repeat(65), 'zoë', 'a*b']) {
        const r = await raw.login({ appId: APP_ID, uid });
        expect(r.code, JSON.stringify(uid)).toBe(LoginError.INVALID_ARGUMENT);
      }
      const bad = await raw.login({ appId: 'short', uid: 'alice' });
      expect(bad.code).toBe(LoginError.INVALID_APP_ID);
    } finally {
      raw.close();
    }
  });

  it.each([
    ['31 characters', APP_ID.slice(1)],
    ['33 characters', `${APP_ID}0`],
    ['a dash', `${APP_ID.slice(1)}-`],
    ['empty', ''],
    ['not a string', 12345],
  ])('createInstance with a bad App ID (%s) throws RtmInvalidArgumentError 1', async (_, appId) => {
    const e = await rejection(() => AgoraRTM.createInstance(appId as string, { serverUrl: t.server.wsUrl }));
    expect([e.name, e.code]).toEqual(['RtmInvalidArgumentError', 1]);
    expect(e).toBeInstanceOf(AgoraRTM.RtmInvalidArgumentError);
    expect(e.message).toMatch(/^ Error Code 1 - /);
  });

  it('login twice (while logging in, and once logged in) → RtmInvalidStatusError 8', async () => {
    const c = t.client();
    const first = c.login({ uid: 'twice' });
    const e1 = await rejection(c.login({ uid: 'twice' }));
    expect([e1.name, e1.code]).toEqual(['RtmInvalidStatusError', LoginError.ALREADY_LOGIN]);
    await first;
    const e2 = await rejection(c.login({ uid: 'twice' }));
    expect([e2.name, e2.code]).toEqual(['RtmInvalidStatusError', LoginError.ALREADY_LOGIN]);
    expect(c.connectionState).toBe('CONNECTED');
    await c.logout();
  });

  it('a login within 500 ms of the previous one on the same instance → RtmInvokeTooOftenError 10', async () => {
    const c = t.client();
    await c.login({ uid: 'eager' });
    await c.logout();
    const e = await rejection(c.login({ uid: 'eager' }));
    expect([e.name, e.code]).toEqual(['RtmInvokeTooOftenError', LoginError.TOO_OFTEN]);
    expect(c.connectionState).toBe('DISCONNECTED');
    // another instance is not throttled
    const other = await t.login('eager');
    await other.logout();
    // after the gap the same instance may log in again
    await sleep(510);
    await c.login({ uid: 'eager' });
    expect(c.connectionState).toBe('CONNECTED');
    await c.logout();
  });

  it('logout when DISCONNECTED → RtmInvalidStatusError 102', async () => {
    const c = t.client();
    const e = await rejection(c.logout());
    expect([e.name, e.code]).toEqual(['RtmInvalidStatusError', 102]);
    expect(e.message).toBe(' Error Code 102 - Logout failure. The client has already been logged out.');
    await c.login({ uid: 'leaver' });
    await c.logout();
    const e2 = await rejection(c.logout());
    expect(e2.code).toBe(102);
  });

  it('logout ends the session on the server', async () => {
    const c = await t.login('quitter');
    const changed = next<[string, string]>(c, 'ConnectionStateChanged');
    await c.logout();
    expect(await changed).toEqual(['DISCONNECTED', 'LOGOUT']);
    await until(() => t.server.sessions.local(APP_ID, 'quitter') === undefined, 2000, 'session ended');
  });

  it('logout from ABORTED → DISCONNECTED/LOGOUT, and the instance can log in again', async () => {
    const first = await t.login('kicked');
    const aborted = next<[string, string]>(first, 'ConnectionStateChanged');
    const second = await t.login('kicked');
    expect(await aborted).toEqual(['ABORTED', 'REMOTE_LOGIN']);
    const changed = next<[string, string]>(first, 'ConnectionStateChanged');
    await first.logout();
    expect(await changed).toEqual(['DISCONNECTED', 'LOGOUT']);
    // the newer session is untouched
    expect(second.connectionState).toBe('CONNECTED');
    expect(t.server.sessions.local(APP_ID, 'kicked')).toBeDefined();
    await second.logout();
  });
});

describe('every RTM call when not logged in → 102', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let fresh: RtmClient;
  let aborted: RtmClient;
  let loggedOut: RtmClient;
  beforeAll(async () => {
    t = await setup();
    fresh = t.client();
    aborted = await t.login('dup');
    const kicked = next(aborted, 'ConnectionStateChanged');
    await t.login('dup');
    await kicked;
    loggedOut = await t.login('gone');
    await loggedOut.logout();
  });
  afterAll(async () => t.cleanup());

  const calls: Array<[string, (c: RtmClient) => Promise<unknown>]> = [
    ['sendMessageToPeer', (c) => c.sendMessageToPeer({ text: 'hi' }, 'bob')],
    ['renewToken', (c) => c.renewToken('token')],
    ['queryPeersOnlineStatus', (c) => c.queryPeersOnlineStatus(['bob'])],
    ['subscribePeersOnlineStatus', (c) => c.subscribePeersOnlineStatus(['bob'])],
    ['unsubscribePeersOnlineStatus', (c) => c.unsubscribePeersOnlineStatus(['bob'])],
    ['queryPeersBySubscriptionOption', (c) => c.queryPeersBySubscriptionOption('ONLINE_STATUS')],
    ['setLocalUserAttributes', (c) => c.setLocalUserAttributes({ k: 'v' })],
    ['addOrUpdateLocalUserAttributes', (c) => c.addOrUpdateLocalUserAttributes({ k: 'v' })],
    ['deleteLocalUserAttributesByKeys', (c) => c.deleteLocalUserAttributesByKeys(['k'])],
    ['clearLocalUserAttributes', (c) => c.clearLocalUserAttributes()],
    ['getUserAttributes', (c) => c.getUserAttributes('bob')],
    ['getUserAttributesByKeys', (c) => c.getUserAttributesByKeys('bob', ['k'])],
    ['getChannelMemberCount', (c) => c.getChannelMemberCount(['room'])],
    ['setChannelAttributes', (c) => c.setChannelAttributes('room', { k: 'v' })],
    ['addOrUpdateChannelAttributes', (c) => c.addOrUpdateChannelAttributes('room', { k: 'v' })],
    ['deleteChannelAttributesByKeys', (c) => c.deleteChannelAttributesByKeys('room', ['k'])],
    ['clearChannelAttributes', (c) => c.clearChannelAttributes('room')],
    ['getChannelAttributes', (c) => c.getChannelAttributes('room')],
    ['getChannelAttributesByKeys', (c) => c.getChannelAttributesByKeys('room', ['k'])],
    ['channel.join', (c) => c.createChannel('room').join()],
    ['channel.sendMessage', (c) => c.createChannel('room').sendMessage({ text: 'hi' })],
    ['channel.getMembers', (c) => c.createChannel('room').getMembers()],
  ];

  for (const [state, get] of [
    ['DISCONNECTED (never logged in)', () => fresh],
    ['ABORTED', () => aborted],
    ['DISCONNECTED (logged out)', () => loggedOut],
  ] as const) {
    it.each(calls)(`${state}: %s → RtmInvalidStatusError 102`, async (_, call) => {
      const e = await rejection(call(get()));
      expect([e.name, e.code]).toEqual(['RtmInvalidStatusError', 102]);
      expect(e.message).toMatch(/^ Error Code 102 - /);
    });
  }

  it('a request on a socket that never logged in gets 102 from the server', async () => {
    const raw = await RawClient.connect(t.server.wsUrl);
    try {
      const r = await raw.request(Op.PeerSend, { to: 'bob', msg: { type: 'TEXT', text: 'x' } });
      expect(r.code).toBe(102);
    } finally {
      raw.close();
    }
  });
});
