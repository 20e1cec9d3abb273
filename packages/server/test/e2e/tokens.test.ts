import { type ConnectionChangeReason, type ConnectionState, RenewTokenError } from '@parley/protocol';
import type { RtmClient } from '@parley/sdk';
import { buildRtmToken006, buildRtmToken007, buildSignalingToken } from '@parley/token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_WARNING_MS } from '../../src/session/token-timers.js';
import { APP_ID, collect, next, setup, until } from '../helpers.js';
import { startTcpProxy } from '../tcp-proxy.js';

const CERT_APP = '970CA35de60c44645bbae8a215061b33';
const CERT = '5CFd2fd1755d40ecb72977518be15d3b';
const OPEN_APP = APP_ID;

const nowS = () => Math.floor(Date.now() / 1000);
/** A 007 token valid for `seconds` from the current second: it expires `seconds - 1` to `seconds` s from now. */
function short007(uid: string, seconds = 3) {
  const issueTs = nowS();
  return {
    token: buildRtmToken007(CERT_APP, CERT, uid, seconds, { issueTs }),
    expiresAt: (issueTs + seconds) * 1000,
  };
}
/** A 006 token whose own `ts` (the validity Parley enforces) is `seconds` from the current second. */
function short006(uid: string, seconds = 3) {
  const ts = nowS() + seconds;
  return { token: buildRtmToken006(CERT_APP, CERT, uid, 0, { ts }), expiresAt: ts * 1000 };
}
const fresh = (uid: string) => buildRtmToken007(CERT_APP, CERT, uid, 3600);

type Err = { code: number; name: string };
async function renewError(c: RtmClient, token: unknown): Promise<Err | 'ok'> {
  try {
    await c.renewToken(token as string);
    return 'ok';
  } catch (e) {
    return { code: (e as Err).code, name: (e as Err).name };
  }
}

describe('token lifecycle on a live session', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup({ apps: [{ appId: CERT_APP, appCertificate: CERT }, { appId: OPEN_APP }] });
  });
  afterAll(async () => t.cleanup());

  it('the warning lead time is 30 s, as documented', () => {
    expect(TOKEN_WARNING_MS).toBe(30_000);
  });

  it.concurrent.each([
    ['007', short007],
    ['006', short006],
  ])(
    '%s: TokenPrivilegeWillExpire at once, then at expiry ABORTED / TOKEN_EXPIRED and TokenExpired',
    async (fmt, make) => {
      const uid = `expiring-${fmt}`;
      const { token, expiresAt } = make(uid);
      const c = t.client({}, CERT_APP);
      const states = collect<[ConnectionState, ConnectionChangeReason]>(c, 'ConnectionStateChanged');
      const warned = next(c, 'TokenPrivilegeWillExpire');
      const expired = next(c, 'TokenExpired', 10_000);
      await c.login({ uid, token });
      await warned; // less than 30 s remain: at once
      expect(c.connectionState).toBe('CONNECTED');
      await expired;
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
      expect(c.connectionState).toBe('ABORTED');
      expect(states.at(-1)).toEqual(['ABORTED', 'TOKEN_EXPIRED']);
      await until(() => t.server.sessions.local(CERT_APP, uid) === undefined, 5000, 'session ended');

      // In ABORTED every call needing a session fails at once with 102 (Agora's renewToken never
      // settles there; Parley rejects, see docs/security.md).
      expect(await renewError(c, fresh(uid))).toEqual({ code: 102, name: 'RtmInvalidStatusError' });
      await expect(c.sendMessageToPeer({ text: 'x' }, 'bob')).rejects.toMatchObject({ code: 102 });
      // logout leaves ABORTED; a login with a fresh token starts over
      await c.logout();
      expect(states.at(-1)).toEqual(['DISCONNECTED', 'LOGOUT']);
      await c.login({ uid, token: fresh(uid) });
      expect(c.connectionState).toBe('CONNECTED');
    },
  );

  it.concurrent('the warning comes 30 s before expiry when more remains, not at login', async () => {
    const issueTs = nowS();
    const expiresAt = (issueTs + 32) * 1000;
    const c = t.client({}, CERT_APP);
    const warned = next(c, 'TokenPrivilegeWillExpire', 10_000);
    await c.login({
      uid: 'warned-later',
      token: buildRtmToken007(CERT_APP, CERT, 'warned-later', 32, { issueTs }),
    });
    await warned;
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt - TOKEN_WARNING_MS);
    expect(c.connectionState).toBe('CONNECTED');
  });

  it.concurrent('renewToken before expiry keeps the session past the first token’s expiry', async () => {
    const bob = t.client({}, CERT_APP);
    await bob.login({ uid: 'renew-bob', token: fresh('renew-bob') });
    const { token, expiresAt } = short007('renewer');
    const c = t.client({}, CERT_APP);
    const expired = collect(c, 'TokenExpired');
    const states = collect(c, 'ConnectionStateChanged');
    const warned = next(c, 'TokenPrivilegeWillExpire');
    await c.login({ uid: 'renewer', token });
    await warned;
    await c.renewToken(fresh('renewer'));
    // Something must NOT happen: wait until the first token is past its expiry, plus a margin.
    await until(() => Date.now() > expiresAt + 300, 10_000, 'first token expiry');
    expect(expired).toEqual([]);
    expect(c.connectionState).toBe('CONNECTED');
    expect(states).toEqual([
      ['CONNECTING', 'LOGIN'],
      ['CONNECTED', 'LOGIN_SUCCESS'],
    ]);
    const got = next<[{ text: string }, string]>(bob, 'MessageFromPeer');
    expect(await c.sendMessageToPeer({ text: 'still here' }, 'renew-bob')).toEqual({ hasPeerReceived: true });
    expect((await got)[0].text).toBe('still here');
  });

  it.concurrent('a renewal re-arms both timers: warned again, then expires at the new token’s time', async () => {
    const first = short007('rearmed', 3);
    const c = t.client({}, CERT_APP);
    const warnings = collect(c, 'TokenPrivilegeWillExpire');
    const expired = next(c, 'TokenExpired', 15_000);
    await c.login({ uid: 'rearmed', token: first.token });
    await until(() => warnings.length === 1);
    const second = short007('rearmed', 6);
    await c.renewToken(second.token);
    await until(() => warnings.length === 2);
    await expired;
    expect(Date.now()).toBeGreaterThanOrEqual(second.expiresAt);
    expect(c.connectionState).toBe('ABORTED');
  });

  it.concurrent('a token that expires while the link is down: TokenExpired while RECONNECTING; renewToken lets it back in', async () => {
    const proxy = await startTcpProxy(t.server.port);
    try {
      const uid = 'offline-expiry';
      const { token, expiresAt } = short007(uid, 4);
      const c = t.client(
        { serverUrl: proxy.url, reconnect: { baseMs: 50, capMs: 200, floorMs: 20 } },
        CERT_APP,
      );
      await c.login({ uid, token });
      const states = collect<[ConnectionState, ConnectionChangeReason]>(c, 'ConnectionStateChanged');
      proxy.pause('refuse');
      proxy.dropAll();
      await until(() => c.connectionState === 'RECONNECTING', 5000, 'RECONNECTING');
      // The server ends the detached session when its token expires…
      await until(
        () => t.server.sessions.local(CERT_APP, uid) === undefined,
        10_000,
        'session ended at expiry',
      );
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
      // …so when the link is back the SDK's re-login is refused: TokenExpired, state unchanged.
      const expired = next(c, 'TokenExpired', 10_000);
      proxy.resume();
      await expired;
      expect(c.connectionState).toBe('RECONNECTING');
      // The next re-login uses the renewed token; the renewal itself goes out on the new session.
      await c.renewToken(fresh(uid));
      expect(c.connectionState).toBe('CONNECTED');
      expect(states).toEqual([
        ['RECONNECTING', 'INTERRUPTED'],
        ['CONNECTED', 'LOGIN_SUCCESS'],
      ]);
      expect(t.server.sessions.local(CERT_APP, uid)).toBeDefined();
    } finally {
      await proxy.close();
    }
  });
});

describe('renewToken errors (RenewTokenError)', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup({ apps: [{ appId: CERT_APP, appCertificate: CERT }, { appId: OPEN_APP }] });
  });
  afterAll(async () => t.cleanup());

  /** Each case gets its own session, so the 2 / s renewal limit never mixes cases. */
  async function loggedIn(uid: string) {
    const c = t.client({}, CERT_APP);
    await c.login({ uid, token: fresh(uid) });
    return c;
  }
  const unauth = (code: number) => ({ code, name: 'RtmUnauthenticatedError' });

  it.each<[string, (uid: string) => unknown, Err]>([
    ['malformed token → INVALID_TOKEN 6', () => 'garbage', unauth(RenewTokenError.INVALID_TOKEN)],
    ['token for another user → 6', () => fresh('someone-else'), unauth(RenewTokenError.INVALID_TOKEN)],
    [
      'forged token (wrong certificate) → 6',
      (uid) => buildRtmToken007(CERT_APP, '0123456789abcdef0123456789abcdef', uid, 3600),
      unauth(RenewTokenError.INVALID_TOKEN),
    ],
    ['the App ID (no token) → 6', () => CERT_APP, unauth(RenewTokenError.INVALID_TOKEN)],
    [
      'a Signaling token on an RTM session → 6',
      (uid) => buildSignalingToken(CERT_APP, CERT, uid, nowS() + 3600),
      unauth(RenewTokenError.INVALID_TOKEN),
    ],
    [
      'expired token → TOKEN_EXPIRED 5',
      (uid) => buildRtmToken007(CERT_APP, CERT, uid, 10, { issueTs: nowS() - 60 }),
      unauth(RenewTokenError.TOKEN_EXPIRED),
    ],
    ['empty token → INVALID_ARGUMENT 2 (SDK)', () => '', { code: 2, name: 'RtmInvalidArgumentError' }],
    ['non-string token → 2 (SDK)', () => 42, { code: 2, name: 'RtmInvalidArgumentError' }],
  ])('%s', async (name, token, expected) => {
    const uid = `renew-${name.split(' ')[0]}-${expected.code}`;
    const c = await loggedIn(uid);
    expect(await renewError(c, token(uid))).toEqual(expected);
    expect(c.connectionState).toBe('CONNECTED');
  });

  it('a refused renewal keeps the previous token: a later automatic re-login still works', async () => {
    const c = await loggedIn('keeps-token');
    expect(await renewError(c, 'garbage')).toEqual(unauth(RenewTokenError.INVALID_TOKEN));
    const states = collect<[ConnectionState, ConnectionChangeReason]>(c, 'ConnectionStateChanged');
    // The server drops the session (as at a restart): the SDK logs in again with its stored token.
    const s = t.server.sessions.local(CERT_APP, 'keeps-token');
    expect(s).toBeDefined();
    await t.server.sessions.end(s!, 'SHUTDOWN');
    await until(() => states.length >= 2, 5000, 're-login');
    expect(states).toEqual([
      ['RECONNECTING', 'INTERRUPTED'],
      ['CONNECTED', 'LOGIN_SUCCESS'],
    ]);
  });

  it('more than 2 renewals in a second → TOO_OFTEN 4 (RtmInvokeTooOftenError), enforced by the server', async () => {
    const c = await loggedIn('too-often');
    const results = await Promise.all([1, 2, 3].map(() => renewError(c, fresh('too-often'))));
    expect(results).toEqual([
      'ok',
      'ok',
      { code: RenewTokenError.TOO_OFTEN, name: 'RtmInvokeTooOftenError' },
    ]);
  });

  it('not logged in → 102 (RtmInvalidStatusError): never logged in, and after logout', async () => {
    const c = t.client({}, CERT_APP);
    expect(await renewError(c, fresh('nobody'))).toEqual({ code: 102, name: 'RtmInvalidStatusError' });
    await c.login({ uid: 'nobody', token: fresh('nobody') });
    await c.logout();
    expect(await renewError(c, fresh('nobody'))).toEqual({ code: 102, name: 'RtmInvalidStatusError' });
  });

  it('on an app without certificate (and in development mode) a renewal is accepted and ignored', async () => {
    const c = t.client({}, OPEN_APP);
    await c.login({ uid: 'open' });
    expect(await renewError(c, 'anything')).toBe('ok');
    expect(await renewError(c, fresh('open'))).toBe('ok');
    const dev = await setup();
    try {
      const d = await dev.login('dev');
      expect(await renewError(d, 'anything')).toBe('ok');
    } finally {
      await dev.cleanup();
    }
  });
});
