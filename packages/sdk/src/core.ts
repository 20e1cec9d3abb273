import {
  CLOSE_POLICY,
  type ConnectionChangeReason,
  type ConnectionState,
  LoginError,
  Op,
  classify,
  decodeFrame,
  encodeEvent,
  type Limits,
  type LoginResponse,
  type ResumeResponse,
  type SessionEndReason,
} from '@parley/protocol';
import { DEFAULT_BACKOFF } from './backoff.js';
import { sendFarewell } from './farewell.js';
import { type SessionTicket, loginRequest, resumeRequest } from './handshake.js';
import { SESSION_OPS_EXEMPT, TERMINAL_CLOSE_REASON, attemptTimeoutMs } from './connection-policy.js';
import { onReloginRefused } from './relogin-refusal.js';
import { defaultWebSocket, type WebSocketCtor } from './platform.js';
import { LoginWaiter } from './login-waiter.js';
import { ReconnectSchedule } from './reconnect-schedule.js';
import { SendKeys } from './send-keys.js';
import { StreamCount } from './stream-count.js';
import { SocketLink } from './socket-link.js';
import type { CoreListener, CoreOptions } from './core-options.js';
import { CallFailure, type CallResult, RequestTable } from './requests.js';

export { CallFailure, type CallResult, type CoreListener, type CoreOptions };

/**
 * The connection core shared by the RTM and Signaling SDKs: one WebSocket, login and resume,
 * requests and responses, heartbeats, reconnect with backoff, and the connection state machine.
 *
 * Invariants: callbacks of an older socket are ignored (`SocketLink`, whose generation
 * `dropSocket` bumps); every teardown goes through `teardown`; `setState` emits only real
 * changes. Requests made while RECONNECTING stay pending (bounded by their own timeout) and go
 * out once the session is back, resumed or logged in again.
 */
export class Core {
  state: ConnectionState = 'DISCONNECTED';
  uid = '';
  token: string | undefined;
  limits: Limits | null = null;
  private session: SessionTicket | null = null;
  /** heartbeat interval of the last session, to size attempt timeouts while reconnecting */
  private lastHeartbeatMs = 0;
  private readonly stream = new StreamCount();
  private readonly requests = new RequestTable((bytes) => this.link.send(bytes));
  private readonly link: SocketLink;
  private readonly reconnect: ReconnectSchedule;
  private readonly loginWaiter = new LoginWaiter();
  private loggingOut = false;
  /** stops the farewell of a session left by a logout while RECONNECTING (a new login does) */
  private cancelFarewell: (() => void) | null = null;
  private loginReqId = -1;
  private resumeReqId = -1;
  private readonly WS: WebSocketCtor;
  private readonly sendKeys = new SendKeys();

  constructor(
    private readonly opts: CoreOptions,
    private readonly listener: CoreListener,
  ) {
    this.WS = opts.WebSocket ?? defaultWebSocket();
    const urls = Array.isArray(opts.serverUrl) ? opts.serverUrl : [opts.serverUrl];
    this.reconnect = new ReconnectSchedule(urls, { ...DEFAULT_BACKOFF, ...opts.backoff }, opts.retry);
    this.link = new SocketLink(this.WS, {
      opened: () => (this.session ? this.sendResume() : this.sendLogin()),
      frame: (bytes) => this.onFrame(bytes),
      closed: (code) => this.linkLost(code),
      dead: () => {
        this.dropSocket();
        this.linkLost(1006);
      },
      ping: () => this.ping(),
    });
  }

  /** A new idempotency key for a send (docs/protocol.md, "Exactly once"); re-sends carry it. */
  newSendKey(): string {
    return this.sendKeys.next();
  }

  /** The server URL in use (`ws://host:port/rtm`): media transfers go to the same host. */
  get serverUrl(): string {
    return this.reconnect.url;
  }

  get loggedIn(): boolean {
    return this.state === 'CONNECTED' || this.state === 'RECONNECTING';
  }

  // ---- login / logout ----

  /** Logs in; rejects with `{ code }` (LoginError) on failure. */
  login(uid: string, token: string | undefined): Promise<void> {
    this.cancelFarewell?.();
    this.cancelFarewell = null;
    this.uid = uid;
    this.token = token;
    this.session = null;
    this.reconnect.attempt = 0;
    this.setState('CONNECTING', 'LOGIN');
    return this.loginWaiter.start(
      this.opts.loginTimeoutMs,
      () => {
        this.teardown(false);
        this.setState('DISCONNECTED', 'LOGIN_TIMEOUT');
      },
      () => this.open(),
    );
  }

  /**
   * Logs out (the server ends the session); safe in any state but DISCONNECTED. While the link is
   * down it does not wait: the session is ended by a farewell once the server is reachable.
   */
  async logout(): Promise<void> {
    if (this.state === 'CONNECTED' && this.link.hasSocket) {
      this.loggingOut = true;
      try {
        await this.call(Op.Logout, null, 3000).catch(() => undefined);
      } finally {
        this.loggingOut = false;
      }
    } else if (this.state === 'RECONNECTING' && this.session) {
      this.cancelFarewell?.();
      this.cancelFarewell = sendFarewell(this.WS, this.reconnect.urls, this.reconnect.serverIndex, {
        appId: this.opts.appId,
        uid: this.uid,
        sessionId: this.session.id,
        resumeToken: this.session.resumeToken,
      });
    }
    this.settleLogin(LoginError.ABORTED_BY_LOGOUT);
    this.teardown(false);
    this.session = null;
    this.token = undefined;
    this.setState('DISCONNECTED', 'LOGOUT');
  }

  // ---- requests ----

  /**
   * Sends a request; resolves with the server's `{ code, body }`. While RECONNECTING it waits
   * (bounded by `timeoutMs`) and goes out when the session is back.
   */
  call(op: number, body: unknown, timeoutMs: number): Promise<CallResult> {
    if (!this.loggedIn && !SESSION_OPS_EXEMPT.has(op))
      return Promise.reject(new CallFailure('not_logged_in'));
    return this.requests.add(op, body, timeoutMs, this.state === 'CONNECTED');
  }

  /** Sends a client event (no response), e.g. a PeerAck. Dropped when not connected. */
  notify(op: number, body: unknown): void {
    if (this.state === 'CONNECTED') this.link.send(encodeEvent(op, body));
  }

  // ---- socket ----

  private open(): void {
    if (this.reconnect.usedUp(this.state === 'RECONNECTING')) {
      this.giveUp();
      return;
    }
    this.listener.attempt?.(this.reconnect.attempt);
    if (this.state !== 'CONNECTING' && this.state !== 'RECONNECTING') return;
    this.link.open(this.reconnect.url, attemptTimeoutMs(this.lastHeartbeatMs));
  }

  /** The retry limits are used up: a login in progress fails, a lost session ends. */
  private giveUp(): void {
    const lost = this.state === 'RECONNECTING';
    this.settleLogin(LoginError.TIMEOUT);
    this.teardown(false);
    this.session = null;
    if (lost) this.setState('ABORTED', 'INTERRUPTED');
    else this.setState('DISCONNECTED', 'LOGIN_TIMEOUT');
  }

  private sendLogin(): void {
    const reqId = this.requests.newId();
    this.stream.restart(0);
    this.loginReqId = reqId;
    this.link.send(loginRequest(reqId, this.opts, this.uid, this.token));
  }

  private sendResume(): void {
    const reqId = this.requests.newId();
    this.resumeReqId = reqId;
    this.link.send(resumeRequest(reqId, this.opts.appId, this.uid, this.session!, this.stream.received));
  }

  private onFrame(bytes: Uint8Array): void {
    const gen = this.link.gen;
    let values: unknown[];
    try {
      values = decodeFrame(bytes);
    } catch {
      return;
    }
    for (const v of values) {
      // A message may end the socket (SessionEnded, a failed login); the rest of its frame is void.
      if (gen !== this.link.gen) return;
      const m = classify(v);
      if (m.kind === 'response') {
        if (m.reqId === this.loginReqId) this.onLoginResponse(m.code, m.body);
        else if (m.reqId === this.resumeReqId) {
          // Resume answers are not part of the session's numbered stream.
          this.onResumeResponse(m.code, m.body);
        } else {
          this.stream.received++;
          this.requests.answer(m.reqId, m.code, m.body);
        }
      } else if (m.kind === 'event') {
        // Pings and protocol errors are written outside the session's numbered stream.
        if (m.op === Op.Ping || m.op === Op.ProtocolError) continue;
        this.stream.received++;
        this.onEvent(m.op, m.body);
      }
    }
    if (this.stream.reportDue && this.session) this.ping();
  }

  private onLoginResponse(code: number, body: unknown): void {
    this.loginReqId = -1;
    this.link.clearAttemptTimer();
    if (code !== 0) {
      if (this.loginWaiter.pending) {
        this.teardown(false);
        const w = this.loginWaiter.take()!;
        this.setState('DISCONNECTED', 'LOGIN_FAILURE');
        w.reject({ code, detail: (body as { message?: string } | null)?.message });
        return;
      }
      onReloginRefused(code, this.opts.endOnTokenExpiry === true, {
        endTokenExpired: () => this.endedByServer('TOKEN_EXPIRED'),
        tokenExpired: () => this.listener.tokenExpired(),
        abort: () => {
          this.teardown(false);
          this.setState('ABORTED', 'LOGIN_FAILURE');
        },
        retry: () => {
          this.dropSocket();
          this.scheduleReconnect();
        },
      });
      return;
    }
    const r = body as LoginResponse;
    this.stream.received = 1;
    this.session = { id: r.sessionId, resumeToken: r.resumeToken, heartbeatMs: r.heartbeatMs };
    this.lastHeartbeatMs = r.heartbeatMs;
    this.limits = r.limits;
    this.reconnect.attempt = 0;
    this.startHeartbeat();
    const w = this.loginWaiter.take();
    this.setState('CONNECTED', 'LOGIN_SUCCESS');
    // Requests made while reconnecting (or left unanswered by the lost session) go out on the new
    // one, after the state restore of a re-login: a channel message re-sent after a crash then
    // follows its channel's rejoin (the server runs it once the join is done) instead of being
    // refused as "not in the channel"; its key lets members drop it if they had it.
    const unsent = this.requests.unsent();
    if (w) w.resolve();
    else this.listener.relogged();
    this.requests.resendAfterRelogin(unsent);
  }

  private onResumeResponse(code: number, body: unknown): void {
    this.resumeReqId = -1;
    if (code !== 0) {
      // Replaced by a login of the same user elsewhere while we were away: stop, as if told live.
      const ended = (body as { ended?: unknown } | null)?.ended;
      if (ended === 'REMOTE_LOGIN' || ended === 'BANNED_BY_SERVER') {
        this.endedByServer(ended);
        return;
      }
      // Not resumable (grace over, server restarted, other node): log in again as a new session.
      // An expired token is reported by that login (TokenExpired once, unless renewed meanwhile).
      this.session = null;
      this.sendLogin();
      return;
    }
    this.link.clearAttemptTimer();
    const r = body as ResumeResponse;
    this.reconnect.attempt = 0;
    this.startHeartbeat();
    this.setState('CONNECTED', 'LOGIN_SUCCESS');
    // Re-send what the server has not processed; what it has is answered in the replay.
    this.requests.resendAfterResume(r.lastReqId);
    this.listener.resumed();
  }

  private onEvent(op: number, body: unknown): void {
    if (op === Op.SessionEnded) {
      const reason = (body as { reason?: SessionEndReason } | null)?.reason;
      this.endedByServer(reason);
      return;
    }
    if (op === Op.TokenWillExpire) {
      this.listener.tokenWillExpire();
      return;
    }
    this.listener.event(op, body);
  }

  private endedByServer(reason: SessionEndReason | undefined): void {
    this.session = null;
    if (reason === 'REMOTE_LOGIN' || reason === 'TOKEN_EXPIRED' || reason === 'BANNED_BY_SERVER') {
      this.teardown(false);
      this.settleLogin(LoginError.REJECTED);
      if (reason === 'TOKEN_EXPIRED') {
        this.setState('ABORTED', 'TOKEN_EXPIRED');
        this.listener.tokenExpired();
      } else this.setState('ABORTED', reason);
      return;
    }
    // Server shutdown (or an unknown reason): the session is gone but the user did not leave.
    // Reconnect and log in again when a server is back; pending calls wait for that.
    this.dropSocket();
    this.setState('RECONNECTING', 'INTERRUPTED');
    this.scheduleReconnect();
  }

  /** The current socket is gone (closed, failed, or judged dead); decide what comes next. */
  private linkLost(code: number): void {
    this.link.stopTimers();
    this.loginReqId = this.resumeReqId = -1;
    this.requests.linkLost();
    if (this.state === 'DISCONNECTED' || this.state === 'ABORTED') return;
    if (this.loggingOut) {
      // The server ends the session on Logout by closing; logout() finishes the job.
      this.teardown(false);
      return;
    }
    if (CLOSE_POLICY[code] === 'terminal') {
      // The SessionEnded event normally arrives first; this covers a close without it.
      const reason = TERMINAL_CLOSE_REASON[code];
      if (reason) {
        this.endedByServer(reason);
        return;
      }
    }
    this.reconnect.nextServer();
    // Still logging in: retry within the login timeout, no state change.
    if (this.state !== 'CONNECTING') this.setState('RECONNECTING', 'INTERRUPTED');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.reconnect.schedule(() => {
      if (this.state === 'RECONNECTING' || this.state === 'CONNECTING') this.open();
    });
  }

  private startHeartbeat(): void {
    this.link.startHeartbeat(this.session?.heartbeatMs ?? 5000);
  }

  /** A heartbeat that also tells the server how many session messages were processed. */
  private ping(): void {
    this.link.send(encodeEvent(Op.Ping, this.stream.report()));
  }

  /** Closes the socket without reacting to its close event. */
  private dropSocket(): void {
    this.link.drop();
    this.loginReqId = this.resumeReqId = -1;
    this.requests.linkLost();
  }

  /** The single teardown path: socket, timers, and (unless `keepPending`) pending calls. */
  private teardown(keepPending: boolean): void {
    this.dropSocket();
    this.reconnect.cancel();
    if (!keepPending) {
      this.requests.rejectAll(new CallFailure(this.state === 'ABORTED' ? 'aborted' : 'not_logged_in'));
    }
  }

  /** Rejects a login still waiting (its promise must settle whatever ends the attempt). */
  private settleLogin(code: number): void {
    this.loginWaiter.take()?.reject({ code });
  }

  private setState(next: ConnectionState, reason: ConnectionChangeReason): void {
    const prev = this.state;
    if (prev === next) return;
    this.state = next;
    if (next === 'RECONNECTING') this.reconnect.sessionLost();
    this.listener.state(next, reason, prev);
  }

  /** Releases everything (client.release()). */
  destroy(): void {
    // A farewell still under way goes on (it holds nothing of this client): apps often release
    // right after a logout, and the session should still end at once.
    this.settleLogin(LoginError.ABORTED_BY_LOGOUT);
    this.teardown(false);
    this.session = null;
    this.state = 'DISCONNECTED';
  }
}
