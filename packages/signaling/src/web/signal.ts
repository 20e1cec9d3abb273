import { resolveSignalingOptions, type SignalingOptions } from '../options.js';
import { type LogLevel, WebLog } from './callback.js';
import { WebSession } from './session.js';

/** Options of `Signal(appId, options)`: where the Parley server is (default: see SignalingOptions), transport settings. */
export type SignalOptions = SignalingOptions;

/** The Web SDK version this API follows (`getSDKVersion()`). */
export const WEB_SDK_VERSION = '1.4.0';
/** `getSDKVersion_int()`: 1.4.0 in Agora's format (1 + 2 digits each + 3-digit build). */
export const WEB_SDK_VERSION_INT = 1010400000;
/** login's defaults in the Web SDK 1.4.0 code (`reconnect_count || 10`, `reconnect_time || 300000`). */
const DEFAULT_RECONNECT_COUNT = 10;
const DEFAULT_RECONNECT_TIME_MS = 300_000;

/**
 * The object `Signal(appId, options)` returns: the Web Signaling SDK 1.4.0's entry point
 * (spec signaling-api.md §1.2). Each `login` makes a new Session with its own connection.
 */
export class WebSignal {
  /** the App ID (the Web SDK also calls it `vid`) */
  readonly appid: string;
  readonly vid: string;
  private readonly log = new WebLog();

  constructor(
    appId: string,
    private readonly options: SignalOptions,
  ) {
    this.appid = appId;
    this.vid = appId;
  }

  /**
   * Logs `account` in and returns its Session at once; set its callbacks right away.
   * `token`: a Signaling token, an RTM token, or `_no_need_token` (apps without certificate).
   * `reconnect_count` (default 10) and `reconnect_time` (**milliseconds**, as the 1.4.0 code
   * reads it; default 300000, at least 1000) bound the login's retries and every reconnection
   * after a drop: past either, onLoginFailed(201) / onLogout(102). A non-string account is
   * JSON-encoded, as in 1.4.0.
   */
  login(account: string, token: string, reconnect_count?: number, reconnect_time?: number): WebSession {
    return new WebSession(
      {
        appId: this.appid,
        options: this.options,
        account: typeof account === 'string' ? account : JSON.stringify(account),
        token: typeof token === 'string' ? token : '',
        reconnectCount: Number(reconnect_count) || DEFAULT_RECONNECT_COUNT,
        reconnectTimeMs: Number(reconnect_time) || DEFAULT_RECONNECT_TIME_MS,
      },
      this.log,
    );
  }

  /** `'1.4.0'`: the Web SDK release whose API this is. */
  getSDKVersion(): string {
    return WEB_SDK_VERSION;
  }

  getSDKVersion_int(): number {
    return WEB_SDK_VERSION_INT;
  }

  /** Console logging of every session of this Signal: `level` 'DEBUG' | 'INFO' | 'WARNING'. */
  setDoLog(isEnabled = false, level: LogLevel = 'DEBUG'): void {
    this.log.set(isEnabled, level);
  }

  /**
   * Accepted and ignored: the Web SDK used it to pick Agora access points and proxies; with
   * Parley the server is `options.serverUrl`.
   */
  setup_debugging(_kind: string, _value?: unknown): void {}

  /** Same as {@link setup_debugging}. */
  setUpDebugging(kind: string, value?: unknown): void {
    this.setup_debugging(kind, value);
  }
}

/**
 * The legacy Agora **Web** Signaling SDK's entry point (`Signal(appId)`, 1.4.0 object model:
 * Signal → Session → Channel / Call, callbacks as assignable properties) on Parley's server.
 * The one change to an app: where the server is — load the script from it
 * (`<script src="http://host:8080/sdk/agora-signaling.js">`, then `Signal(appId)` as before) or pass
 * it, `Signal(appId, { serverUrl: 'ws://host:port/rtm' })`.
 * Guide and differences: docs/signaling.md "Web API (`Signal`)".
 *
 * @example
 * const signal = Signal(appId, { serverUrl: 'ws://127.0.0.1:8080/rtm' });
 * const session = signal.login('alice', '_no_need_token');
 * session.onLoginSuccess = () => {
 *   const channel = session.channelJoin('room1')!; // undefined only when not logged in
 *   channel.onChannelJoined = () => channel.messageChannelSend('hi', () => {});
 *   channel.onMessageChannelReceive = (account, uid, msg) => console.log(account, msg);
 * };
 * session.onLoginFailed = (ecode) => console.error('login failed', ecode);
 */
export function Signal(appId: string, options?: SignalOptions): WebSignal {
  return new WebSignal(appId, resolveSignalingOptions(options, 'Signal'));
}
