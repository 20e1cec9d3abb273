import {
  DEFAULT_LIMITS,
  LoginError,
  Op,
  ProtocolErrorCode,
  SignalingCode as Code,
  SignalingOp,
  isValidChannelId,
  isValidUserId,
  parseEndCallMessage,
  utf8Length,
  type AttributesUpdatedEvent,
  type ChannelMessageEvent,
  type ConnectionChangeReason,
  type ConnectionState,
  type MemberEvent,
  type PeerMessageEvent,
  type SigChannelAttrEvent,
  type SigJoinResponse,
} from '@parley/protocol';
import { Core, type CoreOptions, PeerInbox, defaultServerUrl, rejoin } from '@parley/sdk/core';
import { Calls } from './calls.js';
import type { Callbacks, ICallBack } from './callbacks.js';
import { ChannelState, type AttrChange } from './channel-state.js';
import { LoginState } from './codes.js';
import { type InvokeResult, runInvoke } from './invoke-functions.js';
import { Operations, type Outcome } from './operations.js';
import { REQUEST_TIMEOUT_MS, TIMEOUT, generalCode, request, type Reply } from './request.js';

/** Options of an instance: where the Parley server is, and transport settings. */
export interface SignalingOptions {
  /**
   * `ws://host:port/rtm` (a list: tried in turn when reconnecting). Default: the server this
   * script was loaded from (`<script src="…/sdk/agora-signaling.js">`), else the page's origin,
   * else ws://127.0.0.1:8080/rtm in Node.
   */
  serverUrl?: string | string[];
  /** a WebSocket implementation (default: the global one, else `ws` in Node) */
  WebSocket?: CoreOptions['WebSocket'];
  /** reconnect backoff, ms (`baseMs` 250, `capMs` 5000, `floorMs` 100) */
  reconnect?: CoreOptions['backoff'];
}

/** Signaling SDK version reported by getSdkVersion(): 1.4.4 in Agora's format (1 + 2 digits each + build). */
export const SDK_VERSION_INT = 1010404000;
/** login(): login2 with Agora's defaults (30 s, 3 retries). */
const DEFAULT_RETRY_TIME_S = 30;
const DEFAULT_RETRY_COUNT = 3;

/** Login codes of the server (LoginError, protocol) → LOGIN_E_*. */
const LOGIN_FAILURE: Record<number, number> = {
  [LoginError.UNKNOWN]: Code.LOGIN_E_OTHER,
  [LoginError.REJECTED]: Code.LOGIN_E_FAILED,
  [LoginError.INVALID_ARGUMENT]: Code.LOGIN_E_INVALID_USER,
  [LoginError.INVALID_APP_ID]: Code.LOGIN_E_FAILED,
  [LoginError.INVALID_TOKEN]: Code.LOGIN_E_TOKENWRONG,
  [LoginError.TOKEN_EXPIRED]: Code.LOGIN_E_TOKENEXPIRED,
  [LoginError.NOT_AUTHORIZED]: Code.LOGIN_E_TOKENWRONG,
  [LoginError.ALREADY_LOGIN]: Code.LOGIN_E_ALREADY_LOGIN,
  [LoginError.TIMEOUT]: Code.LOGIN_E_NET,
  [LoginError.TOO_OFTEN]: Code.LOGIN_E_FAILED,
  [ProtocolErrorCode.BAD_VERSION]: Code.LOGIN_E_OLDVERSION,
};
/** Why the server ended a session (ABORTED reason) → LOGOUT_E_*. */
const LOGOUT_REASON: Partial<Record<ConnectionChangeReason, number>> = {
  REMOTE_LOGIN: Code.LOGOUT_E_KICKED,
  TOKEN_EXPIRED: Code.LOGOUT_E_TOKENEXPIRED,
  BANNED_BY_SERVER: Code.LOGOUT_E_OTHER,
  LOGIN_FAILURE: Code.LOGOUT_E_OTHER,
  // the retry limits were used up while reconnecting
  INTERRUPTED: Code.LOGOUT_E_NET,
};

const shared = new Map<string, AgoraAPIOnlySignal>();

/**
 * The legacy Agora Signaling SDK (`io.agora.AgoraAPIOnlySignal`, Java names and callbacks, spec
 * signaling-api.md §2) on Parley's server and wire protocol, so Signaling apps and RTM apps talk
 * to each other. Methods return nothing; results arrive at the callbacks given to `callbackSet`.
 * Differences from Signaling and from RTM: docs/signaling.md.
 *
 * @example
 * const api = AgoraAPIOnlySignal.createAgoraSDKInstance(appId, { serverUrl: 'ws://127.0.0.1:8080/rtm' });
 * api.callbackSet({
 *   onLoginSuccess: () => api.channelJoin('room1'),
 *   onChannelJoined: (ch) => api.messageChannelSend(ch, 'hi', ''),
 *   onMessageChannelReceive: (ch, account, uid, msg) => console.log(account, msg),
 * });
 * api.login2(appId, 'alice', '_no_need_token', 0, '', 30, 3);
 */
export class AgoraAPIOnlySignal {
  private cb: Callbacks | null = null;
  private core: Core | null = null;
  private destroyed = false;
  /** the uid given to the current login, for onLoginSuccess */
  private loginUid = 0;
  /** user-initiated logout in progress (its DISCONNECTED is reported by logout itself) */
  private loggingOut = false;
  /** logout → login without waiting (Signaling 1.2+): lifecycle steps run in call order */
  private lifecycle: Promise<void> = Promise.resolve();
  /** a login() made while a logout was finishing: it runs right after (0 = none) */
  private queuedLogin = 0;
  private tickets = 0;
  private channel: ChannelState | null = null;
  /** channel membership requests run in call order (a leave never overtakes its join) */
  private membership: Promise<unknown> = Promise.resolve();
  /** acks peer messages and drops duplicates; outlives logins (see resetSession) */
  private readonly peerInbox = new PeerInbox();
  private msgSeq = 0;
  private readonly calls: Calls;
  private readonly ops: Operations;

  private constructor(
    readonly appId: string,
    private readonly opts: ResolvedSignalingOptions,
  ) {
    this.calls = new Calls({
      isLoggedIn: () => this.loggedIn,
      core: () => (this.loggedIn ? this.core : null),
      extraLimit: () => this.core?.limits?.invitationContentBytes ?? DEFAULT_LIMITS.invitationContentBytes,
      request: (op, body) => this.req(op, body),
      fire: (name, ...args) => this.fire(name, ...args),
      later: (name, ...args) => this.later(name, ...args),
    });
    this.ops = new Operations((op, body) => this.req(op, body), new Map());
  }

  /** A new instance (several may live side by side, as in Signaling 1.4). */
  static createAgoraSDKInstance(appId: string, opts?: SignalingOptions): AgoraAPIOnlySignal {
    return new AgoraAPIOnlySignal(appId, resolveSignalingOptions(opts));
  }

  /** The shared instance of `appId` (created on first use; `destroy()` drops it). */
  static getInstance(appId: string, opts?: SignalingOptions): AgoraAPIOnlySignal {
    let api = shared.get(appId);
    if (!api) shared.set(appId, (api = new AgoraAPIOnlySignal(appId, resolveSignalingOptions(opts))));
    return api;
  }

  // ---- callbacks ----

  callbackSet(callbacks: Callbacks | null): void {
    this.cb = callbacks;
  }

  callbackGet(): Callbacks | null {
    return this.cb;
  }

  /** Calls a callback if the app set it; an exception in it is logged, never thrown into the SDK. */
  private fire<K extends keyof ICallBack>(name: K, ...args: Parameters<ICallBack[K]>): void {
    const cb = this.cb;
    const fn = cb?.[name] as ((...a: unknown[]) => void) | undefined;
    if (typeof fn !== 'function') return;
    try {
      fn.apply(cb, args);
    } catch (e) {
      console.error(`[parley-signaling] callback ${name} threw`, e);
    }
  }

  /** Fires on a later tick (failures found before anything was sent: callbacks never re-enter). */
  private later<K extends keyof ICallBack>(name: K, ...args: Parameters<ICallBack[K]>): void {
    queueMicrotask(() => this.fire(name, ...args));
  }

  // ---- login / logout / status ----

  /** Logs in (login2 with 30 s and 3 retries). Ignored while logged in or logging in. */
  login(appId: string, account: string, token: string, uid = 0, deviceId = ''): void {
    this.login2(appId, account, token, uid, deviceId, DEFAULT_RETRY_TIME_S, DEFAULT_RETRY_COUNT);
  }

  /**
   * Logs in: onLoginSuccess(uid, 0), or onLoginFailed(ecode) once `retryTimeInS` seconds or
   * `retryCount` connection retries are used up (201) or the server refuses (202, 204, 206, 209).
   * The same limits bound each reconnection after a drop (then onLogout(102)). `token`: a
   * Signaling token, an RTM token, or `_no_need_token` for an app without certificate.
   */
  login2(
    appId: string,
    account: string,
    token: string,
    uid = 0,
    _deviceId = '',
    retryTimeInS = DEFAULT_RETRY_TIME_S,
    retryCount = DEFAULT_RETRY_COUNT,
  ): void {
    // Signaling: a login while logged in (or logging in) is ignored.
    if (this.destroyed || this.queuedLogin !== 0) return;
    if (!this.loggingOut && this.getStatus() !== LoginState.LOGIN_STATE_NOT_LOGIN) return;
    const go = () => void this.doLogin(appId, account, token, uid, retryTimeInS, retryCount);
    if (!this.loggingOut) {
      go();
      return;
    }
    // logout() then login() without waiting (Signaling 1.2+): the login runs once the logout is done.
    const ticket = ++this.tickets;
    this.queuedLogin = ticket;
    this.lifecycle = this.lifecycle.then(() => {
      if (this.queuedLogin !== ticket) return;
      this.queuedLogin = 0;
      go();
    });
  }

  private async doLogin(
    appId: string,
    account: string,
    token: string,
    uid: number,
    retryTimeInS: number,
    retryCount: number,
  ): Promise<void> {
    if (this.destroyed || (this.core && this.core.state !== 'DISCONNECTED' && this.core.state !== 'ABORTED'))
      return;
    if (typeof account !== 'string' || !isValidUserId(account)) {
      this.later('onLoginFailed', Code.LOGIN_E_INVALID_USER);
      return;
    }
    const retryTimeMs = Math.max(1, Number(retryTimeInS) || DEFAULT_RETRY_TIME_S) * 1000;
    this.resetSession();
    this.core?.destroy();
    const core = new Core(
      {
        serverUrl: this.opts.serverUrl,
        appId: appId || this.appId,
        kind: 'signaling',
        WebSocket: this.opts.WebSocket,
        loginTimeoutMs: retryTimeMs,
        backoff: this.opts.reconnect,
        sdk: `parley-signaling/${SDK_VERSION_INT}`,
        // The same limits bound the login and each reconnection after a drop.
        retry: { attempts: Math.max(0, Math.floor(Number(retryCount) || 0)), reconnectMs: retryTimeMs },
        // Signaling has no token renewal: an expiry while reconnecting ends the session.
        endOnTokenExpiry: true,
      },
      {
        state: (s, r, prev) => this.onState(core, s, r, prev),
        event: (op, body) => this.onEvent(op, body),
        relogged: () => this.onRelogged(),
        resumed: () => undefined,
        tokenExpired: () => undefined,
        tokenWillExpire: () => undefined,
        attempt: (n) => {
          if (this.core === core && n > 0 && core.state === 'RECONNECTING') this.fire('onReconnecting', n);
        },
      },
    );
    this.core = core;
    this.loginUid = Number.isInteger(uid) ? uid : 0;
    try {
      // `_no_need_token` is understood by the server (apps without certificate); '' means none.
      await core.login(account, token === '' ? undefined : token);
    } catch (e) {
      if (this.core !== core) return;
      const code = (e as { code?: number }).code ?? LoginError.UNKNOWN;
      if (code === LoginError.ABORTED_BY_LOGOUT) return; // logout() cancelled it
      this.fire('onLoginFailed', LOGIN_FAILURE[code] ?? Code.LOGIN_E_FAILED);
    }
  }

  /** The core's state is the login state: its changes are the login callbacks. */
  private onState(
    core: Core,
    state: ConnectionState,
    reason: ConnectionChangeReason,
    prev: ConnectionState,
  ): void {
    if (this.core !== core) return;
    if (state === 'CONNECTED') {
      if (prev === 'CONNECTING') this.fire('onLoginSuccess', this.loginUid, 0);
      else this.fire('onReconnected', 0);
    } else if (state === 'ABORTED' && prev !== 'CONNECTING') {
      // A session that was logged in ended (a login that fails reports onLoginFailed instead).
      this.resetSession();
      this.fire('onLogout', LOGOUT_REASON[reason] ?? Code.LOGOUT_E_OTHER);
    }
  }

  /**
   * Logs out: onLogout(101). Not logged in: onLogout(108). While logging in: the login stops
   * without a callback (so logout() then login() re-logs in, as in Signaling 1.2+).
   */
  logout(): void {
    if (this.destroyed) return;
    if (this.queuedLogin !== 0) {
      this.queuedLogin = 0; // the login waiting for the logout in progress is dropped
      return;
    }
    if (this.loggingOut) return;
    const core = this.core;
    const status = this.getStatus();
    if (!core || status === LoginState.LOGIN_STATE_NOT_LOGIN) {
      this.later('onLogout', Code.LOGOUT_E_ALREADY_LOGOUT);
      return;
    }
    this.loggingOut = true;
    const wasIn = status !== LoginState.LOGIN_STATE_LOGINING;
    // At once (a login in progress stops now); a login() called meanwhile runs after it.
    const done = core.logout().then(() => {
      this.loggingOut = false;
      if (this.core !== core) return;
      this.resetSession();
      if (wasIn) this.fire('onLogout', Code.LOGOUT_E_USER);
    });
    this.lifecycle = this.lifecycle.then(() => done);
  }

  /** 0 not logged in, 1 logging in, 2 logged in, 3 reconnecting (LOGIN_STATE_*). */
  getStatus(): number {
    if (this.queuedLogin !== 0) return LoginState.LOGIN_STATE_LOGINING;
    switch (this.core?.state) {
      case 'CONNECTING':
        return LoginState.LOGIN_STATE_LOGINING;
      case 'CONNECTED':
        return LoginState.LOGIN_STATE_LOGINED;
      case 'RECONNECTING':
        return LoginState.LOGIN_STATE_RECONNECTING;
      default:
        return LoginState.LOGIN_STATE_NOT_LOGIN;
    }
  }

  getSdkVersion(): number {
    return SDK_VERSION_INT;
  }

  /** Closes the connection and forgets the callbacks; the instance cannot be used again. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const core = this.core;
    this.core = null;
    // Logged in: end the session on the server (the account goes offline now, not after the
    // grace period); nothing is reported any more.
    if (core?.state === 'CONNECTED') void core.logout().finally(() => core.destroy());
    else core?.destroy();
    this.resetSession();
    this.cb = null;
    if (shared.get(this.appId) === this) shared.delete(this.appId);
  }

  private get loggedIn(): boolean {
    return this.core?.loggedIn === true;
  }

  private req(op: number, body: unknown): Promise<Reply> {
    return request(this.loggedIn ? this.core : null, op, body);
  }

  /** Everything tied to a session (channel, calls, own attributes) is gone. */
  private resetSession(): void {
    this.channel = null;
    this.membership = Promise.resolve();
    this.calls.reset();
    this.ops.ownAttrs.clear();
    // peerInbox stays: a message re-delivered after a re-login (its ack died in a server crash)
    // is still a duplicate for this instance.
  }

  /** The session was lost and a new one logged in: restore the channel and attributes, as Agora's SDK does. */
  private onRelogged(): void {
    this.calls.sessionLost();
    if (this.ops.ownAttrs.size > 0) void this.req(Op.SetUserAttrs, { attrs: [...this.ops.ownAttrs] });
    const ch = this.channel;
    if (ch?.state === 'joined') {
      const since = ch.cursor;
      this.membership = this.membership.then(async () => {
        const core = this.loggedIn ? this.core : null;
        const o = core
          ? await rejoin(core, SignalingOp.Join, ch.id, since, REQUEST_TIMEOUT_MS)
          : 'unanswered';
        // Refused: the channel is lost (no answer: the next re-login tries again).
        if (o === 'refused' && this.channel === ch) {
          this.channel = null;
          this.fire('onChannelLeaved', ch.id, Code.LEAVECHANNEL_E_DISCONN);
        }
      });
    }
  }

  // ---- peer messages ----

  /**
   * Sends a peer message: onMessageSendSuccess(msgID) once the server has it (Signaling semantics:
   * not when the peer received it), else onMessageSendError(msgID, 400 / 401 timeout). An empty
   * `msgID` gets one from the SDK. Received as onMessageInstantReceive (Signaling) or
   * MessageFromPeer (RTM).
   */
  messageInstantSend(account: string, _uid: number, msg: string, msgID = ''): void {
    const id = msgID || this.newMsgId();
    void this.sendToPeer(account, msg).then((code) => this.reportSend(id, code));
  }

  /** Sends to the channel this client is in; the sender gets its own message too (Signaling). */
  messageChannelSend(channelID: string, msg: string, msgID = ''): void {
    const id = msgID || this.newMsgId();
    void this.sendToChannel(channelID, msg).then((code) => this.reportSend(id, code));
  }

  /** Sends to a channel without being in it (Signaling only; RTM has no equivalent). */
  messageChannelSendForce(channelID: string, msg: string, msgID = ''): void {
    const id = msgID || this.newMsgId();
    if (!this.sendable(msg)) {
      this.later('onMessageSendError', id, Code.SENDMESSAGE_E_OTHER);
      return;
    }
    void this.req(SignalingOp.ChannelSendForce, { channelId: channelID, text: msg }).then((r) =>
      this.reportSend(id, sendCode(r)),
    );
  }

  /**
   * @internal A peer message (messageInstantSend and the Web API): resolves 0 once the server has
   * it, else SENDMESSAGE_E_OTHER / _TIMEOUT.
   */
  async sendToPeer(account: string, msg: string): Promise<number> {
    if (!isValidUserId(account) || !this.sendable(msg)) return Code.SENDMESSAGE_E_OTHER;
    // The idempotency key rides along every re-send of the request (docs/protocol.md, "Exactly once").
    const key = this.core?.newSendKey();
    return sendCode(await this.req(SignalingOp.PeerSend, { to: account, text: msg, key }));
  }

  /** @internal A channel message (messageChannelSend and the Web API), answered as {@link sendToPeer}. */
  async sendToChannel(channelID: string, msg: string): Promise<number> {
    if (!this.sendable(msg)) return Code.SENDMESSAGE_E_OTHER;
    const key = this.core?.newSendKey();
    const send = () =>
      this.req(Op.ChannelSend, { channelId: channelID, msg: { type: 'TEXT', text: msg }, key });
    // Sent right after channelJoin: it goes out once the join is done, as the app meant.
    const joining = this.channel?.id === channelID && this.channel.state === 'joining';
    return sendCode(await (joining ? this.membership.then(send) : send()));
  }

  private newMsgId(): string {
    return `parley-${Date.now().toString(36)}-${++this.msgSeq}`;
  }

  /** What every send needs: logged in, a string within the size limit. */
  private sendable(msg: unknown): boolean {
    const limit = this.core?.limits?.messageBytes ?? DEFAULT_LIMITS.messageBytes;
    return this.loggedIn && typeof msg === 'string' && utf8Length(msg) <= limit;
  }

  private reportSend(id: string, code: number): void {
    if (code === 0) this.fire('onMessageSendSuccess', id);
    else this.fire('onMessageSendError', id, code);
  }

  // ---- online status and user attributes ----

  /** onQueryUserStatusResult(account, '1' | '0'); shared with RTM's online status. */
  queryUserStatus(account: string): void {
    void this.run('queryUserStatus', this.ops.userStatus(account), (online) =>
      this.fire('onQueryUserStatusResult', account, online ? '1' : '0'),
    );
  }

  /** Sets one attribute of this user (an empty value deletes it); RTM users read it too. */
  setAttr(name: string, value: string): void {
    void this.run('setAttr', this.ops.setUserAttr(name, value), () => undefined);
  }

  getAttr(name: string): void {
    const me = this.core?.uid ?? '';
    void this.run('getAttr', this.ops.getUserAttr(me, name), (v) =>
      this.fire('onUserAttrResult', me, name, v),
    );
  }

  getAttrAll(): void {
    const me = this.core?.uid ?? '';
    void this.run('getAttrAll', this.ops.getUserAttrAll(me), (json) =>
      this.fire('onUserAttrAllResult', me, json),
    );
  }

  getUserAttr(account: string, name: string): void {
    void this.run('getUserAttr', this.ops.getUserAttr(account, name), (v) =>
      this.fire('onUserAttrResult', account, name, v),
    );
  }

  getUserAttrAll(account: string): void {
    void this.run('getUserAttrAll', this.ops.getUserAttrAll(account), (json) =>
      this.fire('onUserAttrAllResult', account, json),
    );
  }

  /** Runs an operation; success goes to `then`, failure to onError(name, ecode, err). */
  private async run<T>(name: string, p: Promise<Outcome<T>>, then: (v: T) => void): Promise<void> {
    if (!this.loggedIn) {
      this.later('onError', name, Code.GENERAL_E_NOT_LOGIN, 'not logged in');
      return;
    }
    const o = await p;
    if (o.ok) then(o.value);
    else this.fire('onError', name, o.ecode, o.err);
  }

  // ---- channels ----

  /**
   * Joins `channelID`, leaving the channel this client is in first (Signaling: one at a time):
   * onChannelLeaved(old, 0), onChannelJoined, onChannelUserList (latest ≤ 200), then one
   * onChannelAttrUpdated(…, 'update') per existing attribute. Failure: onChannelJoinFailed(ch, 300).
   */
  channelJoin(channelID: string): void {
    if (!this.loggedIn || !isValidChannelId(channelID)) {
      this.later('onChannelJoinFailed', channelID, Code.JOINCHANNEL_E_OTHER);
      return;
    }
    const ch = new ChannelState(channelID);
    this.channel = ch;
    this.membership = this.membership.then(async () => {
      const r = await this.req(SignalingOp.Join, { channelId: channelID });
      const left = ((r.body ?? {}) as { left?: string | null }).left ?? null;
      if (left !== null) this.fire('onChannelLeaved', left, 0);
      if (r.code !== 0) {
        if (this.channel === ch) this.channel = null;
        this.fire('onChannelJoinFailed', channelID, Code.JOINCHANNEL_E_OTHER);
        return;
      }
      const j = r.body as SigJoinResponse;
      const held = ch.held ?? [];
      ch.held = null;
      ch.state = 'joined';
      ch.joinedAt(j.ts);
      this.fire('onChannelJoined', channelID);
      this.fire(
        'onChannelUserList',
        j.members,
        j.members.map(() => 0),
      );
      for (const [k, v] of j.attrs) {
        ch.attrs.set(k, v);
        this.fire('onChannelAttrUpdated', channelID, k, v, 'update');
      }
      // What the channel said while the join was on its way, after the join's own callbacks.
      for (const [op, body] of held) if (this.channel === ch) this.onChannelEvent(ch, op, body, true);
    });
  }

  /** Leaves the channel: onChannelLeaved(ch, 0). */
  channelLeave(channelID: string): void {
    if (!this.loggedIn) {
      this.later('onError', 'channelLeave', Code.GENERAL_E_NOT_LOGIN, 'not logged in');
      return;
    }
    if (this.channel?.id === channelID) this.channel = null;
    this.membership = this.membership.then(async () => {
      const r = await this.req(Op.Leave, { channelId: channelID });
      if (r.code === 0) this.fire('onChannelLeaved', channelID, 0);
      else
        this.fire('onError', 'channelLeave', generalCode(r), r.code === 3 ? 'not in the channel' : r.reason);
    });
  }

  /** onChannelQueryUserNumResult(ch, 0, num), or (ch, 500 / 501 timeout, 0). */
  channelQueryUserNum(channelID: string): void {
    void this.ops.channelNum(channelID).then((o) => {
      if (o.ok) this.fire('onChannelQueryUserNumResult', channelID, 0, o.value);
      else
        this.fire(
          'onChannelQueryUserNumResult',
          channelID,
          o.err === 'timeout' ? Code.QUERYUSERNUM_E_TIMEOUT : Code.QUERYUSERNUM_E_OTHER,
          0,
        );
    });
  }

  /** onChannelQueryUserIsIn(ch, account, 1 | 0). */
  channelQueryUserIsIn(channelID: string, account: string): void {
    void this.run('channelQueryUserIsIn', this.ops.channelIsIn(channelID, account), (isIn) =>
      this.fire('onChannelQueryUserIsIn', channelID, account, isIn ? 1 : 0),
    );
  }

  /** Members get onChannelAttrUpdated(ch, name, value, 'update'); RTM members AttributesUpdated. */
  channelSetAttr(channelID: string, name: string, value: string): void {
    void this.run('channelSetAttr', this.ops.channelAttr(channelID, 'update', name, value), () => undefined);
  }

  channelDelAttr(channelID: string, name: string): void {
    void this.run('channelDelAttr', this.ops.channelAttr(channelID, 'del', name), () => undefined);
  }

  channelClearAttr(channelID: string): void {
    void this.run('channelClearAttr', this.ops.channelAttr(channelID, 'clear'), () => undefined);
  }

  // ---- invoke ----

  /** `io.agora.signal.*` functions (spec §1.7) → onInvokeRet(callID, err, respJson); unknown names answer an error. */
  invoke(name: string, req: string | Record<string, unknown>, callID = ''): void {
    void this.invokeResult(name, req).then((r) =>
      this.fire('onInvokeRet', callID, r.err, JSON.stringify(r.resp)),
    );
  }

  /** @internal invoke's result as an object (the Web API's path: no JSON in between). */
  invokeResult(name: string, req: string | Record<string, unknown>): Promise<InvokeResult> {
    if (!this.loggedIn) return Promise.resolve({ err: 'not_logged_in', resp: { result: 'not_logged_in' } });
    return runInvoke(this.ops, name, req);
  }

  // ---- call invitations ----

  channelInviteUser(channelID: string, account: string, _uid = 0): void {
    this.calls.invite(channelID, account, '');
  }

  /**
   * Invites `account` to a call on `channelID`. `extra` (JSON, ≤ 8 KB) reaches the callee's
   * onInviteReceived (RTM: RemoteInvitation.content); `_require_peer_online: 1` fails at once
   * (703) when the callee is offline; `_timeout: N` fails the call after N seconds unanswered (704).
   */
  channelInviteUser2(channelID: string, account: string, extra = ''): void {
    this.calls.invite(channelID, account, extra);
  }

  channelInviteAccept(channelID: string, account: string, _uid = 0, extra = ''): void {
    this.calls.accept(channelID, account, extra);
  }

  channelInviteRefuse(channelID: string, account: string, _uid = 0, extra = ''): void {
    this.calls.refuse(channelID, account, extra);
  }

  /** Ends a call at any time (cancel, end before answering, or hang up); `extra` is Web's optional argument. */
  channelInviteEnd(channelID: string, account: string, _uid = 0, extra = ''): void {
    this.calls.end(channelID, account, extra);
  }

  /** Sends DTMF digits to the peer of a call (its onInviteMsg). */
  channelInviteDTMF(channelID: string, phoneNum: string, dtmf: string): void {
    this.calls.dtmf(channelID, phoneNum, dtmf);
  }

  // ---- server events ----

  private onEvent(op: number, body: unknown): void {
    if (op === Op.PeerMessage) this.onPeerMessage(body as PeerMessageEvent);
    else if (!this.calls.onEvent(op, body)) this.onOtherEvent(op, body);
  }

  private onOtherEvent(op: number, body: unknown): void {
    const ch = this.channel;
    const channelId = (body as { channelId?: unknown } | null)?.channelId;
    if (!ch || channelId !== ch.id) return; // another channel (left, or being left): Signaling has one
    if (ch.held) ch.held.push([op, body]);
    else this.onChannelEvent(ch, op, body, false);
  }

  private onPeerMessage(ev: PeerMessageEvent): void {
    if (!this.peerInbox.accept(this.core, ev)) return;
    if (ev.msg?.type !== 'TEXT' || typeof ev.msg.text !== 'string') return; // Signaling has text only
    const end = parseEndCallMessage(ev.msg.text);
    if (end) this.calls.endedByPeer(end.channelId, ev.from, end.extra);
    else this.fire('onMessageInstantReceive', ev.from, 0, ev.msg.text);
  }

  /** An event of the current channel; `replay`: held during the join (attributes: report changes only). */
  private onChannelEvent(ch: ChannelState, op: number, body: unknown, replay: boolean): void {
    switch (op) {
      case Op.ChannelMessage: {
        const ev = body as ChannelMessageEvent;
        if (!ch.accept(ev)) return;
        if (ev.msg?.type === 'TEXT' && typeof ev.msg.text === 'string')
          this.fire('onMessageChannelReceive', ch.id, ev.from, 0, ev.msg.text);
        return;
      }
      case Op.MemberJoined:
      case Op.MemberLeft: {
        const { memberId } = body as MemberEvent;
        if (memberId === this.core?.uid) return;
        this.fire(op === Op.MemberJoined ? 'onChannelUserJoined' : 'onChannelUserLeaved', memberId, 0);
        return;
      }
      case SignalingOp.ChannelAttrUpdated: {
        const ev = body as SigChannelAttrEvent;
        this.attrChanged(ch, ch.applyTyped(ev, replay));
        return;
      }
      case Op.AttributesUpdated: {
        // Written by an RTM client: tell the change, not the whole set.
        for (const c of ch.applyFullSet((body as AttributesUpdatedEvent).attrs)) this.attrChanged(ch, c);
        return;
      }
    }
  }

  private attrChanged(ch: ChannelState, c: AttrChange | null): void {
    if (c) this.fire('onChannelAttrUpdated', ch.id, c.name, c.value, c.type);
  }
}

/** A send's reply as onMessageSendError's code (0: the server has the message). */
function sendCode(r: Reply): number {
  if (r.code === 0) return 0;
  return r.code === TIMEOUT ? Code.SENDMESSAGE_E_TIMEOUT : Code.SENDMESSAGE_E_OTHER;
}

/** Options with the server filled in. */
export type ResolvedSignalingOptions = SignalingOptions & { serverUrl: string | string[] };

/**
 * Fills in the default server (the RTM SDK's: where the script came from, the page's origin, or
 * ws://127.0.0.1:8080/rtm) and rejects a `serverUrl` that is neither a URL nor a list of them.
 * `who` names the API in the error. Shared by both Signaling APIs.
 */
export function resolveSignalingOptions(
  opts: SignalingOptions | undefined,
  who = 'AgoraAPIOnlySignal',
): ResolvedSignalingOptions {
  const serverUrl = opts?.serverUrl ?? defaultServerUrl();
  if (typeof serverUrl !== 'string' && !Array.isArray(serverUrl))
    throw new TypeError(`${who}: options.serverUrl must be ws://host:port/rtm or a list of them`);
  return { ...opts, serverUrl };
}
