import type { HistoryCountFilter, HistoryEntry, HistoryFilter } from '../ports/message-history-store.js';
import type { ConsoleServices } from './console-services.js';
import type { EventQueueKind, QueuedEvent } from '../ports/event-queue-store.js';

/** Calls per second an app may make to Agora's REST API, per kind (null: not limited). */
export interface RestRateLimits {
  messages: number;
  events: number;
  history: number;
}

export type { HistoryCountFilter, HistoryEntry, HistoryFilter };
import type { Readable } from 'node:stream';
import type {
  ChannelSendResponse,
  MediaUploadResponse,
  PeerOnlineState,
  PeerSendResponse,
  WireMessage,
} from '@parley/protocol';

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
  /** image and file transfers (http/routes/media.ts) */
  media: MediaServices;
}

/** Why an upload was refused: the media store's reasons, or a part that does not fit. */
export type MediaUploadRefusal =
  | 'too_large'
  | 'size_mismatch'
  | 'app_full'
  | 'unavailable'
  /** no such upload in progress on this node */
  | 'unknown_upload'
  /** the session that began the upload ended */
  | 'session_ended'
  /** a part that does not start where the bytes so far end, or while another part is read */
  | 'invalid_offset';

/** The answer to one part of an upload: the stored media, how far it got, or a refusal. */
export type MediaUploadAnswer =
  | MediaUploadResponse
  | { uploadId: string; received: number }
  | { refused: MediaUploadRefusal };

/** The session a transfer ticket stood for. */
export interface MediaOwner {
  appId: string;
  uid: string;
  /** whether that session is still the user's live session on this node */
  live(): boolean;
}

/** What the media transfer routes need: tickets of live sessions and the media store. */
export interface MediaServices {
  /** false: this server stores no media (cluster mode without a shared store) */
  readonly available: boolean;
  /**
   * The session a transfer ticket was issued to, if that session is still live on this node;
   * the ticket is spent either way. null: unknown, expired or used ticket, or the session ended.
   */
  redeem(ticket: string): MediaOwner | null;
  /**
   * Starts an upload of `size` bytes whose first part is `body` (all of it, or the first part of
   * several). Rejects when the body stream fails (the client went away): nothing is kept.
   */
  begin(owner: MediaOwner, size: number, body: AsyncIterable<Uint8Array>): Promise<MediaUploadAnswer>;
  /**
   * The next part of upload `uploadId` (a secret only its client knows), starting at byte
   * `offset`; refused once the session that began it ended. Rejects as `begin`.
   */
  part(uploadId: string, offset: number, body: AsyncIterable<Uint8Array>): Promise<MediaUploadAnswer>;
  /** The bytes of one of the app's unexpired media, streamed; null when there is none. */
  download(appId: string, mediaId: string): Promise<{ size: number; body: Readable } | null>;
}
