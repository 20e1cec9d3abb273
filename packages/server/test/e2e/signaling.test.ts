import { SignalingCode, SignalingOp } from '@parley/protocol';
import {
  AgoraAPIOnlySignal,
  CallBack,
  IAgoraAPI,
  INVOKE_FUNCTIONS,
  SDK_VERSION_INT,
} from '@parley/signaling';
import { buildSignalingToken } from '@parley/token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config.js';
import { APP_ID, setup, until } from '../helpers.js';
import { type SigClient, record, signalingClients } from '../signaling-client.js';
import { RawClient } from '../raw-client.js';
import { startTcpProxy } from '../tcp-proxy.js';

/**
 * End-to-end tests of the Signaling facade (@parley/signaling) against a real server: every method
 * and callback, and every error path with Signaling's exact code (spec signaling-api.md §5).
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const C = SignalingCode;
/** Fast reconnects, so tests that cut a link do not wait on the default backoff. */
const FAST = { reconnect: { baseMs: 30, capMs: 100, floorMs: 10 } };

type Env = Awaited<ReturnType<typeof setup>> & { sig: ReturnType<typeof signalingClients> };
async function env(cfg: Partial<ServerConfig> = {}): Promise<Env> {
  const t = await setup(cfg);
  return { ...t, sig: signalingClients(t.servers) };
}
const close = async (e: Env) => {
  e.sig.cleanup();
  await e.cleanup();
};

describe('constants and instances', () => {
  it('error codes are Signaling’s exact values (IAgoraAPI.ECODE_*)', () => {
    expect(IAgoraAPI).toMatchObject({
      ECODE_SUCCESS: 0,
      ECODE_LOGOUT_E_OTHER: 100,
      ECODE_LOGOUT_E_USER: 101,
      ECODE_LOGOUT_E_NET: 102,
      ECODE_LOGOUT_E_KICKED: 103,
      ECODE_LOGOUT_E_PACKET: 104,
      ECODE_LOGOUT_E_TOKENEXPIRED: 105,
      ECODE_LOGOUT_E_OLDVERSION: 106,
      ECODE_LOGOUT_E_TOKENWRONG: 107,
      ECODE_LOGOUT_E_ALREADY_LOGOUT: 108,
      ECODE_LOGIN_E_OTHER: 200,
      ECODE_LOGIN_E_NET: 201,
      ECODE_LOGIN_E_FAILED: 202,
      ECODE_LOGIN_E_CANCEL: 203,
      ECODE_LOGIN_E_TOKENEXPIRED: 204,
      ECODE_LOGIN_E_OLDVERSION: 205,
      ECODE_LOGIN_E_TOKENWRONG: 206,
      ECODE_LOGIN_E_TOKEN_KICKED: 207,
      ECODE_LOGIN_E_ALREADY_LOGIN: 208,
      ECODE_LOGIN_E_INVALID_USER: 209,
      ECODE_JOINCHANNEL_E_OTHER: 300,
      ECODE_SENDMESSAGE_E_OTHER: 400,
      ECODE_SENDMESSAGE_E_TIMEOUT: 401,
      ECODE_QUERYUSERNUM_E_OTHER: 500,
      ECODE_QUERYUSERNUM_E_TIMEOUT: 501,
      ECODE_QUERYUSERNUM_E_BYUSER: 502,
      ECODE_LEAVECHANNEL_E_OTHER: 600,
      ECODE_LEAVECHANNEL_E_KICKED: 601,
      ECODE_LEAVECHANNEL_E_BYUSER: 602,
      ECODE_LEAVECHANNEL_E_LOGOUT: 603,
      ECODE_LEAVECHANNEL_E_DISCONN: 604,
      ECODE_INVITE_E_OTHER: 700,
      ECODE_INVITE_E_REINVITE: 701,
      ECODE_INVITE_E_NET: 702,
      ECODE_INVITE_E_PEEROFFLINE: 703,
      ECODE_INVITE_E_TIMEOUT: 704,
      ECODE_INVITE_E_CANTRECV: 705,
      ECODE_GENERAL_E: 1000,
      ECODE_GENERAL_E_FAILED: 1001,
      ECODE_GENERAL_E_UNKNOWN: 1002,
      ECODE_GENERAL_E_NOT_LOGIN: 1003,
      ECODE_GENERAL_E_WRONG_PARAM: 1004,
      ECODE_GENERAL_E_LARGE_PARAM: 1005,
      LOGIN_STATE_NOT_LOGIN: 0,
      LOGIN_STATE_LOGINING: 1,
      LOGIN_STATE_LOGINED: 2,
      LOGIN_STATE_RECONNECTING: 3,
    });
    expect(Object.keys(IAgoraAPI)).toHaveLength(43 + 4);
  });

  it('createAgoraSDKInstance makes new instances, getInstance shares one per App ID until destroy', () => {
    const opts = { serverUrl: 'ws://127.0.0.1:1/rtm' };
    const a = AgoraAPIOnlySignal.createAgoraSDKInstance(APP_ID, opts);
    const b = AgoraAPIOnlySignal.createAgoraSDKInstance(APP_ID, opts);
    expect(a).not.toBe(b);
    const s1 = AgoraAPIOnlySignal.getInstance(APP_ID, opts);
    expect(AgoraAPIOnlySignal.getInstance(APP_ID, opts)).toBe(s1);
    s1.destroy();
    const s2 = AgoraAPIOnlySignal.getInstance(APP_ID, opts);
    expect(s2).not.toBe(s1);
    s2.destroy();
    // serverUrl is optional (the RTM SDK's default); a value that is not a URL or a list is refused
    AgoraAPIOnlySignal.createAgoraSDKInstance(APP_ID).destroy();
    expect(() => AgoraAPIOnlySignal.createAgoraSDKInstance(APP_ID, { serverUrl: 42 } as never)).toThrow(
      TypeError,
    );
    a.destroy();
    b.destroy();
  });

  it('callbackSet / callbackGet, getStatus before login, getSdkVersion', () => {
    const api = AgoraAPIOnlySignal.createAgoraSDKInstance(APP_ID, { serverUrl: 'ws://127.0.0.1:1/rtm' });
    expect(api.callbackGet()).toBeNull();
    const cb = new (class extends CallBack {
      override onLoginSuccess(): void {}
    })();
    api.callbackSet(cb);
    expect(api.callbackGet()).toBe(cb);
    expect(api.getStatus()).toBe(IAgoraAPI.LOGIN_STATE_NOT_LOGIN);
    expect(api.getSdkVersion()).toBe(SDK_VERSION_INT);
    expect(SDK_VERSION_INT).toBe(1010404000);
    api.destroy();
  });

  it('invoke knows every documented io.agora.signal function', () => {
    expect([...INVOKE_FUNCTIONS].sort()).toEqual(
      [
        'user_query_user_status',
        'user_set_attr',
        'user_get_attr',
        'user_get_attr_all',
        'channel_query_num',
        'channel_query_user_isin',
        'channel_query_userlist',
        'channel_query_userlist_all',
        'channel_set_attr',
        'channel_del_attr',
        'channel_clear_attr',
      ]
        .map((f) => `io.agora.signal.${f}`)
        .sort(),
    );
  });
});

describe('login and logout', () => {
  let e: Env;
  beforeAll(async () => {
    e = await env({ sessionGraceMs: 2000 });
  });
  afterAll(() => close(e));

  it('login: status 1 then 2, onLoginSuccess(uid, 0); logout: onLogout(101), status 0', async () => {
    const c = e.sig.create();
    c.api.login(APP_ID, 'lg-alice', '_no_need_token', 0, '');
    expect(c.api.getStatus()).toBe(1);
    await c.wait('onLoginSuccess');
    expect(c.calls('onLoginSuccess')).toEqual([[0, 0]]);
    expect(c.api.getStatus()).toBe(2);
    c.api.logout();
    await c.wait('onLogout');
    expect(c.calls('onLogout')).toEqual([[C.LOGOUT_E_USER]]);
    expect(c.api.getStatus()).toBe(0);
  });

  it('login2 passes the uid back; a second login while logged in is ignored', async () => {
    const c = e.sig.create();
    c.api.login2(APP_ID, 'lg-uid', '_no_need_token', 7, '', 30, 3);
    await c.wait('onLoginSuccess');
    expect(c.calls('onLoginSuccess')).toEqual([[7, 0]]);
    c.api.login(APP_ID, 'lg-uid', '_no_need_token', 0, '');
    await sleep(200); // checking that nothing happens
    expect(c.calls('onLoginSuccess')).toHaveLength(1);
    expect(c.calls('onLoginFailed')).toHaveLength(0);
  });

  it('logout then login at once logs in again (Signaling 1.2+)', async () => {
    const c = await e.sig.login('lg-again');
    c.api.logout();
    c.api.login(APP_ID, 'lg-again', '_no_need_token', 0, '');
    await c.waitCount('onLoginSuccess', 2);
    expect(c.index('onLogout')).toBeLessThan(c.log.map((x) => x[0]).lastIndexOf('onLoginSuccess'));
    expect(c.calls('onLogout')).toEqual([[C.LOGOUT_E_USER]]);
    expect(c.api.getStatus()).toBe(2);
  });

  it('logout while not logged in: onLogout(108); while logging in: the login stops silently', async () => {
    const c = e.sig.create();
    c.api.logout();
    expect(await c.wait('onLogout')).toEqual([C.LOGOUT_E_ALREADY_LOGOUT]);
    c.api.login(APP_ID, 'lg-cancel', '_no_need_token', 0, '');
    c.api.logout();
    await until(() => c.api.getStatus() === 0);
    await sleep(200); // nothing else arrives
    expect(c.calls('onLoginSuccess')).toHaveLength(0);
    expect(c.calls('onLoginFailed')).toHaveLength(0);
    expect(c.calls('onLogout')).toHaveLength(1);
  });

  it('an invalid account: onLoginFailed(209)', async () => {
    const c = e.sig.create();
    c.api.login(APP_ID, 'has a\nnewline'.repeat(10), '_no_need_token', 0, '');
    expect(await c.wait('onLoginFailed')).toEqual([C.LOGIN_E_INVALID_USER]);
    const d = e.sig.create();
    d.api.login(APP_ID, 'null', '_no_need_token', 0, '');
    expect(await d.wait('onLoginFailed')).toEqual([C.LOGIN_E_INVALID_USER]);
  });

  it('an unknown-format App ID is refused: onLoginFailed(202)', async () => {
    const c = e.sig.create();
    c.api.login('not-an-app-id', 'lg-appid', '_no_need_token', 0, '');
    expect(await c.wait('onLoginFailed')).toEqual([C.LOGIN_E_FAILED]);
  });

  it('the same account logging in elsewhere: onLogout(103) on the first', async () => {
    const first = await e.sig.login('lg-dup');
    await e.sig.login('lg-dup');
    expect(await first.wait('onLogout')).toEqual([C.LOGOUT_E_KICKED]);
    expect(first.api.getStatus()).toBe(0);
  });

  it('destroy logs out: the account goes offline at once', async () => {
    const c = await e.sig.login('lg-destroy');
    const watcher = await e.sig.login('lg-watcher');
    c.api.destroy();
    expect(c.api.getStatus()).toBe(0);
    expect(c.api.callbackGet()).toBeNull();
    // Poll (not timed): the logout reaches the server shortly after destroy().
    for (let i = 1; ; i++) {
      watcher.api.queryUserStatus('lg-destroy');
      const [, status] = (await watcher.waitCount('onQueryUserStatusResult', i))[i - 1]!;
      if (status === '0') break;
      await sleep(100);
    }
  });
});

describe('tokens', () => {
  const CERT_APP = '970CA35de60c44645bbae8a215061b33';
  const CERT = '5CFd2fd1755d40ecb72977518be15d3b';
  const nowS = () => Math.floor(Date.now() / 1000);
  let e: Env;
  beforeAll(async () => {
    e = await env({ apps: [{ appId: CERT_APP, appCertificate: CERT }, { appId: APP_ID }] });
  });
  afterAll(() => close(e));
  const onApp = (appId: string) => {
    const c = e.sig.create({}, appId);
    return c;
  };

  it('an app with a certificate: a Signaling token logs in, _no_need_token is refused (206)', async () => {
    const ok = onApp(CERT_APP);
    ok.api.login(CERT_APP, 'tk-ok', buildSignalingToken(CERT_APP, CERT, 'tk-ok', nowS() + 3600), 0, '');
    await ok.wait('onLoginSuccess');
    const no = onApp(CERT_APP);
    no.api.login(CERT_APP, 'tk-none', '_no_need_token', 0, '');
    expect(await no.wait('onLoginFailed')).toEqual([C.LOGIN_E_TOKENWRONG]);
    const other = onApp(CERT_APP);
    other.api.login(
      CERT_APP,
      'tk-other',
      buildSignalingToken(CERT_APP, CERT, 'someone', nowS() + 3600),
      0,
      '',
    );
    expect(await other.wait('onLoginFailed')).toEqual([C.LOGIN_E_TOKENWRONG]);
  });

  it('an expired Signaling token: onLoginFailed(204)', async () => {
    const c = onApp(CERT_APP);
    c.api.login(CERT_APP, 'tk-old', buildSignalingToken(CERT_APP, CERT, 'tk-old', nowS() - 10), 0, '');
    expect(await c.wait('onLoginFailed')).toEqual([C.LOGIN_E_TOKENEXPIRED]);
  });

  it('an app without certificate takes _no_need_token', async () => {
    const c = onApp(APP_ID);
    await c.login('tk-open');
  });

  it('a token that expires on a live session: onLogout(105)', async () => {
    const c = onApp(CERT_APP);
    c.api.login(
      CERT_APP,
      'tk-expiring',
      buildSignalingToken(CERT_APP, CERT, 'tk-expiring', nowS() + 2),
      0,
      '',
    );
    await c.wait('onLoginSuccess');
    expect(await c.wait('onLogout', undefined, 5000)).toEqual([C.LOGOUT_E_TOKENEXPIRED]);
    expect(c.api.getStatus()).toBe(0);
  });

  it('a token that expires while the link is down: the re-login is refused, onLogout(105) (no renewal in Signaling)', async () => {
    const proxy = await startTcpProxy(e.server.port);
    try {
      const uid = 'tk-away';
      const c = record(
        AgoraAPIOnlySignal.createAgoraSDKInstance(CERT_APP, { serverUrl: proxy.url, ...FAST }),
      );
      c.api.login2(CERT_APP, uid, buildSignalingToken(CERT_APP, CERT, uid, nowS() + 2), 0, '', 30, 1000);
      await c.wait('onLoginSuccess');
      proxy.pause('refuse');
      proxy.dropAll();
      await c.wait('onReconnecting');
      // The server ends the detached session when its token expires, so the SDK logs in again.
      await until(() => e.server.sessions.local(CERT_APP, uid) === undefined, 10_000, 'session ended');
      proxy.resume();
      expect(await c.wait('onLogout', undefined, 10_000)).toEqual([C.LOGOUT_E_TOKENEXPIRED]);
      expect(c.api.getStatus()).toBe(0);
      expect(c.calls('onLoginFailed')).toHaveLength(0);
      expect(c.calls('onReconnected')).toHaveLength(0);
      c.api.destroy();
    } finally {
      await proxy.close();
    }
  });
});

describe('reconnection', () => {
  let e: Env;
  beforeAll(async () => {
    e = await env({ sessionGraceMs: 3000 });
  });
  afterAll(() => close(e));

  it('a dropped link: status 3, onReconnecting(n), then onReconnected(0) and status 2; the session resumed', async () => {
    const proxy = await startTcpProxy(e.server.port);
    try {
      const c = record(AgoraAPIOnlySignal.createAgoraSDKInstance(APP_ID, { serverUrl: proxy.url, ...FAST }));
      c.api.login2(APP_ID, 'rc-alice', '_no_need_token', 0, '', 30, 1000);
      await c.wait('onLoginSuccess');
      const peer = await e.sig.login('rc-peer');
      proxy.pause('refuse');
      proxy.dropAll();
      await c.wait('onReconnecting');
      expect(c.api.getStatus()).toBe(3);
      expect(c.calls('onReconnecting')[0]).toEqual([1]);
      // sent while away: delivered on resume
      peer.api.messageInstantSend('rc-alice', 0, 'while away', '');
      await peer.wait('onMessageSendSuccess');
      proxy.resume();
      expect(await c.wait('onReconnected')).toEqual([0]);
      expect(c.api.getStatus()).toBe(2);
      await c.wait('onMessageInstantReceive', (_a, _u, m) => m === 'while away');
      expect(c.calls('onLogout')).toHaveLength(0);
      c.api.destroy();
    } finally {
      await proxy.close();
    }
  });

  it('reconnection gives up after retry_count attempts: onLogout(102)', async () => {
    const proxy = await startTcpProxy(e.server.port);
    try {
      const c = record(AgoraAPIOnlySignal.createAgoraSDKInstance(APP_ID, { serverUrl: proxy.url, ...FAST }));
      c.api.login2(APP_ID, 'rc-giveup', '_no_need_token', 0, '', 30, 2);
      await c.wait('onLoginSuccess');
      proxy.pause('refuse');
      proxy.dropAll();
      expect(await c.wait('onLogout')).toEqual([C.LOGOUT_E_NET]);
      expect(c.calls('onReconnecting')).toEqual([[1], [2]]);
      expect(c.api.getStatus()).toBe(0);
      c.api.destroy();
    } finally {
      await proxy.close();
    }
  });

  it('login2 with an unreachable server: onLoginFailed(201) after retry_count retries or retry_time', async () => {
    const proxy = await startTcpProxy(e.server.port);
    try {
      proxy.pause('refuse');
      const byCount = record(
        AgoraAPIOnlySignal.createAgoraSDKInstance(APP_ID, { serverUrl: proxy.url, ...FAST }),
      );
      byCount.api.login2(APP_ID, 'rc-count', '_no_need_token', 0, '', 30, 2);
      expect(await byCount.wait('onLoginFailed')).toEqual([C.LOGIN_E_NET]);
      expect(byCount.calls('onReconnecting')).toHaveLength(0);
      proxy.pause('hold');
      const byTime = record(
        AgoraAPIOnlySignal.createAgoraSDKInstance(APP_ID, { serverUrl: proxy.url, ...FAST }),
      );
      byTime.api.login2(APP_ID, 'rc-time', '_no_need_token', 0, '', 1, 1000);
      expect(await byTime.wait('onLoginFailed')).toEqual([C.LOGIN_E_NET]);
      expect(byTime.api.getStatus()).toBe(0);
      byCount.api.destroy();
      byTime.api.destroy();
    } finally {
      await proxy.close();
    }
  });

  it('a lost session (grace over): logs in again, rejoins its channel and restores its attributes', async () => {
    const short = await env({ sessionGraceMs: 200 });
    const proxy = await startTcpProxy(short.server.port);
    try {
      const c = record(AgoraAPIOnlySignal.createAgoraSDKInstance(APP_ID, { serverUrl: proxy.url, ...FAST }));
      c.api.login2(APP_ID, 'rc-lost', '_no_need_token', 0, '', 30, 1000);
      await c.wait('onLoginSuccess');
      c.api.setAttr('mood', 'calm');
      c.api.channelJoin('rc-room');
      await c.wait('onChannelJoined');
      const other = await short.sig.login('rc-other');
      other.api.channelJoin('rc-room');
      await other.wait('onChannelJoined');
      proxy.pause('refuse');
      proxy.dropAll();
      await other.wait('onChannelUserLeaved', (a) => a === 'rc-lost'); // grace over: the session ended
      proxy.resume();
      await c.wait('onReconnected');
      await other.wait('onChannelUserJoined', (a) => a === 'rc-lost');
      other.api.getUserAttr('rc-lost', 'mood');
      expect(await other.wait('onUserAttrResult')).toEqual(['rc-lost', 'mood', 'calm']);
      other.api.messageChannelSend('rc-room', 'back?', '');
      await c.wait('onMessageChannelReceive', (_ch, _a, _u, m) => m === 'back?');
      c.api.destroy();
    } finally {
      await proxy.close();
      await close(short);
    }
  });
});

describe('peer messages, status and user attributes', () => {
  let e: Env;
  beforeAll(async () => {
    e = await env();
  });
  afterAll(() => close(e));

  it('messageInstantSend: onMessageSendSuccess(msgID), peer onMessageInstantReceive(account, 0, msg)', async () => {
    const a = await e.sig.login('pm-a');
    const b = await e.sig.login('pm-b');
    a.api.messageInstantSend('pm-b', 0, 'hello 👋', 'id-1');
    a.api.messageInstantSend('pm-b', 0, 'second', '');
    expect(await a.wait('onMessageSendSuccess')).toEqual(['id-1']);
    const [, second] = await a.waitCount('onMessageSendSuccess', 2);
    expect(second![0]).toMatch(/^parley-/); // an empty msgID gets one from the SDK
    await b.waitCount('onMessageInstantReceive', 2);
    expect(b.calls('onMessageInstantReceive')).toEqual([
      ['pm-a', 0, 'hello 👋'],
      ['pm-a', 0, 'second'],
    ]);
  });

  it('success means the server has it (Signaling), also when the peer is offline', async () => {
    const a = await e.sig.login('pm-lonely');
    a.api.messageInstantSend('pm-nobody', 0, 'anyone?', 'off-1');
    expect(await a.wait('onMessageSendSuccess')).toEqual(['off-1']);
  });

  it('onMessageSendError(msgID, 400): invalid account, message over the limit, not logged in', async () => {
    const a = await e.sig.login('pm-err');
    a.api.messageInstantSend('bad account\u0000', 0, 'x', 'e1');
    a.api.messageInstantSend('pm-b', 0, 'x'.repeat(32 * 1024 + 1), 'e2');
    a.api.messageInstantSend('pm-b', 0, 42 as unknown as string, 'e3');
    await a.waitCount('onMessageSendError', 3);
    expect(a.calls('onMessageSendError')).toEqual([
      ['e1', C.SENDMESSAGE_E_OTHER],
      ['e2', C.SENDMESSAGE_E_OTHER],
      ['e3', C.SENDMESSAGE_E_OTHER],
    ]);
    const out = e.sig.create();
    out.api.messageInstantSend('pm-b', 0, 'x', 'e4');
    expect(await out.wait('onMessageSendError')).toEqual(['e4', C.SENDMESSAGE_E_OTHER]);
  });

  it('queryUserStatus: onQueryUserStatusResult(account, "1" | "0")', async () => {
    const a = await e.sig.login('st-a');
    await e.sig.login('st-b');
    a.api.queryUserStatus('st-b');
    a.api.queryUserStatus('st-nobody');
    await a.waitCount('onQueryUserStatusResult', 2);
    expect(a.calls('onQueryUserStatusResult')).toEqual([
      ['st-b', '1'],
      ['st-nobody', '0'],
    ]);
    a.api.queryUserStatus('');
    expect(await a.wait('onError')).toEqual(['queryUserStatus', C.GENERAL_E_WRONG_PARAM, 'wrong_param']);
  });

  it('setAttr / getAttr / getAttrAll / getUserAttr / getUserAttrAll', async () => {
    const a = await e.sig.login('ua-a');
    const b = await e.sig.login('ua-b');
    a.api.setAttr('color', 'blue');
    a.api.setAttr('size', 'L');
    a.api.setAttr('__proto__', 'safe');
    a.api.getAttr('color');
    a.api.getAttr('missing');
    a.api.getAttrAll();
    await a.waitCount('onUserAttrResult', 2);
    expect(a.calls('onUserAttrResult')).toEqual([
      ['ua-a', 'color', 'blue'],
      ['ua-a', 'missing', ''],
    ]);
    const [, json] = await a.wait('onUserAttrAllResult');
    expect(JSON.parse(json as string)).toEqual(JSON.parse('{"color":"blue","size":"L","__proto__":"safe"}'));
    a.api.setAttr('size', ''); // an empty value deletes
    b.api.getUserAttr('ua-a', 'color');
    b.api.getUserAttrAll('ua-a');
    b.api.getUserAttrAll('ua-nobody');
    expect(await b.wait('onUserAttrResult')).toEqual(['ua-a', 'color', 'blue']);
    await b.waitCount('onUserAttrAllResult', 2);
    const all = b.calls('onUserAttrAllResult');
    expect(all[0]![0]).toBe('ua-a');
    expect(Object.keys(JSON.parse(all[0]![1] as string)).sort()).toEqual(['__proto__', 'color']);
    expect(all[1]).toEqual(['ua-nobody', '{}']);
  });

  it('attribute errors: onError(name, 1004 / 1005 / 1003)', async () => {
    const a = await e.sig.login('ua-err');
    a.api.setAttr('', 'x');
    a.api.setAttr('k'.repeat(33), 'x');
    a.api.setAttr('big', 'v'.repeat(8193));
    a.api.getAttr('');
    a.api.getUserAttrAll('bad\u0000id');
    await a.waitCount('onError', 5);
    expect(a.calls('onError').sort()).toEqual(
      [
        ['setAttr', C.GENERAL_E_WRONG_PARAM, 'wrong_param'],
        ['setAttr', C.GENERAL_E_WRONG_PARAM, 'wrong_param'],
        ['setAttr', C.GENERAL_E_LARGE_PARAM, 'large_param'],
        ['getAttr', C.GENERAL_E_WRONG_PARAM, 'wrong_param'],
        ['getUserAttrAll', C.GENERAL_E_WRONG_PARAM, 'wrong_param'],
      ].sort(),
    );
    const out = e.sig.create();
    out.api.setAttr('k', 'v');
    out.api.getAttrAll();
    out.api.queryUserStatus('ua-a');
    await out.waitCount('onError', 3);
    expect(out.calls('onError').map((x) => [x[0], x[1]])).toEqual([
      ['setAttr', C.GENERAL_E_NOT_LOGIN],
      ['getAttrAll', C.GENERAL_E_NOT_LOGIN],
      ['queryUserStatus', C.GENERAL_E_NOT_LOGIN],
    ]);
  });
});

describe('channels', () => {
  let e: Env;
  beforeAll(async () => {
    e = await env();
  });
  afterAll(() => close(e));

  it('channelJoin: onChannelJoined then onChannelUserList; others get onChannelUserJoined / onChannelUserLeaved', async () => {
    const a = await e.sig.login('ch-a');
    const b = await e.sig.login('ch-b');
    a.api.channelJoin('ch-room');
    await a.wait('onChannelUserList');
    b.api.channelJoin('ch-room');
    await b.wait('onChannelUserList');
    expect(b.index('onChannelJoined')).toBeLessThan(b.index('onChannelUserList'));
    expect(b.calls('onChannelJoined')).toEqual([['ch-room']]);
    const [accounts, uids] = b.calls('onChannelUserList')[0]!;
    expect([...(accounts as string[])].sort()).toEqual(['ch-a', 'ch-b']);
    expect(uids).toEqual([0, 0]);
    expect(await a.wait('onChannelUserJoined')).toEqual(['ch-b', 0]);
    b.api.channelLeave('ch-room');
    expect(await b.wait('onChannelLeaved')).toEqual(['ch-room', 0]);
    expect(await a.wait('onChannelUserLeaved')).toEqual(['ch-b', 0]);
  });

  it('one channel at a time: joining another leaves the first', async () => {
    const a = await e.sig.login('one-a');
    const w = await e.sig.login('one-watch');
    w.api.channelJoin('one-1');
    await w.wait('onChannelJoined');
    a.api.channelJoin('one-1');
    await a.wait('onChannelJoined');
    a.api.channelJoin('one-2');
    await a.wait('onChannelJoined', (ch) => ch === 'one-2');
    expect(a.calls('onChannelLeaved')).toEqual([['one-1', 0]]);
    expect(a.index('onChannelLeaved')).toBeLessThan(a.index('onChannelJoined', (ch) => ch === 'one-2'));
    expect(await w.wait('onChannelUserLeaved')).toEqual(['one-a', 0]);
    // messages of the channel it left no longer reach it
    w.api.messageChannelSend('one-1', 'gone?', 'w1');
    await w.wait('onMessageSendSuccess');
    await sleep(200);
    expect(a.calls('onMessageChannelReceive')).toHaveLength(0);
  });

  it('join failures: onChannelJoinFailed(ch, 300); leaving a channel not joined: onError(1001)', async () => {
    const a = await e.sig.login('jf-a');
    a.api.channelJoin('bad\u0000channel');
    expect(await a.wait('onChannelJoinFailed')).toEqual(['bad\u0000channel', C.JOINCHANNEL_E_OTHER]);
    a.api.channelLeave('never-joined');
    expect(await a.wait('onError')).toEqual(['channelLeave', C.GENERAL_E_FAILED, 'not in the channel']);
    const out = e.sig.create();
    out.api.channelJoin('jf-room');
    expect(await out.wait('onChannelJoinFailed')).toEqual(['jf-room', C.JOINCHANNEL_E_OTHER]);
    out.api.channelLeave('jf-room');
    expect(await out.wait('onError')).toEqual(['channelLeave', C.GENERAL_E_NOT_LOGIN, 'not logged in']);
  });

  it('messageChannelSend: members get it, the sender too (Signaling echo), onMessageSendSuccess', async () => {
    const a = await e.sig.login('cm-a');
    const b = await e.sig.login('cm-b');
    for (const c of [a, b]) c.api.channelJoin('cm-room');
    await a.wait('onChannelJoined');
    await b.wait('onChannelJoined');
    a.api.messageChannelSend('cm-room', 'one', 'c1');
    a.api.messageChannelSend('cm-room', 'two', 'c2');
    await a.waitCount('onMessageSendSuccess', 2);
    expect(a.calls('onMessageSendSuccess')).toEqual([['c1'], ['c2']]);
    await b.waitCount('onMessageChannelReceive', 2);
    await a.waitCount('onMessageChannelReceive', 2);
    const expected = [
      ['cm-room', 'cm-a', 0, 'one'],
      ['cm-room', 'cm-a', 0, 'two'],
    ];
    expect(b.calls('onMessageChannelReceive')).toEqual(expected);
    expect(a.calls('onMessageChannelReceive')).toEqual(expected);
  });

  it('join, send and leave back to back (no waiting): they happen in call order', async () => {
    const a = await e.sig.login('bb-a');
    const b = await e.sig.login('bb-b');
    b.api.channelJoin('bb-room');
    await b.wait('onChannelJoined');
    a.api.channelJoin('bb-room');
    a.api.messageChannelSend('bb-room', 'right away', 'r1');
    a.api.channelLeave('bb-room');
    expect(await a.wait('onChannelLeaved')).toEqual(['bb-room', 0]);
    expect(a.calls('onMessageSendSuccess')).toEqual([['r1']]);
    expect(a.index('onChannelJoined')).toBeLessThan(a.index('onMessageSendSuccess'));
    expect(await b.wait('onMessageChannelReceive')).toEqual(['bb-room', 'bb-a', 0, 'right away']);
    expect(await b.wait('onChannelUserLeaved')).toEqual(['bb-a', 0]);
  });

  it('messageChannelSend errors: not in the channel, too large → onMessageSendError(id, 400)', async () => {
    const a = await e.sig.login('cme-a');
    a.api.messageChannelSend('cme-room', 'x', 'n1');
    a.api.messageChannelSend('cme-room', 'x'.repeat(32 * 1024 + 1), 'n2');
    await a.waitCount('onMessageSendError', 2);
    expect(a.calls('onMessageSendError').sort()).toEqual([
      ['n1', C.SENDMESSAGE_E_OTHER],
      ['n2', C.SENDMESSAGE_E_OTHER],
    ]);
  });

  it('messageChannelSendForce: from outside the channel, to every member', async () => {
    const a = await e.sig.login('cf-a');
    const out = await e.sig.login('cf-out');
    a.api.channelJoin('cf-room');
    await a.wait('onChannelJoined');
    out.api.messageChannelSendForce('cf-room', 'from outside', 'f1');
    expect(await out.wait('onMessageSendSuccess')).toEqual(['f1']);
    expect(await a.wait('onMessageChannelReceive')).toEqual(['cf-room', 'cf-out', 0, 'from outside']);
    out.api.messageChannelSendForce('bad\u0000room', 'x', 'f2');
    expect(await out.wait('onMessageSendError')).toEqual(['f2', C.SENDMESSAGE_E_OTHER]);
  });

  it('channelSetAttr / channelDelAttr / channelClearAttr → onChannelAttrUpdated(ch, name, value, type) to members', async () => {
    const a = await e.sig.login('ca-a');
    const b = await e.sig.login('ca-b');
    for (const c of [a, b]) c.api.channelJoin('ca-room');
    await a.wait('onChannelJoined');
    await b.wait('onChannelJoined');
    a.api.channelSetAttr('ca-room', 'topic', 'cats');
    a.api.channelSetAttr('ca-room', 'lang', 'en');
    a.api.channelDelAttr('ca-room', 'topic');
    a.api.channelClearAttr('ca-room');
    const want = [
      ['ca-room', 'topic', 'cats', 'update'],
      ['ca-room', 'lang', 'en', 'update'],
      ['ca-room', 'topic', '', 'del'],
      ['ca-room', '', '', 'clear'],
    ];
    expect(await b.waitCount('onChannelAttrUpdated', 4)).toEqual(want);
    expect(await a.waitCount('onChannelAttrUpdated', 4)).toEqual(want);
  });

  it('a joiner gets the existing attributes as updates, after onChannelUserList', async () => {
    const a = await e.sig.login('cj-a');
    a.api.channelSetAttr('cj-room', 'k1', 'v1'); // not a member: allowed, nobody notified
    a.api.channelSetAttr('cj-room', 'k2', 'v2');
    const b = await e.sig.login('cj-b');
    await sleep(100);
    b.api.channelJoin('cj-room');
    await b.waitCount('onChannelAttrUpdated', 2);
    expect(b.calls('onChannelAttrUpdated').sort()).toEqual([
      ['cj-room', 'k1', 'v1', 'update'],
      ['cj-room', 'k2', 'v2', 'update'],
    ]);
    expect(b.index('onChannelUserList')).toBeLessThan(b.index('onChannelAttrUpdated'));
    expect(a.calls('onError')).toHaveLength(0);
  });

  it('channel attribute errors: onError(name, 1004 / 1005)', async () => {
    const a = await e.sig.login('cae-a');
    a.api.channelSetAttr('cae-room', 'k'.repeat(33), 'v');
    a.api.channelSetAttr('cae-room', 'big', 'v'.repeat(8193));
    a.api.channelDelAttr('cae-room', '');
    a.api.channelClearAttr('bad\u0000room');
    await a.waitCount('onError', 4);
    expect(a.calls('onError').sort()).toEqual(
      [
        ['channelSetAttr', C.GENERAL_E_WRONG_PARAM, 'wrong_param'],
        ['channelSetAttr', C.GENERAL_E_LARGE_PARAM, 'large_param'],
        ['channelDelAttr', C.GENERAL_E_WRONG_PARAM, 'wrong_param'],
        ['channelClearAttr', C.GENERAL_E_WRONG_PARAM, 'wrong_param'],
      ].sort(),
    );
  });

  it('channelQueryUserNum and channelQueryUserIsIn', async () => {
    const a = await e.sig.login('cq-a');
    const b = await e.sig.login('cq-b');
    for (const c of [a, b]) c.api.channelJoin('cq-room');
    await a.wait('onChannelJoined');
    await b.wait('onChannelJoined');
    a.api.channelQueryUserNum('cq-room');
    a.api.channelQueryUserNum('cq-empty');
    a.api.channelQueryUserNum('bad\u0000room');
    await a.waitCount('onChannelQueryUserNumResult', 3);
    expect(a.calls('onChannelQueryUserNumResult').sort()).toEqual([
      ['bad\u0000room', C.QUERYUSERNUM_E_OTHER, 0],
      ['cq-empty', 0, 0],
      ['cq-room', 0, 2],
    ]);
    a.api.channelQueryUserIsIn('cq-room', 'cq-b');
    a.api.channelQueryUserIsIn('cq-room', 'cq-nobody');
    a.api.channelQueryUserIsIn('cq-empty', 'cq-b');
    await a.waitCount('onChannelQueryUserIsIn', 3);
    expect(a.calls('onChannelQueryUserIsIn').sort()).toEqual([
      ['cq-empty', 'cq-b', 0],
      ['cq-room', 'cq-b', 1],
      ['cq-room', 'cq-nobody', 0],
    ]);
    a.api.channelQueryUserIsIn('cq-room', '');
    expect(await a.wait('onError')).toEqual(['channelQueryUserIsIn', C.GENERAL_E_WRONG_PARAM, 'wrong_param']);
  });
});

describe('invoke', () => {
  let e: Env;
  let a: SigClient;
  let b: SigClient;
  beforeAll(async () => {
    e = await env();
    a = await e.sig.login('iv-a');
    b = await e.sig.login('iv-b');
    b.api.setAttr('nick', 'bee');
    for (const c of [a, b]) c.api.channelJoin('iv-room');
    await a.wait('onChannelJoined');
    await b.wait('onChannelJoined');
  });
  afterAll(() => close(e));

  let n = 0;
  /** invokes and returns [err, parsed resp] */
  const call = async (
    c: SigClient,
    name: string,
    req: unknown,
  ): Promise<[string, Record<string, unknown>]> => {
    const id = `call-${++n}`;
    c.api.invoke(name, req as string, id);
    const [, err, resp] = await c.wait('onInvokeRet', (cid) => cid === id);
    return [err as string, JSON.parse(resp as string)];
  };
  const F = (f: string) => `io.agora.signal.${f}`;

  it('user functions', async () => {
    expect(await call(a, F('user_query_user_status'), '{"account":"iv-b"}')).toEqual([
      '',
      { result: 'ok', status: 1 },
    ]);
    expect(await call(a, F('user_query_user_status'), { account: 'iv-none' })).toEqual([
      '',
      { result: 'ok', status: 0 },
    ]);
    expect(await call(a, F('user_set_attr'), '{"name":"mood","value":"ok"}')).toEqual(['', { result: 'ok' }]);
    expect(await call(b, F('user_get_attr'), '{"account":"iv-a","name":"mood"}')).toEqual([
      '',
      { result: 'ok', value: 'ok' },
    ]);
    const [err, all] = await call(a, F('user_get_attr_all'), '{"account":"iv-b"}');
    expect(err).toBe('');
    expect(JSON.parse(all.json as string)).toEqual({ nick: 'bee' });
  });

  it('channel functions', async () => {
    expect(await call(a, F('channel_query_num'), '{"name":"iv-room"}')).toEqual([
      '',
      { result: 'ok', num: 2 },
    ]);
    expect(await call(a, F('channel_query_user_isin'), '{"name":"iv-room","account":"iv-b"}')).toEqual([
      '',
      { result: 'ok', isin: 1 },
    ]);
    const [, list] = await call(a, F('channel_query_userlist'), '{"name":"iv-room"}');
    expect(list.num).toBe(2);
    expect((list.list as unknown[]).sort()).toEqual([
      ['iv-a', 0],
      ['iv-b', 0],
    ]);
    const [, some] = await call(a, F('channel_query_userlist_all'), '{"name":"iv-room","num":1}');
    expect(some).toMatchObject({ result: 'ok', num: 2 });
    expect(some.list).toHaveLength(1);
    expect(await call(a, F('channel_set_attr'), '{"channel":"iv-room","name":"k","value":"v"}')).toEqual([
      '',
      { result: 'ok' },
    ]);
    await b.wait('onChannelAttrUpdated', (_c, k, v, type) => k === 'k' && v === 'v' && type === 'update');
    expect(await call(a, F('channel_del_attr'), '{"channel":"iv-room","name":"k"}')).toEqual([
      '',
      { result: 'ok' },
    ]);
    await b.wait('onChannelAttrUpdated', (_c, k, _v, type) => k === 'k' && type === 'del');
    expect(await call(a, F('channel_clear_attr'), '{"channel":"iv-room"}')).toEqual(['', { result: 'ok' }]);
    await b.wait('onChannelAttrUpdated', (_c, _k, _v, type) => type === 'clear');
  });

  it('errors are answered, never silent: unknown name, bad request, bad arguments, not logged in', async () => {
    const unknown = [
      '',
      'whatever',
      F('user_logout'),
      F('nope'),
      F('__proto__'),
      'io.agora.signal',
      F('toString'),
    ];
    for (const name of unknown)
      expect(await call(a, name, '{}')).toEqual(['unknown_function', { result: 'unknown_function' }]);
    expect(await call(a, F('channel_query_num'), 'not json')).toEqual([
      'wrong_param',
      { result: 'wrong_param' },
    ]);
    expect(await call(a, F('channel_query_num'), '[1]')).toEqual(['wrong_param', { result: 'wrong_param' }]);
    expect(await call(a, F('channel_query_num'), '{}')).toEqual(['wrong_param', { result: 'wrong_param' }]);
    expect(await call(a, F('user_set_attr'), '{"name":"big","value":"' + 'v'.repeat(8193) + '"}')).toEqual([
      'large_param',
      { result: 'large_param' },
    ]);
    const out = e.sig.create();
    out.api.invoke(F('channel_query_num'), '{"name":"iv-room"}', 'x');
    expect(await out.wait('onInvokeRet')).toEqual(['x', 'not_logged_in', '{"result":"not_logged_in"}']);
  });
});

describe('call invitations between Signaling users', () => {
  let e: Env;
  beforeAll(async () => {
    e = await env({ invitationAckTimeoutMs: 400, invitationExpireMs: 10_000, sessionGraceMs: 300 });
  });
  afterAll(() => close(e));

  const pair = async (p: string) =>
    [await e.sig.login(`${p}-caller`), await e.sig.login(`${p}-callee`)] as const;

  it('invite, received by peer, accept with extra', async () => {
    const [a, b] = await pair('ok');
    a.api.channelInviteUser2('ok-ch', 'ok-callee', '{"kind":"video"}');
    expect(await b.wait('onInviteReceived')).toEqual(['ok-ch', 'ok-caller', 0, '{"kind":"video"}']);
    expect(await a.wait('onInviteReceivedByPeer')).toEqual(['ok-ch', 'ok-callee', 0]);
    b.api.channelInviteAccept('ok-ch', 'ok-caller', 0, '{"ok":1}');
    expect(await a.wait('onInviteAcceptedByPeer')).toEqual(['ok-ch', 'ok-callee', 0, '{"ok":1}']);
    // established: either side may end it; the other hears it
    b.api.channelInviteEnd('ok-ch', 'ok-caller', 0);
    expect(b.calls('onInviteEndByMyself')).toEqual([['ok-ch', 'ok-caller', 0]]); // at once
    expect(await a.wait('onInviteEndByPeer')).toEqual(['ok-ch', 'ok-callee', 0, '']);
    expect(a.calls('onMessageInstantReceive')).toHaveLength(0);
    expect(a.calls('onInviteFailed')).toHaveLength(0);
    expect(b.calls('onInviteFailed')).toHaveLength(0);
  });

  it('channelInviteUser (no extra) and refuse with extra', async () => {
    const [a, b] = await pair('rf');
    a.api.channelInviteUser('rf-ch', 'rf-callee', 0);
    expect(await b.wait('onInviteReceived')).toEqual(['rf-ch', 'rf-caller', 0, '']);
    b.api.channelInviteRefuse('rf-ch', 'rf-caller', 0, '{"status":1}');
    expect(await a.wait('onInviteRefusedByPeer')).toEqual(['rf-ch', 'rf-callee', 0, '{"status":1}']);
  });

  it('the caller ends before an answer: onInviteEndByMyself, callee onInviteEndByPeer', async () => {
    const [a, b] = await pair('cn');
    a.api.channelInviteUser2('cn-ch', 'cn-callee', '');
    await a.wait('onInviteReceivedByPeer');
    a.api.channelInviteEnd('cn-ch', 'cn-callee', 0);
    expect(a.calls('onInviteEndByMyself')).toEqual([['cn-ch', 'cn-callee', 0]]);
    expect(await b.wait('onInviteEndByPeer')).toEqual(['cn-ch', 'cn-caller', 0, '']);
    // right after sending, before the server answered: canceled too
    a.api.channelInviteUser2('cn-ch2', 'cn-callee', '');
    a.api.channelInviteEnd('cn-ch2', 'cn-callee', 0);
    await b.wait('onInviteEndByPeer', (ch) => ch === 'cn-ch2');
    expect(a.calls('onInviteFailed')).toHaveLength(0);
  });

  it('the callee ends before answering: the caller gets onInviteEndByPeer', async () => {
    const [a, b] = await pair('ce');
    a.api.channelInviteUser2('ce-ch', 'ce-callee', '');
    await b.wait('onInviteReceived');
    b.api.channelInviteEnd('ce-ch', 'ce-caller', 0, 'busy');
    expect(b.calls('onInviteEndByMyself')).toEqual([['ce-ch', 'ce-caller', 0]]);
    expect(await a.wait('onInviteEndByPeer')).toEqual(['ce-ch', 'ce-callee', 0, 'busy']);
    await sleep(100);
    expect(a.calls('onInviteRefusedByPeer')).toHaveLength(0);
  });

  it('_require_peer_online: 1 fails at once when the callee is offline (703)', async () => {
    const a = await e.sig.login('po-caller');
    a.api.channelInviteUser2('po-ch', 'po-nobody', '{"_require_peer_online":1}');
    const [, , , ecode, extra] = await a.wait('onInviteFailed', undefined, 300);
    expect(ecode).toBe(C.INVITE_E_PEEROFFLINE);
    expect(JSON.parse(extra as string)).toEqual({ reason: 'PEER_OFFLINE' });
  });

  it('without it, an offline callee fails the call after the ack timeout (703)', async () => {
    const a = await e.sig.login('po0-caller');
    a.api.channelInviteUser2('po0-ch', 'po0-nobody', '{"_require_peer_online":0}');
    const [ch, acc, uid, ecode] = await a.wait('onInviteFailed');
    expect([ch, acc, uid, ecode]).toEqual(['po0-ch', 'po0-nobody', 0, C.INVITE_E_PEEROFFLINE]);
  });

  it('_timeout: an unanswered call fails on both sides after N seconds (704)', async () => {
    const [a, b] = await pair('to');
    a.api.channelInviteUser2('to-ch', 'to-callee', '{"_timeout":0.3}');
    await b.wait('onInviteReceived');
    const [, , , ecode, extra] = await a.wait('onInviteFailed');
    expect(ecode).toBe(C.INVITE_E_TIMEOUT);
    expect(JSON.parse(extra as string)).toEqual({ reason: 'INVITATION_EXPIRE' });
    expect(await b.wait('onInviteFailed')).toEqual(['to-ch', 'to-caller', 0, C.INVITE_E_TIMEOUT, extra]);
    b.api.channelInviteAccept('to-ch', 'to-caller', 0, '');
    expect(await b.wait('onError')).toEqual([
      'channelInviteAccept',
      C.GENERAL_E_FAILED,
      'no unanswered invitation from this account on this channel',
    ]);
  });

  it('inviting the same account on the same channel again while the first is pending: 701', async () => {
    const [a, b] = await pair('re');
    a.api.channelInviteUser2('re-ch', 're-callee', '');
    a.api.channelInviteUser2('re-ch', 're-callee', '');
    const [, , , ecode] = await a.wait('onInviteFailed');
    expect(ecode).toBe(C.INVITE_E_REINVITE);
    await b.wait('onInviteReceived');
    expect(b.calls('onInviteReceived')).toHaveLength(1);
  });

  it('invite errors: invalid arguments and not logged in (700)', async () => {
    const a = await e.sig.login('ie-caller');
    a.api.channelInviteUser2('ie-ch', 'bad\u0000id', '');
    a.api.channelInviteUser2('bad\u0000ch', 'ie-x', '');
    a.api.channelInviteUser2('ie-ch', 'ie-x', 'e'.repeat(8193));
    await a.waitCount('onInviteFailed', 3);
    expect(a.calls('onInviteFailed').map((x) => x[3])).toEqual([700, 700, 700]);
    const out = e.sig.create();
    out.api.channelInviteUser2('ie-ch', 'ie-x', '');
    expect(await out.wait('onInviteFailed')).toEqual([
      'ie-ch',
      'ie-x',
      0,
      C.INVITE_E_OTHER,
      '{"reason":"NOT_LOGGEDIN"}',
    ]);
  });

  it('the caller logs out: the callee’s call fails (703)', async () => {
    const [a, b] = await pair('lo');
    a.api.channelInviteUser2('lo-ch', 'lo-callee', '');
    await a.wait('onInviteReceivedByPeer');
    a.api.logout();
    const [, acc, , ecode] = await b.wait('onInviteFailed');
    expect([acc, ecode]).toEqual(['lo-caller', C.INVITE_E_PEEROFFLINE]);
  });

  it('channelInviteDTMF: the peer gets onInviteMsg', async () => {
    const [a, b] = await pair('dt');
    a.api.channelInviteUser2('dt-ch', 'dt-callee', '');
    await b.wait('onInviteReceived');
    b.api.channelInviteAccept('dt-ch', 'dt-caller', 0, '');
    await a.wait('onInviteAcceptedByPeer');
    a.api.channelInviteDTMF('dt-ch', 'dt-callee', '12*#');
    expect(await b.wait('onInviteMsg')).toEqual([
      'dt-ch',
      'dt-caller',
      0,
      'dtmf',
      '12*#',
      '{"msgtype":"dtmf","msgdata":"12*#"}',
    ]);
    a.api.channelInviteDTMF('dt-ch', 'dt-callee', 'not digits');
    a.api.channelInviteDTMF('dt-ch', 'dt-nobody', '1');
    await a.waitCount('onError', 2);
    expect(a.calls('onError')).toEqual([
      ['channelInviteDTMF', C.GENERAL_E_WRONG_PARAM, 'DTMF digits are 0-9, A-D, * and #'],
      ['channelInviteDTMF', C.GENERAL_E_FAILED, 'peer offline'],
    ]);
  });

  it('accept / refuse / end need a login; accept and refuse need an invitation', async () => {
    const b = await e.sig.login('mis-callee');
    b.api.channelInviteAccept('mis-ch', 'mis-x', 0, '');
    b.api.channelInviteRefuse('mis-ch', 'mis-x', 0, '');
    await b.waitCount('onError', 2);
    expect(b.calls('onError').map((x) => [x[0], x[1]])).toEqual([
      ['channelInviteAccept', C.GENERAL_E_FAILED],
      ['channelInviteRefuse', C.GENERAL_E_FAILED],
    ]);
    const out = e.sig.create();
    out.api.channelInviteAccept('mis-ch', 'mis-x', 0, '');
    out.api.channelInviteEnd('mis-ch', 'mis-x', 0);
    out.api.channelInviteDTMF('mis-ch', 'mis-x', '1');
    await out.waitCount('onError', 3);
    expect(out.calls('onError').map((x) => [x[0], x[1]])).toEqual([
      ['channelInviteAccept', C.GENERAL_E_NOT_LOGIN],
      ['channelInviteEnd', C.GENERAL_E_NOT_LOGIN],
      ['channelInviteDTMF', C.GENERAL_E_NOT_LOGIN],
    ]);
  });
});

describe('the Signaling ops on the wire', () => {
  let e: Env;
  beforeAll(async () => {
    e = await env();
  });
  afterAll(() => close(e));

  it('malformed bodies of every Signaling op get 1004 (GENERAL_E_WRONG_PARAM), never an exception', async () => {
    const requests = Object.entries(SignalingOp).filter(([, op]) => op < 110);
    expect(requests).toHaveLength(10);
    const bodies = [null, 42, 'x', [], {}, { channelId: 5, to: [], text: {}, id: 1, type: 'nope' }];
    for (const [name, op] of requests) {
      // a socket per op: more than 20 protocol errors on one socket would close it
      const raw = await RawClient.connect(e.server.wsUrl);
      expect((await raw.login({ appId: APP_ID, uid: `wire-${name}`, kind: 'signaling' })).code).toBe(0);
      for (const body of bodies) expect([name, (await raw.request(op, body)).code]).toEqual([name, 1004]);
      // still serving
      expect((await raw.request(SignalingOp.QueryUserNum, { channelId: 'wire' })).body).toEqual({ num: 0 });
      raw.close();
    }
  });

  it('an RTM session sending to a channel from outside gets no echo; a Signaling one in the channel does', async () => {
    const rtm = await RawClient.connect(e.server.wsUrl);
    await rtm.login({ appId: APP_ID, uid: 'wire-rtm' });
    const s = await e.sig.login('wire-sig');
    s.api.channelJoin('wire-room');
    await s.wait('onChannelJoined');
    const r = await rtm.request(SignalingOp.ChannelSendForce, { channelId: 'wire-room', text: 'from raw' });
    expect(r.code).toBe(0);
    await s.wait('onMessageChannelReceive', (_c, a) => a === 'wire-rtm');
    s.api.messageChannelSendForce('wire-room', 'to my own channel', 'f');
    await s.wait('onMessageChannelReceive', (_c, a) => a === 'wire-sig');
    rtm.close();
  });
});
