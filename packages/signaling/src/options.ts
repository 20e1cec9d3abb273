import { type CoreOptions, defaultServerUrl } from '@parley/sdk/core';

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
