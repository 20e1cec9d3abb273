import {
  DEFAULT_LIMITS,
  Op,
  SignalingCode as Code,
  parseEndCallMessage,
  type PeerMessageEvent,
} from '@parley/protocol';
import { type Core, OwnUserAttrs, PeerInbox } from '@parley/sdk/core';
import {
  DEFAULT_RETRY_COUNT,
  DEFAULT_RETRY_TIME_S,
  LoginLifecycle,
  SDK_VERSION_INT,
} from './login-lifecycle.js';
import { type ResolvedSignalingOptions, type SignalingOptions, resolveSignalingOptions } from './options.js';
import { Calls, type CallsHost } from './calls.js';
import { SignalingChannel } from './channel.js';
import type { Callbacks, ICallBack } from './callbacks.js';
import { type InvokeResult, runInvoke } from './invoke-functions.js';
import { MessageSends, type SignalingSendOptions } from './message-sends.js';
import { Operations, type Outcome } from './operations.js';
import { request, type Reply } from './request.js';

export { SDK_VERSION_INT };
export type { SignalingOptions };

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
  private readonly lifecycle: LoginLifecycle;
  private readonly channel: SignalingChannel;
  /** acks peer messages and drops duplicates; outlives logins (see resetSession) */
  private readonly peerInbox = new PeerInbox();
  private readonly sends: MessageSends;
  private readonly calls: Calls;
  private readonly ops: Operations;

  private constructor(
    readonly appId: string,
    readonly opts: ResolvedSignalingOptions,
  ) {
    const host: CallsHost = {
      isLoggedIn: () => this.loggedIn,
      core: () => (this.loggedIn ? this.core : null),
      extraLimit: () => this.core?.limits?.invitationContentBytes ?? DEFAULT_LIMITS.invitationContentBytes,
      request: (op, body) => this.req(op, body),
      fire: (name, ...args) => this.fire(name, ...args),
      later: (name, ...args) => this.later(name, ...args),
    };
    this.calls = new Calls(host);
    this.channel = new SignalingChannel(host);
    this.sends = new MessageSends(host, this.channel);
    this.ops = new Operations((op, body) => this.req(op, body), new OwnUserAttrs());
    this.lifecycle = new LoginLifecycle(appId, opts, {
      fire: host.fire,
      later: host.later,
      event: (op, body) => this.onEvent(op, body),
      relogged: () => this.onRelogged(),
      resetSession: () => this.resetSession(),
    });
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
    deviceId = '',
    retryTimeInS = DEFAULT_RETRY_TIME_S,
    retryCount = DEFAULT_RETRY_COUNT,
  ): void {
    this.lifecycle.login(appId, account, token, uid, deviceId, retryTimeInS, retryCount);
  }

  /**
   * Logs out: onLogout(101). Not logged in: onLogout(108). While logging in: the login stops
   * without a callback (so logout() then login() re-logs in, as in Signaling 1.2+).
   */
  logout(): void {
    this.lifecycle.logout();
  }

  /** 0 not logged in, 1 logging in, 2 logged in, 3 reconnecting (LOGIN_STATE_*). */
  getStatus(): number {
    return this.lifecycle.getStatus();
  }

  getSdkVersion(): number {
    return SDK_VERSION_INT;
  }

  /** Closes the connection and forgets the callbacks; the instance cannot be used again. */
  destroy(): void {
    if (this.lifecycle.destroyed) return;
    this.lifecycle.destroy();
    this.resetSession();
    this.cb = null;
    if (shared.get(this.appId) === this) shared.delete(this.appId);
  }

  private get loggedIn(): boolean {
    return this.lifecycle.loggedIn;
  }

  private get core(): Core | null {
    return this.lifecycle.core;
  }

  private req(op: number, body: unknown): Promise<Reply> {
    return request(this.loggedIn ? this.core : null, op, body);
  }

  /** Everything tied to a session (channel, calls, own attributes) is gone. */
  private resetSession(): void {
    this.channel.reset();
    this.calls.reset();
    this.ops.ownAttrs.clear();
    // peerInbox stays: a message re-delivered after a re-login (its ack died in a server crash)
    // is still a duplicate for this instance.
  }

  /** The session was lost and a new one logged in: restore the channel and attributes, as Agora's SDK does. */
  private onRelogged(): void {
    this.calls.sessionLost();
    void this.ops.ownAttrs.restore((op, body) => this.req(op, body));
    this.channel.rejoin();
  }

  // ---- peer messages ----

  /**
   * Sends a peer message: onMessageSendSuccess(msgID) once the server has it (Signaling semantics:
   * not when the peer received it), else onMessageSendError(msgID, 400 / 401 timeout). An empty
   * `msgID` gets one from the SDK. Received as onMessageInstantReceive (Signaling) or
   * MessageFromPeer (RTM). Parley's extension: `{ enableHistoricalMessaging: true }` records it
   * in the app's message history (docs/history.md), as RTM's option does.
   */
  messageInstantSend(
    account: string,
    _uid: number,
    msg: string,
    msgID = '',
    options?: SignalingSendOptions | null,
  ): void {
    this.sends.peer(account, msg, msgID, options);
  }

  /** Sends to the channel this client is in; the sender gets its own message too (Signaling). `options` as messageInstantSend's. */
  messageChannelSend(
    channelID: string,
    msg: string,
    msgID = '',
    options?: SignalingSendOptions | null,
  ): void {
    this.sends.channelMessage(channelID, msg, msgID, options);
  }

  /** Sends to a channel without being in it (Signaling only; RTM has no equivalent). `options` as messageInstantSend's. */
  messageChannelSendForce(
    channelID: string,
    msg: string,
    msgID = '',
    options?: SignalingSendOptions | null,
  ): void {
    this.sends.channelForce(channelID, msg, msgID, options);
  }

  /**
   * @internal A peer message (messageInstantSend and the Web API): resolves 0 once the server has
   * it, else SENDMESSAGE_E_OTHER / _TIMEOUT.
   */
  sendToPeer(account: string, msg: string, options?: SignalingSendOptions | null): Promise<number> {
    return this.sends.toPeer(account, msg, options);
  }

  /** @internal A channel message (messageChannelSend and the Web API), answered as {@link sendToPeer}. */
  sendToChannel(channelID: string, msg: string, options?: SignalingSendOptions | null): Promise<number> {
    return this.sends.toChannel(channelID, msg, options);
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
    this.channel.join(channelID);
  }

  /** Leaves the channel: onChannelLeaved(ch, 0). */
  channelLeave(channelID: string): void {
    this.channel.leave(channelID);
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
    else if (!this.calls.onEvent(op, body)) this.channel.onEvent(op, body);
  }

  private onPeerMessage(ev: PeerMessageEvent): void {
    if (!this.peerInbox.accept(this.core, ev)) return;
    if (ev.msg?.type !== 'TEXT' || typeof ev.msg.text !== 'string') return; // Signaling has text only
    const end = parseEndCallMessage(ev.msg.text);
    if (end) this.calls.endedByPeer(end.channelId, ev.from, end.extra);
    else this.fire('onMessageInstantReceive', ev.from, 0, ev.msg.text);
  }
}
