import {
  LoginError,
  ProtocolErrorCode,
  SignalingCode as Code,
  isValidUserId,
  type ConnectionChangeReason,
  type ConnectionState,
} from '@parley/protocol';
import { Core } from '@parley/sdk/core';
import type { CallsHost } from './calls.js';
import { LoginState } from './codes.js';
import type { ResolvedSignalingOptions } from './options.js';

/** Signaling SDK version reported by getSdkVersion(): 1.4.4 in Agora's format (1 + 2 digits each + build). */
export const SDK_VERSION_INT = 1010404000;
/** login(): login2 with Agora's defaults (30 s, 3 retries). */
export const DEFAULT_RETRY_TIME_S = 30;
export const DEFAULT_RETRY_COUNT = 3;

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

/** What the login lifecycle needs from the API object. */
export interface LoginHost extends Pick<CallsHost, 'fire' | 'later'> {
  /** a server event */
  event(op: number, body: unknown): void;
  /** the session was lost and a new one logged in */
  relogged(): void;
  /** everything tied to the session is gone */
  resetSession(): void;
}

/**
 * Signaling's login lifecycle on the client core: a core per login, whose state is the login
 * state (its changes are onLoginSuccess, onReconnecting, onReconnected, onLogout); the retry
 * limits of login2 are the core's. Only Signaling's "logout then login without waiting" is kept
 * here: a login made while a logout finishes runs right after it.
 */
export class LoginLifecycle {
  core: Core | null = null;
  /** the uid given to the current login, for onLoginSuccess */
  private loginUid = 0;
  /** user-initiated logout in progress (its DISCONNECTED is reported by logout itself) */
  private loggingOut = false;
  /** a login() made while a logout was finishing (Signaling 1.2+): it runs right after */
  private queuedLogin: (() => void) | null = null;
  private ended = false;

  constructor(
    private readonly appId: string,
    private readonly opts: ResolvedSignalingOptions,
    private readonly host: LoginHost,
  ) {}

  /** destroy() was called: the instance cannot be used again */
  get destroyed(): boolean {
    return this.ended;
  }

  get loggedIn(): boolean {
    return this.core?.loggedIn === true;
  }

  /**
   * Logs in: onLoginSuccess(uid, 0), or onLoginFailed(ecode) once `retryTimeInS` seconds or
   * `retryCount` connection retries are used up (201) or the server refuses (202, 204, 206, 209).
   * The same limits bound each reconnection after a drop (then onLogout(102)). `token`: a
   * Signaling token, an RTM token, or `_no_need_token` for an app without certificate.
   */
  login(
    appId: string,
    account: string,
    token: string,
    uid = 0,
    _deviceId = '',
    retryTimeInS = DEFAULT_RETRY_TIME_S,
    retryCount = DEFAULT_RETRY_COUNT,
  ): void {
    // Signaling: a login while logged in (or logging in) is ignored.
    if (this.ended || this.queuedLogin) return;
    if (!this.loggingOut && this.getStatus() !== LoginState.LOGIN_STATE_NOT_LOGIN) return;
    const go = () => void this.doLogin(appId, account, token, uid, retryTimeInS, retryCount);
    // logout() then login() without waiting (Signaling 1.2+): the login runs once the logout is done.
    if (this.loggingOut) this.queuedLogin = go;
    else go();
  }

  private async doLogin(
    appId: string,
    account: string,
    token: string,
    uid: number,
    retryTimeInS: number,
    retryCount: number,
  ): Promise<void> {
    if (this.ended || (this.core && this.core.state !== 'DISCONNECTED' && this.core.state !== 'ABORTED'))
      return;
    if (typeof account !== 'string' || !isValidUserId(account)) {
      this.host.later('onLoginFailed', Code.LOGIN_E_INVALID_USER);
      return;
    }
    const retryTimeMs = Math.max(1, Number(retryTimeInS) || DEFAULT_RETRY_TIME_S) * 1000;
    this.host.resetSession();
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
        event: (op, body) => this.host.event(op, body),
        relogged: () => this.host.relogged(),
        resumed: () => undefined,
        tokenExpired: () => undefined,
        tokenWillExpire: () => undefined,
        attempt: (n) => {
          if (this.core === core && n > 0 && core.state === 'RECONNECTING')
            this.host.fire('onReconnecting', n);
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
      this.host.fire('onLoginFailed', LOGIN_FAILURE[code] ?? Code.LOGIN_E_FAILED);
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
      if (prev === 'CONNECTING') this.host.fire('onLoginSuccess', this.loginUid, 0);
      else this.host.fire('onReconnected', 0);
    } else if (state === 'ABORTED' && prev !== 'CONNECTING') {
      // A session that was logged in ended (a login that fails reports onLoginFailed instead).
      this.host.resetSession();
      this.host.fire('onLogout', LOGOUT_REASON[reason] ?? Code.LOGOUT_E_OTHER);
    }
  }

  /**
   * Logs out: onLogout(101). Not logged in: onLogout(108). While logging in: the login stops
   * without a callback (so logout() then login() re-logs in, as in Signaling 1.2+).
   */
  logout(): void {
    if (this.ended) return;
    if (this.queuedLogin) {
      this.queuedLogin = null; // the login waiting for the logout in progress is dropped
      return;
    }
    if (this.loggingOut) return;
    const core = this.core;
    const status = this.getStatus();
    if (!core || status === LoginState.LOGIN_STATE_NOT_LOGIN) {
      this.host.later('onLogout', Code.LOGOUT_E_ALREADY_LOGOUT);
      return;
    }
    this.loggingOut = true;
    const wasIn = status !== LoginState.LOGIN_STATE_LOGINING;
    // At once (a login in progress stops now); a login() called meanwhile runs after it.
    void core.logout().then(() => {
      this.loggingOut = false;
      if (this.core === core) {
        this.host.resetSession();
        if (wasIn) this.host.fire('onLogout', Code.LOGOUT_E_USER);
      }
      const next = this.queuedLogin;
      this.queuedLogin = null;
      next?.();
    });
  }

  /** 0 not logged in, 1 logging in, 2 logged in, 3 reconnecting (LOGIN_STATE_*). */
  getStatus(): number {
    if (this.queuedLogin) return LoginState.LOGIN_STATE_LOGINING;
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

  /** Closes the connection; nothing is reported any more. */
  destroy(): void {
    this.ended = true;
    const core = this.core;
    this.core = null;
    // Logged in: end the session on the server (the account goes offline now, not after the
    // grace period).
    if (core?.state === 'CONNECTED') void core.logout().finally(() => core.destroy());
    else core?.destroy();
  }
}
