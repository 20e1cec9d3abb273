import type { ConsoleServices } from './console-services.js';
import type { ChannelSendResponse, PeerOnlineState, PeerSendResponse, WireMessage } from '@parley/protocol';

/** Why an offline peer message was neither stored nor taken live (a quota). */
export type OfflineRefusal = 'offline_app_bytes' | 'offline_sender_hourly';

/**
 * What the REST API needs from the rest of the server, and nothing more: the routes never see
 * features, sessions or the store. createServer builds it from the server's parts, so those can
 * change behind it.
 */
export interface RestServices {
  /** no apps configured: every well-formed App ID is accepted, without credentials */
  readonly devMode: boolean;
  /** the app's certificate ('' or undefined: none, the app is open); undefined app: not configured */
  app(appId: string): { appCertificate?: string } | undefined;
  /** the app's largest message, bytes (the same limit as the WebSocket API's) */
  messageBytes(appId: string): number;
  /**
   * A channel message from `from`, to every member on every node except a member whose uid is
   * `from` (RTM does not echo a sender's message). `key`: the Idempotency-Key.
   */
  sendChannelMessage(
    appId: string,
    channelId: string,
    from: string,
    msg: WireMessage,
    key: string | undefined,
  ): Promise<ChannelSendResponse>;
  /**
   * A peer message, with sendMessageToPeer's semantics. Resolves null when an offline message
   * could not be stored, `{ refused }` when a quota kept it out and the user did not take it live.
   */
  sendPeerMessage(
    appId: string,
    from: string,
    to: string,
    msg: WireMessage,
    offline: boolean,
    key: string | undefined,
  ): Promise<PeerSendResponse | { refused: OfflineRefusal } | null>;
  /** the uids in the channel, across all nodes */
  channelMembers(appId: string, channelId: string): Promise<string[]>;
  /** the user's session state, across all nodes */
  onlineState(appId: string, uid: string): Promise<PeerOnlineState>;
  /** the web console's reads and actions; null when no admin password is set (no console) */
  readonly console: ConsoleServices | null;
}
