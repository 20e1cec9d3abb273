import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LoginError, Op, RenewTokenError } from '@parley/protocol';
import type { RtmClient } from '@parley/sdk';
import {
  buildAccessToken006,
  buildAccessToken2,
  buildRtmToken006,
  buildRtmToken007,
  buildSignalingToken,
  ServiceType,
} from '@parley/token';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTokenCommand } from '../../src/cli/token-command.js';
import { APP_ID, setup } from '../helpers.js';
import { RawClient, rawLogin } from '../raw-client.js';

/** An app with a certificate (the official vector credentials) and one without. */
const CERT_APP = '970CA35de60c44645bbae8a215061b33';
const CERT = '5CFd2fd1755d40ecb72977518be15d3b';
const OPEN_APP = APP_ID;
const UNKNOWN_APP = 'ffffffffffffffffffffffffffffffff';
const WRONG_CERT = '0123456789abcdef0123456789abcdef';

const nowS = () => Math.floor(Date.now() / 1000);
const t007 = (uid: string, expire = 3600, appId = CERT_APP, cert = CERT) =>
  buildRtmToken007(appId, cert, uid, expire);
const t006 = (uid: string, ts = nowS() + 3600, cert = CERT) =>
  buildRtmToken006(CERT_APP, cert, uid, 0, { ts });
const tSig = (account: string, expiredTs = nowS() + 3600) =>
  buildSignalingToken(CERT_APP, CERT, account, expiredTs);

/** Logs a fresh SDK client in; resolves with the thrown error's code and class name, or 'ok'. */
async function attempt(t: Awaited<ReturnType<typeof setup>>, appId: string, uid: string, token?: string) {
  const c: RtmClient = t.client({}, appId);
  try {
    await c.login({ uid, token });
    return 'ok';
  } catch (e) {
    const err = e as { code: number; name: string };
    return { code: err.code, name: err.name };
  }
}
const unauth = (code: number) => ({ code, name: 'RtmUnauthenticatedError' });

describe('login with apps configured', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup({ apps: [{ appId: CERT_APP, appCertificate: CERT }, { appId: OPEN_APP }] });
  });
  afterAll(async () => t.cleanup());

  const certCases: Array<[string, () => string | undefined, 'ok' | { code: number; name: string }]> = [
    ['valid 007 token', () => t007('alice'), 'ok'],
    ['valid 006 token', () => t006('alice'), 'ok'],
    ['no token', () => undefined, unauth(LoginError.INVALID_TOKEN)],
    ['empty token', () => '', unauth(LoginError.INVALID_TOKEN)],
    ['the App ID as token (= no token)', () => CERT_APP, unauth(LoginError.INVALID_TOKEN)],
    ['malformed token', () => 'not-a-token', unauth(LoginError.INVALID_TOKEN)],
    ['007 truncated', () => t007('alice').slice(0, -4), unauth(LoginError.INVALID_TOKEN)],
    [
      '007 forged (wrong certificate)',
      () => t007('alice', 3600, CERT_APP, WRONG_CERT),
      unauth(LoginError.INVALID_TOKEN),
    ],
    [
      '006 forged (wrong certificate)',
      () => t006('alice', nowS() + 3600, WRONG_CERT),
      unauth(LoginError.INVALID_TOKEN),
    ],
    ['007 for another user', () => t007('bob'), unauth(LoginError.INVALID_TOKEN)],
    ['006 for another user', () => t006('bob'), unauth(LoginError.INVALID_TOKEN)],
    ['007 for another App ID', () => t007('alice', 3600, OPEN_APP), unauth(LoginError.INVALID_TOKEN)],
    [
      '006 without the RTM login privilege (an RTC token)',
      () =>
        buildAccessToken006({
          appId: CERT_APP,
          appCertificate: CERT,
          channelName: 'alice',
          uid: '',
          salt: 1,
          ts: nowS() + 3600,
          privileges: { 1: 0 },
        }),
      unauth(LoginError.INVALID_TOKEN),
    ],
    [
      '007 without an RTM service (an RTC token)',
      () =>
        buildAccessToken2({
          appId: CERT_APP,
          appCertificate: CERT,
          issueTs: nowS(),
          expire: 3600,
          salt: 1,
          services: [{ type: ServiceType.rtc, privileges: { 1: 3600 }, channelName: 'alice', uid: '' }],
        }),
      unauth(LoginError.INVALID_TOKEN),
    ],
    ['a Signaling token on an RTM login', () => tSig('alice'), unauth(LoginError.INVALID_TOKEN)],
    ['_no_need_token on an RTM login', () => '_no_need_token', unauth(LoginError.INVALID_TOKEN)],
    [
      '007 expired',
      () => buildRtmToken007(CERT_APP, CERT, 'alice', 10, { issueTs: nowS() - 60 }),
      unauth(LoginError.TOKEN_EXPIRED),
    ],
    ['006 expired (its ts is past)', () => t006('alice', nowS() - 60), unauth(LoginError.TOKEN_EXPIRED)],
    // docs/security.md: 006 validity is the token's `ts`; the kRtmLogin value is not enforced.
    [
      '006 with a past privilegeExpiredTs but a valid ts',
      () => buildRtmToken006(CERT_APP, CERT, 'alice', nowS() - 60),
      'ok',
    ],
    [
      '007 whose login privilege ran out before the token',
      () =>
        buildAccessToken2({
          appId: CERT_APP,
          appCertificate: CERT,
          issueTs: nowS() - 60,
          expire: 3600,
          salt: 1,
          services: [{ type: ServiceType.rtm, privileges: { 1: 10 }, userId: 'alice' }],
        }),
      unauth(LoginError.TOKEN_EXPIRED),
    ],
    [
      '007 with login privilege 0 (no limit of its own)',
      () =>
        buildAccessToken2({
          appId: CERT_APP,
          appCertificate: CERT,
          issueTs: nowS(),
          expire: 3600,
          salt: 1,
          services: [{ type: ServiceType.rtm, privileges: { 1: 0 }, userId: 'alice' }],
        }),
      'ok',
    ],
  ];

  it.each(certCases)('app with certificate: %s', async (_name, token, expected) => {
    expect(await attempt(t, CERT_APP, 'alice', token())).toEqual(expected);
  });

  const openCases: Array<[string, string | undefined]> = [
    ['no token', undefined],
    ['the App ID as token', OPEN_APP],
    ['an empty token', ''],
    // docs/security.md: an app without certificate does not look at the token at all.
    ['any string as token', 'whatever'],
    ['_no_need_token (an ordinary string for RTM)', '_no_need_token'],
    ['a token made for another app', t007('alice')],
  ];
  it.each(openCases)('app without certificate: %s → logs in', async (_name, token) => {
    expect(await attempt(t, OPEN_APP, 'alice', token)).toBe('ok');
  });

  it('unknown App ID → INVALID_APP_ID 4 (RtmUnauthenticatedError), with or without a token', async () => {
    expect(await attempt(t, UNKNOWN_APP, 'alice')).toEqual(unauth(LoginError.INVALID_APP_ID));
    expect(await attempt(t, UNKNOWN_APP, 'alice', t007('alice'))).toEqual(unauth(LoginError.INVALID_APP_ID));
  });

  it('a malformed App ID is refused by the server with 4 (the SDK refuses it before sending)', async () => {
    for (const appId of ['short', `${CERT_APP}0`, `${CERT_APP.slice(1)}-`, ''])
      expect((await rawLogin(t.server.wsUrl, { appId, uid: 'alice' })).code).toBe(LoginError.INVALID_APP_ID);
  });

  it('the login response carries the token expiry; token-less sessions have none', async () => {
    const token = buildRtmToken007(CERT_APP, CERT, 'alice', 600, { issueTs: 1_900_000_000 - 300 });
    // issueTs in the future is fine for verification; expiry = issueTs + 600
    const r = await rawLogin(t.server.wsUrl, { appId: CERT_APP, uid: 'alice', token });
    expect(r.code).toBe(0);
    expect(r.body.tokenExpiresAt).toBe((1_900_000_000 + 300) * 1000);
    const open = await rawLogin(t.server.wsUrl, { appId: OPEN_APP, uid: 'alice' });
    expect(open.code).toBe(0);
    expect(open.body.tokenExpiresAt).toBeNull();
  });

  it('users and sessions are per app: the same uid in two apps does not kick each other', async () => {
    const a = t.client({}, CERT_APP);
    await a.login({ uid: 'carol', token: t007('carol') });
    const b = t.client({}, OPEN_APP);
    await b.login({ uid: 'carol' });
    expect(a.connectionState).toBe('CONNECTED');
    expect(t.server.sessions.local(CERT_APP, 'carol')).toBeDefined();
    expect(t.server.sessions.local(OPEN_APP, 'carol')).toBeDefined();
  });
});

describe('Signaling logins (protocol level: Login kind "signaling")', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup({ apps: [{ appId: CERT_APP, appCertificate: CERT }, { appId: OPEN_APP }] });
  });
  afterAll(async () => t.cleanup());
  const login = (appId: string, token: string | undefined, kind?: string, uid = 'alice') =>
    rawLogin(t.server.wsUrl, { appId, uid, token, kind }).then((r) => r.code);

  it('a Signaling token is accepted only for a Signaling login', async () => {
    expect(await login(CERT_APP, tSig('alice'), 'signaling')).toBe(0);
    expect(await login(CERT_APP, tSig('alice'), 'rtm')).toBe(LoginError.INVALID_TOKEN);
    expect(await login(CERT_APP, tSig('alice'), undefined)).toBe(LoginError.INVALID_TOKEN);
  });

  it('a Signaling token is checked: other account, wrong certificate → 5; expired → 6', async () => {
    expect(await login(CERT_APP, tSig('bob'), 'signaling')).toBe(LoginError.INVALID_TOKEN);
    const forged = buildSignalingToken(CERT_APP, WRONG_CERT, 'alice', nowS() + 3600);
    expect(await login(CERT_APP, forged, 'signaling')).toBe(LoginError.INVALID_TOKEN);
    expect(await login(CERT_APP, tSig('alice', nowS() - 10), 'signaling')).toBe(LoginError.TOKEN_EXPIRED);
    expect(await login(CERT_APP, '1:garbage', 'signaling')).toBe(LoginError.INVALID_TOKEN);
  });

  it('a Signaling login may also use an RTM 006/007 token', async () => {
    expect(await login(CERT_APP, t007('alice'), 'signaling')).toBe(0);
    expect(await login(CERT_APP, t006('alice'), 'signaling')).toBe(0);
  });

  it('_no_need_token: no token for a Signaling login, so ok without certificate and 5 with one', async () => {
    expect(await login(OPEN_APP, '_no_need_token', 'signaling')).toBe(0);
    expect(await login(CERT_APP, '_no_need_token', 'signaling')).toBe(LoginError.INVALID_TOKEN);
    expect(await login(CERT_APP, '_no_need_token', 'rtm')).toBe(LoginError.INVALID_TOKEN);
    // RTM to an app without certificate: the token is not looked at (docs/security.md)
    expect(await login(OPEN_APP, '_no_need_token', 'rtm')).toBe(0);
  });

  it('the App ID as token counts as no token on the wire too (the SDK already strips it)', async () => {
    expect(await login(OPEN_APP, OPEN_APP)).toBe(0);
    expect(await login(CERT_APP, CERT_APP)).toBe(LoginError.INVALID_TOKEN);
    expect(await login(CERT_APP, '')).toBe(LoginError.INVALID_TOKEN);
    // another app's ID is just a malformed token
    expect(await login(CERT_APP, OPEN_APP, 'signaling')).toBe(LoginError.INVALID_TOKEN);
  });

  it('the server refuses an empty or missing renewal token with INVALID_ARGUMENT 2', async () => {
    const c = await RawClient.connect(t.server.wsUrl);
    expect((await c.login({ appId: CERT_APP, uid: 'renew-arg', token: t007('renew-arg') })).code).toBe(0);
    expect((await c.request(Op.RenewToken, { token: '' })).code).toBe(RenewTokenError.INVALID_ARGUMENT);
    expect((await c.request(Op.RenewToken, {})).code).toBe(RenewTokenError.INVALID_ARGUMENT);
    c.close();
  });

  it('an unknown kind is an invalid argument (3)', async () => {
    expect(await login(OPEN_APP, undefined, 'xmpp')).toBe(LoginError.INVALID_ARGUMENT);
  });

  it('renewToken on a Signaling session accepts a Signaling token; on an RTM session it is invalid (6)', async () => {
    const sig = await RawClient.connect(t.server.wsUrl);
    expect(
      (await sig.login({ appId: CERT_APP, uid: 'sig', token: tSig('sig'), kind: 'signaling' })).code,
    ).toBe(0);
    expect((await sig.request(Op.RenewToken, { token: tSig('sig', nowS() + 7200) })).code).toBe(0);
    expect((await sig.request(Op.RenewToken, { token: tSig('other', nowS() + 7200) })).code).toBe(
      RenewTokenError.INVALID_TOKEN,
    );
    sig.close();
    const rtm = await RawClient.connect(t.server.wsUrl);
    expect((await rtm.login({ appId: CERT_APP, uid: 'rtm', token: t007('rtm') })).code).toBe(0);
    expect((await rtm.request(Op.RenewToken, { token: tSig('rtm') })).code).toBe(
      RenewTokenError.INVALID_TOKEN,
    );
    rtm.close();
  });
});

describe('development mode (no apps configured)', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup();
  });
  afterAll(async () => t.cleanup());

  it('accepts any well-formed App ID without a token, and ignores a token', async () => {
    expect(await attempt(t, CERT_APP, 'alice')).toBe('ok');
    expect(await attempt(t, UNKNOWN_APP, 'alice')).toBe('ok');
    expect(await attempt(t, OPEN_APP, 'bob', 'garbage')).toBe('ok');
    expect(await attempt(t, OPEN_APP, 'carol', t007('someone-else'))).toBe('ok');
  });

  it('still refuses a malformed App ID with 4', async () => {
    expect((await rawLogin(t.server.wsUrl, { appId: 'nope', uid: 'alice' })).code).toBe(
      LoginError.INVALID_APP_ID,
    );
  });
});

describe('tokens printed by `parley token` log in', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup({ apps: [{ appId: CERT_APP, appCertificate: CERT }] });
  });
  afterAll(async () => t.cleanup());

  /** Runs `parley token ...` in-process and returns what it printed. */
  function tokenCli(args: string[]): string {
    let out = '';
    const program = new Command('parley').exitOverride().configureOutput({ writeOut: (s) => (out += s) });
    registerTokenCommand(program);
    program.parse(['token', ...args], { from: 'user' });
    return out.trim();
  }
  const creds = ['--app-id', CERT_APP, '--app-certificate', CERT];

  it.each([
    ['007 (default)', ['rtm', ...creds, '--user', 'alice']],
    ['007 with --expire', ['rtm', ...creds, '--user', 'alice', '--expire', '120', '--format', '007']],
    ['006', ['rtm', ...creds, '--user', 'alice', '--format', '006']],
    ['006 with --expire 0', ['rtm', ...creds, '--user', 'alice', '--format', '006', '--expire', '0']],
  ])('rtm %s', async (_name, args) => {
    expect(await attempt(t, CERT_APP, 'alice', tokenCli(args))).toBe('ok');
  });

  it('signaling: logs a Signaling login in, and is refused for RTM', async () => {
    const token = tokenCli(['signaling', ...creds, '--account', 'alice', '--expire', '600']);
    expect(
      (await rawLogin(t.server.wsUrl, { appId: CERT_APP, uid: 'alice', token, kind: 'signaling' })).code,
    ).toBe(0);
    expect(await attempt(t, CERT_APP, 'alice', token)).toEqual(unauth(LoginError.INVALID_TOKEN));
  });

  const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
  it('the built binary (node dist/cli.js token rtm ...)', async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` before these tests`);
    const r = spawnSync(
      process.execPath,
      [cli, 'token', 'rtm', ...creds, '--user', 'alice', '--expire', '300'],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^007\S+\n$/);
    expect(await attempt(t, CERT_APP, 'alice', r.stdout.trim())).toBe('ok');
  });
});
