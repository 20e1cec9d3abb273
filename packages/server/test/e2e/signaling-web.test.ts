import AgoraRTM, { type RemoteInvitation, type RtmMessage } from '@parley/sdk';
import { SignalingCode as C } from '@parley/protocol';
import {
  Signal,
  type SignalOptions,
  WEB_SDK_VERSION_INT,
  type WebCall,
  type WebChannel,
  type WebSession,
  type WebSignal,
} from '@parley/signaling';
import { buildSignalingToken } from '@parley/token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config.js';
import { APP_ID, collect, next, setup, until } from '../helpers.js';
import { startTcpProxy } from '../tcp-proxy.js';

/**
 * End-to-end tests of the legacy Web Signaling API (`Signal(appId)` → Session → Channel / Call,
 * @parley/signaling) against a real server: every method and callback, every error path with its
 * exact code or string, and interop with RTM clients (@parley/sdk). Also runs on two nodes
 * sharing Redis (vitest project `cluster`): Web clients start on the second node, RTM clients on
 * the first, so pairs cross nodes.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (m: RtmMessage) => (m as { text?: string }).text;
/** Fast reconnects, so tests that cut a link do not wait on the default backoff. */
const FAST = { reconnect: { baseMs: 30, capMs: 100, floorMs: 10 } };

const SESSION_CBS = [
  'onLoginSuccess',
  'onLoginFailed',
  'onLogout',
  'onMessageInstantReceive',
  'onInviteReceived',
  'onError',
] as const;
const CHANNEL_CBS = [
  'onChannelJoined',
  'onChannelJoinFailed',
  'onChannelLeaved',
  'onChannelUserList',
  'onChannelUserJoined',
  'onChannelUserLeaved',
  'onChannelAttrUpdated',
  'onMessageChannelReceive',
] as const;
const CALL_CBS = [
  'onInviteReceivedByPeer',
  'onInviteAcceptedByPeer',
  'onInviteRefusedByPeer',
  'onInviteFailed',
  'onInviteEndByPeer',
  'onInviteEndByMyself',
  'onInviteMsg',
] as const;

type Entry = [name: string, ...args: unknown[]];
/** The callbacks of one Web object, recorded in order. */
interface Watched<T> {
  obj: T;
  log: Entry[];
  calls(name: string): unknown[][];
  wait(name: string, pred?: (...args: unknown[]) => boolean, ms?: number): Promise<unknown[]>;
  waitCount(name: string, n: number, ms?: number): Promise<unknown[][]>;
  index(name: string): number;
}

/** Assigns every callback property `names` of `obj` to a recorder (as an app assigns its callbacks). */
function watch<T extends object>(obj: T, names: readonly string[]): Watched<T> {
  const log: Entry[] = [];
  for (const n of names) (obj as Record<string, unknown>)[n] = (...args: unknown[]) => log.push([n, ...args]);
  const calls = (name: string) => log.filter((e) => e[0] === name).map((e) => e.slice(1));
  return {
    obj,
    log,
    calls,
    async wait(name, pred = () => true, ms = 5000) {
      const hit = () => calls(name).find((a) => pred(...a));
      await until(() => hit() !== undefined, ms, name);
      return hit()!;
    },
    async waitCount(name, n, ms = 5000) {
      await until(() => calls(name).length >= n, ms, `${n} × ${name}`);
      return calls(name);
    },
    index: (name) => log.findIndex((e) => e[0] === name),
  };
}

type Env = Awaited<ReturnType<typeof env>>;
async function env(cfg: Partial<ServerConfig> = {}) {
  const t = await setup(cfg);
  const sessions: WebSession[] = [];
  let n = 1;
  /** a Signal on the next node (starting at the second: the first RTM client is on the first) */
  const signal = (opts: Partial<SignalOptions> = {}, appId = APP_ID): WebSignal =>
    Signal(appId, { serverUrl: t.servers[n++ % t.servers.length]!.wsUrl, ...opts });
  /** logs in and records the session's callbacks (assigned right after login, as Web apps do) */
  const start = (account: string, token = '_no_need_token', sig = signal()): Watched<WebSession> => {
    const s = sig.login(account, token);
    sessions.push(s);
    return watch(s, SESSION_CBS);
  };
  const login = async (account: string): Promise<Watched<WebSession>> => {
    const w = start(account);
    await w.wait('onLoginSuccess');
    return w;
  };
  const close = async () => {
    for (const s of sessions) s.logout();
    await until(() => sessions.every((s) => s.getStatus() === 0), 5000, 'sessions logged out').catch(
      () => undefined,
    );
    await t.cleanup();
  };
  return { ...t, rtm: t.login, signal, start, login, close, track: (s: WebSession) => sessions.push(s) };
}

/** Joins `name` and waits for onChannelJoined. */
async function join(w: Watched<WebSession>, name: string): Promise<Watched<WebChannel>> {
  const ch = watch(w.obj.channelJoin(name)!, CHANNEL_CBS);
  await ch.wait('onChannelJoined');
  return ch;
}

describe('Signal and Session', () => {
  let e: Env;
  beforeAll(async () => {
    e = await env();
  });
  afterAll(() => e.close());

  it('Signal: serverUrl optional (defaults like the RTM SDK), a bad one a TypeError; versions, setDoLog and setup_debugging', () => {
    expect(Signal(APP_ID).getSDKVersion()).toBe('1.4.0');
    expect(() => Signal(APP_ID, { serverUrl: 42 } as never)).toThrow(TypeError);
    const sig = e.signal();
    expect(sig.getSDKVersion()).toBe('1.4.0');
    expect(sig.getSDKVersion_int()).toBe(1010400000);
    expect(WEB_SDK_VERSION_INT).toBe(1010400000);
    expect([sig.appid, sig.vid]).toEqual([APP_ID, APP_ID]);
    sig.setDoLog(false, 'WARNING');
    sig.setDoLog();
    sig.setup_debugging('ap', '127.0.0.1');
    sig.setUpDebugging('env', 'lbs100');
  });

  it('login: callbacks default to "", status 1 then 2, onLoginSuccess(0); logout: onLogout(101), status 0', async () => {
    const s = e.signal().login('web-alice', '_no_need_token');
    e.track(s);
    for (const name of SESSION_CBS) expect(s[name]).toBe('');
    expect([s.account, s.uid, s.line, s.dbg]).toEqual(['web-alice', 0, '', false]);
    expect([s.getStatus(), s.state]).toEqual([1, 1]);
    const w = watch(s, SESSION_CBS);
    expect(await w.wait('onLoginSuccess')).toEqual([0]);
    expect([s.getStatus(), s.state]).toEqual([2, 2]);
    s.logout();
    expect(await w.wait('onLogout')).toEqual([C.LOGOUT_E_USER]);
    expect(s.getStatus()).toBe(0);
    s.logout(); // not logged in: nothing, as on Web
    await sleep(100); // checking that nothing arrives
    expect(w.log).toEqual([
      ['onLoginSuccess', 0],
      ['onLogout', C.LOGOUT_E_USER],
    ]);
  });

  it('setDoLog(true, level) logs to the console; session.dbg adds its debug lines', async () => {
    const sig = e.signal();
    const lines: unknown[][] = [];
    const original = { debug: console.debug, info: console.info };
    console.debug = (...a: unknown[]) => lines.push(['debug', ...a]);
    console.info = (...a: unknown[]) => lines.push(['info', ...a]);
    try {
      sig.setDoLog(true, 'INFO');
      const w = watch(sig.login('web-log', '_no_need_token'), SESSION_CBS);
      e.track(w.obj);
      await w.wait('onLoginSuccess');
      expect(lines.filter((l) => l[0] === 'debug')).toEqual([]); // INFO: no debug lines
      w.obj.dbg = true;
      w.obj.logout();
      await w.wait('onLogout');
      expect(lines).toContainEqual(['info', '[parley-signaling]', 'logout', 'web-log']);
      expect(lines).toContainEqual(['debug', '[parley-signaling]', 'onLogout', C.LOGOUT_E_USER]);
    } finally {
      console.debug = original.debug;
      console.info = original.info;
    }
  });

  it('logout while logging in stops the login without a callback; a new login works', async () => {
    const sig = e.signal();
    const w = watch(sig.login('web-cancel', '_no_need_token'), SESSION_CBS);
    w.obj.logout();
    await until(() => w.obj.getStatus() === 0);
    const again = e.start('web-cancel', '_no_need_token', sig);
    await again.wait('onLoginSuccess');
    expect(w.log).toEqual([]);
  });

  it('an unset or throwing callback does not disturb the SDK', async () => {
    const s = e.signal().login('web-throw', '_no_need_token');
    e.track(s);
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (x: unknown) => errors.push(x);
    try {
      s.onLoginSuccess = () => {
        throw new Error('app bug');
      };
      await until(() => s.getStatus() === 2);
      await until(() => errors.length === 1);
      expect((errors[0] as Error).message).toBe('app bug');
      s.onLoginSuccess = '';
      const w = watch(s, ['onMessageInstantReceive']);
      const peer = await e.login('web-throw-peer');
      peer.obj.messageInstantSend('web-throw', 'still alive');
      expect(await w.wait('onMessageInstantReceive')).toEqual(['web-throw-peer', 0, 'still alive']);
    } finally {
      console.error = original;
    }
  });

  it('login failures: 209 invalid account, 201 refused App ID; a non-string account is JSON-encoded', async () => {
    const bad = e.start('has a\nnewline'.repeat(10));
    expect(await bad.wait('onLoginFailed')).toEqual([C.LOGIN_E_INVALID_USER]);
    expect(bad.obj.getStatus()).toBe(0);
    const nul = e.start('null');
    expect(await nul.wait('onLoginFailed')).toEqual([C.LOGIN_E_INVALID_USER]);
    // The facade says 202 (refused); Web reports every other refusal as 201.
    const app = watch(e.signal({}, 'not-an-app-id').login('web-appid', '_no_need_token'), SESSION_CBS);
    expect(await app.wait('onLoginFailed')).toEqual([C.LOGIN_E_NET]);
    const num = e.start(12345 as unknown as string);
    await num.wait('onLoginSuccess');
    expect(num.obj.account).toBe('12345');
    expect(bad.calls('onLogout')).toEqual([]);
  });

  it('the same account logging in elsewhere: onLogout(103) on the first', async () => {
    const first = await e.login('web-dup');
    await e.login('web-dup');
    expect(await first.wait('onLogout')).toEqual([C.LOGOUT_E_KICKED]);
    expect(first.obj.getStatus()).toBe(0);
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
  afterAll(() => e.close());
  const on = (account: string, token: string, appId = CERT_APP) => {
    const s = e.signal({}, appId).login(account, token);
    e.track(s);
    return watch(s, SESSION_CBS);
  };

  it('a Signaling token logs in; _no_need_token (206), another account’s token (206), expired (204)', async () => {
    await on('wt-ok', buildSignalingToken(CERT_APP, CERT, 'wt-ok', nowS() + 3600)).wait('onLoginSuccess');
    expect(await on('wt-none', '_no_need_token').wait('onLoginFailed')).toEqual([C.LOGIN_E_TOKENWRONG]);
    const other = on('wt-other', buildSignalingToken(CERT_APP, CERT, 'someone', nowS() + 3600));
    expect(await other.wait('onLoginFailed')).toEqual([C.LOGIN_E_TOKENWRONG]);
    const old = on('wt-old', buildSignalingToken(CERT_APP, CERT, 'wt-old', nowS() - 10));
    expect(await old.wait('onLoginFailed')).toEqual([C.LOGIN_E_TOKENEXPIRED]);
  });

  it('an App ID not configured is refused: onLoginFailed(201)', async () => {
    const w = on('wt-unknown', '_no_need_token', 'ffffffffffffffffffffffffffffffff');
    expect(await w.wait('onLoginFailed')).toEqual([C.LOGIN_E_NET]);
  });

  it('a token expiring on a live session: onLogout(102) (Web has no token-expiry code)', async () => {
    const w = on('wt-expiring', buildSignalingToken(CERT_APP, CERT, 'wt-expiring', nowS() + 2));
    await w.wait('onLoginSuccess');
    expect(await w.wait('onLogout', undefined, 6000)).toEqual([C.LOGOUT_E_NET]);
    expect(w.obj.getStatus()).toBe(0);
  });
});

describe('reconnection (reconnect_count, reconnect_time)', () => {
  let e: Env;
  beforeAll(async () => {
    e = await env({ sessionGraceMs: 3000 });
  });
  afterAll(() => e.close());

  it('a dropped link: status 3, then 2; the session resumed, nothing lost, no callbacks', async () => {
    const proxy = await startTcpProxy(e.server.port);
    try {
      const s = Signal(APP_ID, { serverUrl: proxy.url, ...FAST }).login('wr-alice', '_no_need_token', 1000);
      e.track(s);
      const w = watch(s, SESSION_CBS);
      await w.wait('onLoginSuccess');
      const peer = await e.login('wr-peer');
      proxy.pause('refuse');
      proxy.dropAll();
      await until(() => s.getStatus() === 3);
      let failed: boolean | null = null;
      peer.obj.messageInstantSend('wr-alice', 'while away', (f) => (failed = f));
      await until(() => failed !== null);
      expect(failed).toBe(false);
      proxy.resume();
      await until(() => s.getStatus() === 2);
      expect(await w.wait('onMessageInstantReceive')).toEqual(['wr-peer', 0, 'while away']);
      // Web has no reconnection callbacks; onLoginSuccess is not fired again
      expect(w.log.map((x) => x[0])).toEqual(['onLoginSuccess', 'onMessageInstantReceive']);
    } finally {
      await proxy.close();
    }
  });

  it('reconnection gives up after reconnect_count attempts: onLogout(102)', async () => {
    const proxy = await startTcpProxy(e.server.port);
    try {
      const s = Signal(APP_ID, { serverUrl: proxy.url, ...FAST }).login('wr-giveup', '_no_need_token', 2);
      e.track(s);
      const w = watch(s, SESSION_CBS);
      await w.wait('onLoginSuccess');
      proxy.pause('refuse');
      proxy.dropAll();
      expect(await w.wait('onLogout')).toEqual([C.LOGOUT_E_NET]);
      expect(s.getStatus()).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it('an unreachable server: onLoginFailed(201) after reconnect_count retries or reconnect_time ms', async () => {
    const proxy = await startTcpProxy(e.server.port);
    try {
      proxy.pause('refuse');
      const sig = Signal(APP_ID, { serverUrl: proxy.url, ...FAST });
      const byCount = watch(sig.login('wr-count', '_no_need_token', 2), SESSION_CBS);
      expect(await byCount.wait('onLoginFailed')).toEqual([C.LOGIN_E_NET]);
      proxy.pause('hold');
      const byTime = watch(sig.login('wr-time', '_no_need_token', 1000, 1000), SESSION_CBS);
      e.track(byTime.obj);
      expect(await byTime.wait('onLoginFailed')).toEqual([C.LOGIN_E_NET]);
      expect(byTime.obj.getStatus()).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});

describe('peer messages and invoke', () => {
  let e: Env;
  let a: Watched<WebSession>;
  let b: Watched<WebSession>;
  beforeAll(async () => {
    e = await env();
    a = await e.login('wp-a');
    b = await e.login('wp-b');
  });
  afterAll(() => e.close());

  const send = (w: Watched<WebSession>, peer: string, msg: unknown) =>
    new Promise<boolean>((resolve) => w.obj.messageInstantSend(peer, msg as string, resolve));

  it('messageInstantSend: cb(false) on success, the peer gets onMessageInstantReceive(account, 0, msg)', async () => {
    expect(await send(a, 'wp-b', 'hello')).toBe(false);
    expect(await b.wait('onMessageInstantReceive')).toEqual(['wp-a', 0, 'hello']);
    a.obj.messageInstantSend('wp-b', 'no callback');
    await b.wait('onMessageInstantReceive', (_f, _u, m) => m === 'no callback');
    // Signaling success: the server has it, also for an account that is not logged in
    expect(await send(a, 'wp-nobody', 'dropped')).toBe(false);
  });

  it('messageInstantSend: cb(true) on failure (invalid account, too large, not a string, not logged in)', async () => {
    expect(await send(a, 'bad\u0000id', 'x')).toBe(true);
    expect(await send(a, 'wp-b', 'x'.repeat(32 * 1024 + 1))).toBe(true);
    expect(await send(a, 'wp-b', { not: 'a string' })).toBe(true);
    const pending = e.start('wp-late');
    expect(await send(pending, 'wp-b', 'too early')).toBe(true);
  });

  const F = (f: string) => `io.agora.signal.${f}`;
  const invoke = (w: Watched<WebSession>, func: string, args?: Record<string, unknown>) =>
    new Promise<[string, Record<string, unknown>]>((resolve) =>
      w.obj.invoke(func, args, (err, resp) => resolve([err, resp])),
    );

  it('invoke: user functions answer cb("", resp)', async () => {
    expect(await invoke(a, F('user_query_user_status'), { account: 'wp-b' })).toEqual([
      '',
      { result: 'ok', status: 1 },
    ]);
    expect(await invoke(a, F('user_query_user_status'), { account: 'wp-none' })).toEqual([
      '',
      { result: 'ok', status: 0 },
    ]);
    expect(await invoke(a, F('user_set_attr'), { name: 'mood', value: 'fine' })).toEqual([
      '',
      { result: 'ok' },
    ]);
    expect(await invoke(b, F('user_get_attr'), { account: 'wp-a', name: 'mood' })).toEqual([
      '',
      { result: 'ok', value: 'fine' },
    ]);
    const [err, all] = await invoke(b, F('user_get_attr_all'), { account: 'wp-a' });
    expect(err).toBe('');
    expect(JSON.parse(all.json as string)).toEqual({ mood: 'fine' });
  });

  it('invoke: channel functions', async () => {
    await join(a, 'wp-room');
    await join(b, 'wp-room');
    expect(await invoke(a, F('channel_query_num'), { name: 'wp-room' })).toEqual([
      '',
      { result: 'ok', num: 2 },
    ]);
    expect(await invoke(a, F('channel_query_user_isin'), { name: 'wp-room', account: 'wp-b' })).toEqual([
      '',
      { result: 'ok', isin: 1 },
    ]);
    const [, list] = await invoke(a, F('channel_query_userlist'), { name: 'wp-room' });
    expect(list.num).toBe(2);
    expect((list.list as unknown[]).sort()).toEqual([
      ['wp-a', 0],
      ['wp-b', 0],
    ]);
  });

  it('invoke errors: unknown io.agora.signal function, wrong parameters, not logged in', async () => {
    expect(await invoke(a, F('nope'), {})).toEqual(['unknown_function', { result: 'unknown_function' }]);
    expect(await invoke(a, F('channel_query_num'), {})).toEqual(['wrong_param', { result: 'wrong_param' }]);
    expect(await invoke(a, F('channel_query_num'))).toEqual(['wrong_param', { result: 'wrong_param' }]);
    expect(await invoke(a, F('user_set_attr'), { name: 'big', value: 'v'.repeat(8193) })).toEqual([
      'large_param',
      { result: 'large_param' },
    ]);
    const early = e.start('wp-early');
    expect(await invoke(early, F('channel_query_num'), { name: 'wp-room' })).toEqual([
      'not_logged_in',
      { result: 'not_logged_in' },
    ]);
  });

  it('invoke: a name without the io.agora.signal. prefix is ignored, as on Web (no callback)', async () => {
    const answered: string[] = [];
    a.obj.invoke('user_query_user_status', { account: 'wp-b' }, () => answered.push('bare'));
    a.obj.invoke('', {}, () => answered.push('empty'));
    // requests are answered in order: once this one is, the ignored ones were never sent
    await invoke(a, F('user_query_user_status'), { account: 'wp-b' });
    expect(answered).toEqual([]);
    a.obj.invoke(F('user_query_user_status'), { account: 'wp-b' }); // no cb: fine
  });
});

describe('channels', () => {
  let e: Env;
  const LIMITED_APP = 'abcdefabcdefabcdefabcdefabcdef00';
  beforeAll(async () => {
    e = await env({ apps: [{ appId: APP_ID }, { appId: LIMITED_APP, limits: { maxJoinedChannels: 0 } }] });
  });
  afterAll(() => e.close());

  it('channelJoin returns undefined when not logged in (logging in, logged out)', async () => {
    const w = e.start('wc-early');
    expect(w.obj.channelJoin('wc-room')).toBeUndefined();
    await w.wait('onLoginSuccess');
    w.obj.logout();
    await w.wait('onLogout');
    expect(w.obj.channelJoin('wc-room')).toBeUndefined();
  });

  it('join: state joining → joined, onChannelJoined() then onChannelUserList([[account, 0], …]); others onChannelUserJoined', async () => {
    const a = await e.login('wc-a');
    const b = await e.login('wc-b');
    const ca = await join(a, 'wc-room');
    const raw = b.obj.channelJoin('wc-room')!;
    expect(raw.name).toBe('wc-room');
    expect(raw.state).toBe('joining');
    for (const name of CHANNEL_CBS) expect(raw[name]).toBe('');
    const cb = watch(raw, CHANNEL_CBS);
    await cb.wait('onChannelUserList');
    expect(raw.state).toBe('joined');
    expect(cb.log[0]).toEqual(['onChannelJoined']);
    const [users] = cb.calls('onChannelUserList')[0]!;
    expect((users as unknown[]).sort()).toEqual([
      ['wc-a', 0],
      ['wc-b', 0],
    ]);
    expect(await ca.wait('onChannelUserJoined')).toEqual(['wc-b', 0]);
    // channelLeave(): onChannelLeaved(0); the others onChannelUserLeaved
    raw.channelLeave();
    expect(await cb.wait('onChannelLeaved')).toEqual([0]);
    expect(raw.state).toBe('leaved');
    expect(await ca.wait('onChannelUserLeaved')).toEqual(['wc-b', 0]);
    // channelLeave(cb): only cb() is called
    const again = await join(b, 'wc-room');
    const done: unknown[][] = [];
    again.obj.channelLeave((...args: unknown[]) => done.push(args));
    await until(() => done.length === 1);
    expect(done).toEqual([[]]);
    expect(again.obj.state).toBe('leaved');
    await ca.waitCount('onChannelUserLeaved', 2);
    expect(again.calls('onChannelLeaved')).toEqual([]);
  });

  it('messageChannelSend: every member gets it, the sender too (echo); cb() without arguments', async () => {
    const a = await e.login('wm-a');
    const b = await e.login('wm-b');
    const ca = await join(a, 'wm-room');
    const cb = await join(b, 'wm-room');
    const done: unknown[][] = [];
    ca.obj.messageChannelSend('hi all', (...args: unknown[]) => done.push(args));
    expect(await cb.wait('onMessageChannelReceive')).toEqual(['wm-a', 0, 'hi all']);
    expect(await ca.wait('onMessageChannelReceive')).toEqual(['wm-a', 0, 'hi all']);
    await until(() => done.length === 1);
    expect(done).toEqual([[]]);
    // cb() whatever the result: a message over the limit
    ca.obj.messageChannelSend('x'.repeat(32 * 1024 + 1), () => done.push(['too large']));
    await until(() => done.length === 2);
    cb.obj.messageChannelSend('no callback');
    await ca.wait('onMessageChannelReceive', (_a, _u, m) => m === 'no callback');
  });

  it('channelSetAttr / channelDelAttr / channelClearAttr → onChannelAttrUpdated(name, value, type); cb()', async () => {
    const a = await e.login('wa-a');
    const b = await e.login('wa-b');
    const ca = await join(a, 'wa-room');
    const cb = await join(b, 'wa-room');
    const done: string[] = [];
    ca.obj.channelSetAttr('topic', 'cats', () => done.push('set1'));
    ca.obj.channelSetAttr('lang', 'en', () => done.push('set2'));
    ca.obj.channelDelAttr('topic', () => done.push('del'));
    const want = [
      ['topic', 'cats', 'update'],
      ['lang', 'en', 'update'],
      ['topic', '', 'del'],
    ];
    expect(await cb.waitCount('onChannelAttrUpdated', 3)).toEqual(want);
    expect(await ca.waitCount('onChannelAttrUpdated', 3)).toEqual(want);
    await until(() => done.length === 3);
    expect(done).toEqual(['set1', 'set2', 'del']);
    // a joiner gets the existing attributes as updates, after the user list
    const c = await e.login('wa-c');
    const cc = watch(c.obj.channelJoin('wa-room')!, CHANNEL_CBS);
    expect(await cc.wait('onChannelAttrUpdated')).toEqual(['lang', 'en', 'update']);
    expect(cc.index('onChannelUserList')).toBeLessThan(cc.index('onChannelAttrUpdated'));
    ca.obj.channelClearAttr(() => done.push('clear'));
    expect(await cb.wait('onChannelAttrUpdated', (_n, _v, type) => type === 'clear')).toEqual([
      '',
      '',
      'clear',
    ]);
    await until(() => done.length === 4);
    // cb() whatever the result: an invalid key, a value too large
    ca.obj.channelSetAttr('k'.repeat(33), 'v', () => done.push('bad key'));
    ca.obj.channelSetAttr('big', 'v'.repeat(8193), () => done.push('too large'));
    ca.obj.channelDelAttr('', () => done.push('empty key'));
    await until(() => done.length === 7);
    // (a local check answers before the server does)
    expect(done.slice(4).sort()).toEqual(['bad key', 'empty key', 'too large']);
    ca.obj.channelSetAttr('quiet', 'yes'); // no callback: fine
    await cb.wait('onChannelAttrUpdated', (n) => n === 'quiet');
  });

  it('one channel at a time: joining another leaves the first (its onChannelLeaved(0)); events follow the new one', async () => {
    const a = await e.login('wo-a');
    const w = await e.login('wo-watch');
    const watcher = await join(w, 'wo-1');
    const first = await join(a, 'wo-1');
    const second = watch(a.obj.channelJoin('wo-2')!, CHANNEL_CBS);
    await second.wait('onChannelJoined');
    expect(first.calls('onChannelLeaved')).toEqual([[0]]);
    expect(first.obj.state).toBe('leaved');
    expect(await watcher.wait('onChannelUserLeaved')).toEqual(['wo-a', 0]);
    // the first channel's messages no longer reach it; the second's go to the second object
    watcher.obj.messageChannelSend('to wo-1');
    await watcher.wait('onMessageChannelReceive', (_a, _u, m) => m === 'to wo-1');
    second.obj.messageChannelSend('to wo-2');
    expect(await second.wait('onMessageChannelReceive')).toEqual(['wo-a', 0, 'to wo-2']);
    expect(first.calls('onMessageChannelReceive')).toEqual([]);
  });

  it('join, send and leave back to back: in call order', async () => {
    const a = await e.login('wb-a');
    const b = await e.login('wb-b');
    const cb = await join(b, 'wb-room');
    const ca = watch(a.obj.channelJoin('wb-room')!, CHANNEL_CBS);
    ca.obj.messageChannelSend('right away');
    ca.obj.channelLeave();
    expect(await ca.wait('onChannelLeaved')).toEqual([0]);
    // (its own echo arrives after channelLeave was called: no longer reported)
    expect(ca.log.map((x) => x[0])).toEqual(['onChannelJoined', 'onChannelUserList', 'onChannelLeaved']);
    expect(await cb.wait('onMessageChannelReceive')).toEqual(['wb-a', 0, 'right away']);
  });

  it('join failures: onChannelJoinFailed with an error string; leaving anyway completes', async () => {
    const a = await e.login('wf-a');
    const bad = watch(a.obj.channelJoin('bad\u0000channel')!, CHANNEL_CBS);
    expect(await bad.wait('onChannelJoinFailed')).toEqual(['wrong_param']);
    expect(bad.obj.state).toBe('leaved');
    // refused by the server (this app allows no channel at all)
    const limited = watch(e.signal({}, LIMITED_APP).login('wf-limited', '_no_need_token'), SESSION_CBS);
    e.track(limited.obj);
    await limited.wait('onLoginSuccess');
    const refused = watch(limited.obj.channelJoin('wf-room')!, CHANNEL_CBS);
    expect(await refused.wait('onChannelJoinFailed')).toEqual(['failed']);
    expect(refused.obj.state).toBe('leaved');
    // leaving a channel it is not in: Web completes the leave whatever the answer
    refused.obj.channelLeave();
    expect(await refused.wait('onChannelLeaved')).toEqual([0]);
    const done: string[] = [];
    bad.obj.channelLeave(() => done.push('left'));
    await until(() => done.length === 1);
  });
});

describe('calls between Web users', () => {
  let e: Env;
  beforeAll(async () => {
    e = await env({ invitationAckTimeoutMs: 3000, invitationExpireMs: 10_000 });
  });
  afterAll(() => e.close());

  const pair = async (p: string) => [await e.login(`${p}-caller`), await e.login(`${p}-callee`)] as const;
  /** the callee's Call of the next onInviteReceived, with its callbacks recorded */
  const received = async (callee: Watched<WebSession>, nth = 1): Promise<Watched<WebCall>> => {
    const all = await callee.waitCount('onInviteReceived', nth);
    return watch(all[nth - 1]![0] as WebCall, CALL_CBS);
  };

  it('invite → received by peer → accept with extra → DTMF → the callee hangs up', async () => {
    const [a, b] = await pair('wk');
    const call = a.obj.channelInviteUser2('wk-ch', 'wk-callee', '{"kind":"video"}');
    for (const name of CALL_CBS) expect(call[name]).toBe('');
    expect([call.channelName, call.peer, call.extra]).toEqual(['wk-ch', 'wk-callee', '{"kind":"video"}']);
    const out = watch(call, CALL_CBS);
    const inc = await received(b);
    expect([inc.obj.channelName, inc.obj.peer, inc.obj.extra]).toEqual([
      'wk-ch',
      'wk-caller',
      '{"kind":"video"}',
    ]);
    expect(await out.wait('onInviteReceivedByPeer')).toEqual(['']);
    inc.obj.channelInviteAccept('{"ok":1}');
    expect(await out.wait('onInviteAcceptedByPeer')).toEqual(['{"ok":1}']);
    call.channelInviteDTMF('12*#');
    expect(await inc.wait('onInviteMsg')).toEqual(['{"msgtype":"dtmf","msgdata":"12*#"}']);
    inc.obj.channelInviteEnd('bye');
    expect(inc.calls('onInviteEndByMyself')).toEqual([['']]); // at once
    expect(await out.wait('onInviteEndByPeer')).toEqual(['bye']);
    expect(out.calls('onInviteFailed')).toEqual([]);
    expect(a.calls('onMessageInstantReceive')).toEqual([]);
  });

  it('refuse with extra; accept and refuse default to ""', async () => {
    const [a, b] = await pair('wr');
    const out = watch(a.obj.channelInviteUser2('wr-ch', 'wr-callee', ''), CALL_CBS);
    const inc = await received(b);
    inc.obj.channelInviteRefuse('{"status":1}');
    expect(await out.wait('onInviteRefusedByPeer')).toEqual(['{"status":1}']);
    const out2 = watch(a.obj.channelInviteUser2('wr-ch2', 'wr-callee'), CALL_CBS);
    (await received(b, 2)).obj.channelInviteRefuse();
    expect(await out2.wait('onInviteRefusedByPeer')).toEqual(['']);
    const out3 = watch(a.obj.channelInviteUser2('wr-ch3', 'wr-callee'), CALL_CBS);
    (await received(b, 3)).obj.channelInviteAccept();
    expect(await out3.wait('onInviteAcceptedByPeer')).toEqual(['']);
  });

  it('the caller ends before an answer: onInviteEndByMyself("") at once, the callee onInviteEndByPeer(extra)', async () => {
    const [a, b] = await pair('wn');
    const out = watch(a.obj.channelInviteUser2('wn-ch', 'wn-callee', ''), CALL_CBS);
    const inc = await received(b);
    await out.wait('onInviteReceivedByPeer');
    out.obj.channelInviteEnd('never mind');
    expect(out.calls('onInviteEndByMyself')).toEqual([['']]);
    expect(await inc.wait('onInviteEndByPeer')).toEqual(['never mind']);
  });

  it('failures: peer offline, re-invite while ringing, invalid arguments, not logged in, timeout', async () => {
    const [a, b] = await pair('wx');
    const offline = watch(
      a.obj.channelInviteUser2('wx-ch', 'wx-nobody', '{"_require_peer_online":1}'),
      CALL_CBS,
    );
    expect(await offline.wait('onInviteFailed')).toEqual(['{"reason":"PEER_OFFLINE"}']);
    // the same pair again while the first rings: the second fails, the first goes on
    const first = watch(a.obj.channelInviteUser2('wx-ch', 'wx-callee', ''), CALL_CBS);
    const second = watch(a.obj.channelInviteUser2('wx-ch', 'wx-callee', ''), CALL_CBS);
    expect(await second.wait('onInviteFailed')).toEqual(['{"reason":"REINVITE"}']);
    expect(await first.wait('onInviteReceivedByPeer')).toEqual(['']);
    (await received(b)).obj.channelInviteAccept('yes');
    expect(await first.wait('onInviteAcceptedByPeer')).toEqual(['yes']);
    const invalid = watch(a.obj.channelInviteUser2('wx-ch', 'bad\u0000id', ''), CALL_CBS);
    expect(await invalid.wait('onInviteFailed')).toEqual(['{"reason":"INVALID_ARGUMENT"}']);
    const big = watch(a.obj.channelInviteUser2('wx-ch', 'wx-callee', 'e'.repeat(8193)), CALL_CBS);
    expect(await big.wait('onInviteFailed')).toEqual(['{"reason":"EXTRA_TOO_LONG"}']);
    const early = e.start('wx-early');
    const notIn = watch(early.obj.channelInviteUser2('wx-ch', 'wx-callee', ''), CALL_CBS);
    expect(await notIn.wait('onInviteFailed')).toEqual(['{"reason":"NOT_LOGGEDIN"}']);
    // _timeout: an unanswered call fails on both sides
    const timed = watch(a.obj.channelInviteUser2('wx-t', 'wx-callee', '{"_timeout":0.3}'), CALL_CBS);
    const inc = await received(b, 2);
    expect(await timed.wait('onInviteFailed')).toEqual(['{"reason":"INVITATION_EXPIRE"}']);
    expect(await inc.wait('onInviteFailed')).toEqual(['{"reason":"INVITATION_EXPIRE"}']);
  });

  it('onError (Parley addition): accept / refuse without a ringing call, bad DTMF, peer offline, not logged in', async () => {
    const [a, b] = await pair('we');
    const out = watch(a.obj.channelInviteUser2('we-ch', 'we-callee', ''), CALL_CBS);
    const inc = await received(b);
    inc.obj.channelInviteRefuse('no');
    await out.wait('onInviteRefusedByPeer');
    inc.obj.channelInviteAccept(''); // answered already
    expect(await b.wait('onError')).toEqual([
      'channelInviteAccept',
      C.GENERAL_E_FAILED,
      'no unanswered invitation from this account on this channel',
    ]);
    out.obj.channelInviteDTMF('not digits');
    out.obj.channelInviteDTMF('1'); // the call exists only as a pair: sent, and the peer is online
    const gone = watch(a.obj.channelInviteUser2('we-ch2', 'we-nobody', ''), CALL_CBS);
    gone.obj.channelInviteDTMF('1');
    await a.waitCount('onError', 2);
    expect(a.calls('onError')).toEqual([
      ['channelInviteDTMF', C.GENERAL_E_WRONG_PARAM, 'DTMF digits are 0-9, A-D, * and #'],
      ['channelInviteDTMF', C.GENERAL_E_FAILED, 'peer offline'],
    ]);
    gone.obj.channelInviteEnd();
    const early = e.start('we-early');
    const notIn = early.obj.channelInviteUser2('we-ch', 'we-callee', '');
    notIn.channelInviteEnd();
    expect(await early.wait('onError')).toEqual(['channelInviteEnd', C.GENERAL_E_NOT_LOGIN, 'not logged in']);
  });
});

describe('interop: Web Signaling ↔ RTM (@parley/sdk)', () => {
  let e: Env;
  beforeAll(async () => {
    e = await env({ invitationAckTimeoutMs: 3000, invitationExpireMs: 10_000 });
  });
  afterAll(() => e.close());

  it('peer messages both ways (the RTM sender sees hasPeerReceived: true)', async () => {
    const rtm = await e.rtm('xi-rtm');
    const web = await e.login('xi-web');
    const got = next<[RtmMessage, string]>(rtm, 'MessageFromPeer');
    const failed = await new Promise<boolean>((r) => web.obj.messageInstantSend('xi-rtm', 'from web', r));
    expect(failed).toBe(false);
    const [msg, from] = await got;
    expect([text(msg), from]).toEqual(['from web', 'xi-web']);
    const res = await rtm.sendMessageToPeer({ text: 'from rtm' }, 'xi-web');
    expect(res.hasPeerReceived).toBe(true);
    expect(await web.wait('onMessageInstantReceive')).toEqual(['xi-rtm', 0, 'from rtm']);
  });

  it('channel messages both ways; members see each other; only the Web user gets its echo', async () => {
    const rtm = await e.rtm('xc-rtm');
    const channel = rtm.createChannel('xc-room');
    await channel.join();
    const rtmJoined = next<[string]>(channel, 'MemberJoined');
    const web = await e.login('xc-web');
    const ch = watch(web.obj.channelJoin('xc-room')!, CHANNEL_CBS);
    const [users] = await ch.wait('onChannelUserList');
    expect((users as unknown[]).sort()).toEqual([
      ['xc-rtm', 0],
      ['xc-web', 0],
    ]);
    expect(await rtmJoined).toEqual(['xc-web']);
    const rtmGot = collect<[RtmMessage, string]>(channel, 'ChannelMessage');
    ch.obj.messageChannelSend('hello from web');
    await until(() => rtmGot.length === 1);
    expect(rtmGot.map(([m, f]) => [text(m), f])).toEqual([['hello from web', 'xc-web']]);
    await channel.sendMessage({ text: 'hello from rtm' });
    await ch.wait('onMessageChannelReceive', (a) => a === 'xc-rtm');
    expect(ch.calls('onMessageChannelReceive')).toEqual([
      ['xc-web', 0, 'hello from web'],
      ['xc-rtm', 0, 'hello from rtm'],
    ]);
    // attributes written by the Web user reach the RTM member; the RTM member leaving reaches Web
    const attrs = next<[Record<string, { value: string }>]>(channel, 'AttributesUpdated');
    ch.obj.channelSetAttr('topic', 'cats');
    expect((await attrs)[0].topic?.value).toBe('cats');
    await channel.leave();
    expect(await ch.wait('onChannelUserLeaved')).toEqual(['xc-rtm', 0]);
  });

  it('RTM invites the Web user: onInviteReceived(call) with channelId and content; accept / refuse / cancel', async () => {
    const rtm = await e.rtm('xr-rtm');
    const web = await e.login('xr-web');
    const inv = rtm.createLocalInvitation('xr-web');
    inv.channelId = 'xr-ch';
    inv.content = '{"kind":"audio"}';
    const accepted = next<[string]>(inv, 'LocalInvitationAccepted');
    inv.send();
    const call = (await web.wait('onInviteReceived'))[0] as WebCall;
    expect([call.channelName, call.peer, call.extra]).toEqual(['xr-ch', 'xr-rtm', '{"kind":"audio"}']);
    call.channelInviteAccept('{"ok":true}');
    expect(await accepted).toEqual(['{"ok":true}']);

    const inv2 = rtm.createLocalInvitation('xr-web');
    inv2.channelId = 'xr-ch2';
    const refused = next<[string]>(inv2, 'LocalInvitationRefused');
    inv2.send();
    const call2 = (await web.waitCount('onInviteReceived', 2))[1]![0] as WebCall;
    call2.channelInviteRefuse('{"status":1}');
    expect(await refused).toEqual(['{"status":1}']);

    const inv3 = rtm.createLocalInvitation('xr-web');
    inv3.channelId = 'xr-ch3';
    inv3.content = 'calling';
    inv3.send();
    const call3 = watch((await web.waitCount('onInviteReceived', 3))[2]![0] as WebCall, CALL_CBS);
    await until(() => inv3.state === 'RECEIVED_BY_REMOTE');
    inv3.cancel();
    expect(await call3.wait('onInviteEndByPeer')).toEqual(['calling']);
  });

  it('the Web user invites an RTM user: RemoteInvitation with channelId and content; answers map back; hang up', async () => {
    const rtm = await e.rtm('xs-rtm');
    const web = await e.login('xs-web');
    const incoming: RemoteInvitation[] = [];
    rtm.on('RemoteInvitationReceived', (ri) => incoming.push(ri));
    const out = watch(web.obj.channelInviteUser2('xs-ch', 'xs-rtm', '{"kind":"video"}'), CALL_CBS);
    await until(() => incoming.length === 1);
    const ri = incoming[0]!;
    expect([ri.callerId, ri.channelId, ri.content]).toEqual(['xs-web', 'xs-ch', '{"kind":"video"}']);
    expect(await out.wait('onInviteReceivedByPeer')).toEqual(['']);
    const confirmed = next(ri, 'RemoteInvitationAccepted');
    ri.response = 'coming';
    ri.accept();
    expect(await out.wait('onInviteAcceptedByPeer')).toEqual(['coming']);
    await confirmed;
    // the Web caller hangs up: the RTM user gets the end-call message Agora's RTM SDK understands
    const msg = next<[RtmMessage, string]>(rtm, 'MessageFromPeer');
    out.obj.channelInviteEnd();
    const [m, from] = await msg;
    expect([text(m), from]).toEqual([`${AgoraRTM.END_CALL_PREFIX}_xs-ch_`, 'xs-web']);
    // a refusal with a response
    const out2 = watch(web.obj.channelInviteUser2('xs-ch2', 'xs-rtm', ''), CALL_CBS);
    await until(() => incoming.length === 2);
    incoming[1]!.response = 'busy';
    incoming[1]!.refuse();
    expect(await out2.wait('onInviteRefusedByPeer')).toEqual(['busy']);
    // RTM hangs up an established call with the prefix message: the Web call ends
    const out3 = watch(web.obj.channelInviteUser2('xs-ch3', 'xs-rtm', ''), CALL_CBS);
    await until(() => incoming.length === 3);
    incoming[2]!.accept();
    await out3.wait('onInviteAcceptedByPeer');
    await rtm.sendMessageToPeer({ text: `${AgoraRTM.END_CALL_PREFIX}_xs-ch3_done` }, 'xs-web');
    expect(await out3.wait('onInviteEndByPeer')).toEqual(['done']);
    expect(web.calls('onMessageInstantReceive')).toEqual([]);
  });
});
