import { SignalingCode as Code } from '@parley/protocol';
import { AgoraAPIOnlySignal } from '../api.js';
import type { SignalingOptions } from '../options.js';
import type { SignalingSendOptions } from '../message-sends.js';
import type { Callbacks } from '../callbacks.js';
import { LoginState } from '../codes.js';
import { type CallCallbacks, CallTable, WebCall } from './call.js';
import { type WebCallback, type WebLog, answer, fire } from './callback.js';
import { ChannelTable, WebChannel } from './channel.js';

/** The callbacks of a Web `Session` (spec signaling-api.md §1.3). `uid` arguments are always 0. */
export interface SessionCallbacks {
  /** logged in; `uid` is 0 (Signaling's numeric uids have no meaning in Parley) */
  onLoginSuccess(uid: number): void;
  /** `ecode`: 201 network / refused, 204 token expired, 206 token invalid, 209 invalid account */
  onLoginFailed(ecode: number): void;
  /** `ecode`: 101 you logged out, 102 connection lost (reconnection gave up, token expired), 103 logged in elsewhere */
  onLogout(ecode: number): void;
  onMessageInstantReceive(account: string, uid: number, msg: string): void;
  /** an incoming call; set its callbacks, then `call.channelInviteAccept()` / `Refuse()` / `End()` */
  onInviteReceived(call: WebCall): void;
  /**
   * Parley addition (the Web SDK had no error callback, though Agora's sample wrapper set one):
   * failures that have no callback of their own — `channelInviteAccept`, `channelInviteRefuse`,
   * `channelInviteEnd`, `channelInviteDTMF` — with the method name, a GENERAL_E_* code and why.
   */
  onError(name: string, ecode: number, desc: string): void;
}

/** How a session logs in (Signal.login's arguments, normalised). */
export interface SessionLogin {
  appId: string;
  options: SignalingOptions;
  account: string;
  token: string;
  /** reconnection attempts before giving up */
  reconnectCount: number;
  /** reconnection time budget, ms */
  reconnectTimeMs: number;
}

const INVOKE_PREFIX = 'io.agora.signal.';
/** Login failure codes the Web SDK produces; any other is reported as 201, as it did. */
const WEB_LOGIN_CODES = new Set<number>([
  Code.LOGIN_E_NET,
  Code.LOGIN_E_TOKENEXPIRED,
  Code.LOGIN_E_TOKENWRONG,
  Code.LOGIN_E_TOKEN_KICKED,
  Code.LOGIN_E_INVALID_USER,
]);

type InvokeCallback = (err: string, resp: Record<string, unknown>) => void;

/**
 * The Web SDK's `Session`, returned by `signal.login(...)`: one login of one account, on its own
 * connection (one `AgoraAPIOnlySignal` underneath, whose callbacks it routes to this object and
 * to its `Channel`s and `Call`s). Set the callbacks right after `login`; everything arrives
 * asynchronously. A session is used once: after onLoginFailed / onLogout, log in again with
 * `signal.login`.
 */
export class WebSession {
  onLoginSuccess?: WebCallback<SessionCallbacks['onLoginSuccess']> = '';
  onLoginFailed?: WebCallback<SessionCallbacks['onLoginFailed']> = '';
  onLogout?: WebCallback<SessionCallbacks['onLogout']> = '';
  onMessageInstantReceive?: WebCallback<SessionCallbacks['onMessageInstantReceive']> = '';
  onInviteReceived?: WebCallback<SessionCallbacks['onInviteReceived']> = '';
  onError?: WebCallback<SessionCallbacks['onError']> = '';

  readonly account: string;
  /** always 0 (Web: "set as 0"; the account is the identity) */
  readonly uid = 0;
  /** the Web SDK's server session id; Parley has none to show, so '' */
  readonly line = '';
  /** console debug lines of this session */
  dbg = false;

  private readonly api: AgoraAPIOnlySignal;
  private readonly channels: ChannelTable;
  private readonly calls = new CallTable();
  /** logout() was called: whatever ends the session now is reported as 101 */
  private loggingOut = false;
  /** onLoginFailed or onLogout was reported: the session is over */
  private ended = false;

  /** Made by `signal.login`: logs in at once. */
  constructor(
    login: SessionLogin,
    private readonly log: WebLog,
  ) {
    this.account = login.account;
    this.api = AgoraAPIOnlySignal.createAgoraSDKInstance(login.appId, login.options);
    this.channels = new ChannelTable(this.api);
    this.api.callbackSet(this.route());
    this.api.login2(
      login.appId,
      login.account,
      login.token,
      0,
      '',
      login.reconnectTimeMs / 1000,
      login.reconnectCount,
    );
  }

  /** 0 not logged in (or logged out), 1 logging in, 2 logged in, 3 reconnecting. */
  getStatus(): number {
    return this.ended ? LoginState.LOGIN_STATE_NOT_LOGIN : this.api.getStatus();
  }

  /** The same as getStatus() (the Web SDK's `state` property). */
  get state(): number {
    return this.getStatus();
  }

  /**
   * Logs out: onLogout(101). While logging in, the login stops without a callback; when not
   * logged in, nothing happens (Web).
   */
  logout(): void {
    const status = this.getStatus();
    if (status === LoginState.LOGIN_STATE_NOT_LOGIN || this.loggingOut) return;
    this.loggingOut = true;
    this.log.info('logout', this.account);
    this.api.logout();
  }

  /**
   * Sends a peer message. `cb(failed)` on both outcomes: `cb(false)` once the server has the
   * message (Signaling semantics, not "the peer received it"), `cb(true)` on failure (invalid
   * account, message not a string or too large, not logged in, rate, no answer). Parley's
   * extension: `{ enableHistoricalMessaging: true }` records it in the app's message history.
   */
  messageInstantSend(
    peer: string,
    msg: string,
    cb?: ((failed: boolean) => void) | null,
    options?: SignalingSendOptions | null,
  ): void {
    void this.api.sendToPeer(peer, msg, options).then((code) => this.ended || answer(cb, code !== 0));
  }

  /**
   * Calls `io.agora.signal.<function>` (spec §1.7) with `args` (an object): `cb(err, resp)`, `err`
   * `''` on success, `resp` the response object (`{result: 'ok', …}`). Names without the
   * `io.agora.signal.` prefix are ignored, as on Web; unknown functions answer `unknown_function`.
   */
  invoke(func: string, args?: Record<string, unknown> | null, cb?: InvokeCallback | null): void {
    if (typeof func !== 'string' || !func.startsWith(INVOKE_PREFIX)) {
      this.log.debug(this.dbg, 'invoke: not an io.agora.signal function, ignored:', func);
      return;
    }
    this.call(func, args ?? {}, (err, resp) => answer(cb, err, resp));
  }

  /**
   * Joins `name` and returns its Channel (undefined when not logged in, as on Web). One channel at
   * a time: joining another leaves this one (its onChannelLeaved(0)).
   */
  channelJoin(name: string): WebChannel | undefined {
    if (this.getStatus() !== LoginState.LOGIN_STATE_LOGINED) {
      this.log.debug(this.dbg, 'You should log in first.');
      return undefined;
    }
    const channel = new WebChannel(name, {
      send: (ch, msg, done, options) =>
        void this.api.sendToChannel(ch.name, msg, options).then(() => this.ended || done()),
      attr: (func, args, done) => this.call(INVOKE_PREFIX + func, args, () => done()),
      leave: (ch, cb) => this.channels.leave(ch, cb),
    });
    this.channels.join(channel);
    return channel;
  }

  /**
   * Invites `peer` to a call on `channelID` and returns the Call. `extra` (JSON, ≤ 8 KB) reaches
   * the callee (`call.extra`); `_require_peer_online` and `_timeout` are honoured.
   */
  channelInviteUser2(channelID: string, peer: string, extra?: string | null): WebCall {
    const call = new WebCall(this.api, channelID, peer, extra ?? '');
    this.calls.add(call);
    this.api.channelInviteUser2(channelID, peer, extra ?? '');
    return call;
  }

  // ---- internals ----

  private call(func: string, args: Record<string, unknown>, done: InvokeCallback): void {
    void this.api.invokeResult(func, args).then((r) => this.ended || done(r.err, r.resp));
  }

  private emit<K extends keyof SessionCallbacks>(name: K, ...args: Parameters<SessionCallbacks[K]>): void {
    this.log.debug(this.dbg, name, ...args);
    fire(this, name, args);
  }

  /** Reports the end of the session once; its facade instance is released after. */
  private end(name: 'onLoginFailed' | 'onLogout', ecode: number): void {
    if (this.ended) return;
    this.ended = true;
    this.channels.clear();
    this.calls.clear();
    this.emit(name, ecode);
    queueMicrotask(() => this.api.destroy());
  }

  /** The facade's callbacks, routed to this session and its channels and calls. */
  private route(): Callbacks {
    const calls = this.calls;
    /** `last`: the call is over (refused, failed, ended) */
    const onCall = (ch: string, peer: string, name: keyof CallCallbacks, extra: string, last = false) => {
      const call = calls.find(ch, peer);
      if (!call) return; // not a call of this session (Web drops these too)
      if (last) calls.remove(call);
      call.emit(name, extra);
    };
    return {
      onLoginSuccess: () => this.emit('onLoginSuccess', 0),
      onLoginFailed: (ecode) =>
        this.end('onLoginFailed', WEB_LOGIN_CODES.has(ecode) ? ecode : Code.LOGIN_E_NET),
      onLogout: (ecode) => {
        // Web knows 101, 102 and 103; anything else that ends a live session is a lost connection.
        const code = this.loggingOut
          ? Code.LOGOUT_E_USER
          : ecode === Code.LOGOUT_E_KICKED
            ? ecode
            : Code.LOGOUT_E_NET;
        if (ecode !== Code.LOGOUT_E_ALREADY_LOGOUT) this.end('onLogout', code);
      },
      // Web has no reconnection callbacks: getStatus() is 3 meanwhile, onLogout(102) if it gives up.
      onReconnecting: (n) => this.log.info('reconnecting', this.account, n),
      onReconnected: () => this.log.info('reconnected', this.account),
      onMessageInstantReceive: (account, _uid, msg) => this.emit('onMessageInstantReceive', account, 0, msg),
      onError: (name, ecode, desc) => {
        if (name === 'channelLeave') this.channels.leaveFailed();
        else {
          this.log.warn(name, ecode, desc);
          this.emit('onError', name, ecode, desc);
        }
      },
      onChannelJoined: (ch) => this.channels.joined(ch),
      onChannelJoinFailed: (ch) => this.channels.joinFailed(ch),
      onChannelLeaved: (ch, ecode) => this.channels.leaved(ch, ecode),
      onChannelUserList: (accounts) => this.channels.userList(accounts),
      onChannelUserJoined: (account) => this.channels.memberJoined(account),
      onChannelUserLeaved: (account) => this.channels.memberLeft(account),
      onChannelAttrUpdated: (ch, name, value, type) => this.channels.attrUpdated(ch, name, value, type),
      onMessageChannelReceive: (ch, account, _uid, msg) => this.channels.message(ch, account, msg),
      onInviteReceived: (ch, account, _uid, extra) => {
        const call = new WebCall(this.api, ch, account, extra);
        calls.add(call);
        this.emit('onInviteReceived', call);
      },
      onInviteReceivedByPeer: (ch, account) => onCall(ch, account, 'onInviteReceivedByPeer', ''),
      onInviteAcceptedByPeer: (ch, account, _uid, extra) =>
        onCall(ch, account, 'onInviteAcceptedByPeer', extra),
      onInviteRefusedByPeer: (ch, account, _uid, extra) =>
        onCall(ch, account, 'onInviteRefusedByPeer', extra, true),
      onInviteFailed: (ch, account, _uid, _ecode, extra) =>
        onCall(ch, account, 'onInviteFailed', extra, true),
      onInviteEndByPeer: (ch, account, _uid, extra) => onCall(ch, account, 'onInviteEndByPeer', extra, true),
      onInviteEndByMyself: (ch, account) => onCall(ch, account, 'onInviteEndByMyself', '', true),
      onInviteMsg: (ch, account, _uid, _type, _data, extra) => onCall(ch, account, 'onInviteMsg', extra),
    };
  }
}
