import type { HistoryCountFilter, HistoryEntry, HistoryFilter } from '../ports/message-history-store.js';
import type { ConsoleServices } from './console-services.js';
import type { ChannelSendResponse, PeerOnlineState, PeerSendResponse, WireMessage } from '@parley/protocol';
import type { EventQueueKind, QueuedEvent } from '../ports/event-queue-store.js';

/** Calls per second an app may make to Agora's REST API, per kind (null: not limited). */
export interface RestRateLimits {
  messages: number;
  events: number;
  history: number;
}

export type { HistoryCountFilter, HistoryEntry, HistoryFilter };

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
   * `from` (RTM does not echo a sender's message). `key`: the Idempotency-Key. `historical`:
   * recorded in the message history first; resolves null (nothing sent) when that failed.
   */
  sendChannelMessage(
    appId: string,
    channelId: string,
    from: string,
    msg: WireMessage,
    key: string | undefined,
    historical?: boolean,
  ): Promise<ChannelSendResponse | null>;
  /**
   * A peer message, with sendMessageToPeer's semantics. Resolves null when an offline message
   * or its history entry (`historical`) could not be stored, `{ refused }` when a quota kept it
   * out and the user did not take it live.
   */
  sendPeerMessage(
    appId: string,
    from: string,
    to: string,
    msg: WireMessage,
    offline: boolean,
    key: string | undefined,
    historical?: boolean,
  ): Promise<PeerSendResponse | { refused: OfflineRefusal } | null>;
  /** the uids in the channel, across all nodes */
  channelMembers(appId: string, channelId: string): Promise<string[]>;
  /** the user's session state, across all nodes */
  onlineState(appId: string, uid: string): Promise<PeerOnlineState>;
  /**
   * The app's message history (messages sent with history) matching `filter`, in `filter.order`
   * by (ts, append order), paged by `offset`/`limit`. Entries older than `--history-ttl-ms` are
   * never answered, even before the sweep removed them. Rejects when the store cannot answer.
   */
  queryHistory(appId: string, filter: HistoryFilter): Promise<HistoryEntry[]>;
  /** How many entries match (paging ignored), under the same ttl as queryHistory. */
  countHistory(appId: string, filter: HistoryCountFilter): Promise<number>;

  // Agora's REST API (routes/agora-v2.ts).
  /** whether any customer credential is configured (then Agora's API needs credentials) */
  readonly hasCustomers: boolean;
  /** whether `id`:`secret` is one of the server's customer credentials (constant time) */
  customerValid(id: string, secret: string): boolean;
  /** whether `token` is a valid RTM token of the app for `uid` (as a login would judge it) */
  tokenValid(appId: string, uid: string, token: string): boolean;
  /** the app's REST rates, or null with `--rate-limits off` */
  restRates(appId: string): RestRateLimits | null;
  /** the key history query handles are signed with: the same on every node of the deployment */
  readonly handleKey: Buffer;
  /** how long a history query handle opens, ms */
  readonly handleTtlMs: number;
  /** takes out up to `count` of the app's oldest queued user or channel events, cluster-wide */
  takeEvents(appId: string, kind: EventQueueKind, count: number): Promise<QueuedEvent[]>;
  /** the web console's reads and actions; null when no admin password is set (no console) */
  readonly console: ConsoleServices | null;
}
