import type { SessionStore } from './session-store.js';
import type { PresenceStore } from './presence-store.js';
import type { UserAttrsStore } from './user-attrs-store.js';
import type { ChannelStore } from './channel-store.js';
import type { ChannelAttrsStore } from './channel-attrs-store.js';
import type { ChannelHistoryStore } from './channel-history-store.js';
import type { InvitationStore } from './invitation-store.js';
import type { OfflineStore } from './offline-store.js';
import type { EventQueueStore } from './event-queue-store.js';
import type { MessageHistoryStore } from './message-history-store.js';
import type { MediaStore } from './media-store.js';

/**
 * Store: state and durable data, split per capability so each feature owns its part and each
 * adapter set (embedded, redis) implements every part. Features receive the whole Store.
 */
export interface Store {
  /** the session registry: one live session per (app, uid), cluster-wide */
  sessions: SessionStore;
  /** online-status subscriptions (who watches whom) */
  presence: PresenceStore;
  /** user attributes, tied to the session */
  userAttrs: UserAttrsStore;
  /** channel membership and counts */
  channels: ChannelStore;
  /** channel attributes */
  channelAttrs: ChannelAttrsStore;
  /** recent channel messages for resumed/re-logged sessions */
  history: ChannelHistoryStore;
  /** call invitations and their state */
  invitations: InvitationStore;
  /** offline peer messages (durable in SQLite) */
  offline: OfflineStore;
  /** user and channel events waiting to be pulled through Agora's REST API, per app */
  events: EventQueueStore;
  /**
   * messages sent with enableHistoricalMessaging, for Agora's history query (durable: SQLite,
   * PostgreSQL with `--postgres`, else Redis)
   */
  messageHistory: MessageHistoryStore;
  /** uploaded images and files (durable under the data dir; unavailable in cluster mode without a shared store) */
  media: MediaStore;
  /** Flushes pending writes and releases resources. */
  close(): Promise<void>;
}
