/**
 * Store part: the app's message history — peer and channel messages sent with
 * `enableHistoricalMessaging`, read back through Agora's REST API
 * (`/dev/v2/project/{appId}/rtm/message/history/...`). Durable: an append resolves only once the
 * entry is committed (SQLite in embedded mode, PostgreSQL with `--postgres`, else Redis), so a
 * send answered to its sender survives `kill -9`. Kept `ttlMs` (default 7 days) and at most
 * `maxBytesPerApp` per app: the oldest entries are dropped first.
 */
export interface HistoryEntry {
  /** the message id the server stamped (unique in the cluster) */
  id: string;
  /** sender uid */
  src: string;
  /** receiver uid (peer message) or channel id (channel message) */
  dst: string;
  /** peer or channel */
  kind: 'peer' | 'channel';
  /** Agora's `message_type` as answered by the REST API (e.g. "peer_message", "channel_message") */
  messageType: string;
  /** serverReceivedTs, ms since epoch */
  ts: number;
  /** text as sent; raw messages as base64 (the entry's `messageType` says so) */
  payload: string;
}

/** What a history query selects (Agora's `POST …/message/history/query` body, decoded). */
export interface HistoryFilter {
  /** only messages from this uid */
  source?: string;
  /** only messages to this uid or channel */
  destination?: string;
  /** inclusive, ms since epoch */
  startMs: number;
  /** inclusive, ms since epoch */
  endMs: number;
  /** entries skipped before the first answered */
  offset: number;
  /** at most this many answered */
  limit: number;
  order: 'asc' | 'desc';
}

/** What an append dropped to stay under the per-app cap (counted in /metrics). */
export interface HistoryAppendResult {
  dropped: number;
}

export interface HistoryRetentionLimits {
  /** entries older than this are dropped, ms (default 7 days, `--history-ttl-ms`) */
  ttlMs: number;
  /** per-app cap on stored payload bytes (`--history-max-bytes-per-app`) */
  maxBytesPerApp: number;
}

/** What `count` selects: a query's filter without its paging. */
export type HistoryCountFilter = Omit<HistoryFilter, 'offset' | 'limit' | 'order'>;

/**
 * The bytes an entry counts against `maxBytesPerApp`: its payload's UTF-8 size (what the app
 * sent; base64 for raw messages, as stored).
 */
export const historyEntryBytes = (e: Pick<HistoryEntry, 'payload'>): number =>
  Buffer.byteLength(e.payload, 'utf8');

export interface MessageHistoryStore {
  /**
   * Appends one entry; resolves once durable. Order of entries with equal `ts`: append order.
   * Over `maxBytesPerApp` (0 = no cap), the app's oldest entries (by `ts`, then append order) are
   * dropped until it fits; the new entry itself is always kept.
   */
  append(appId: string, entry: HistoryEntry, limits: HistoryRetentionLimits): Promise<HistoryAppendResult>;
  /** The entries matching `filter`, ordered by (ts, append order) as `filter.order` says. */
  query(appId: string, filter: HistoryFilter): Promise<HistoryEntry[]>;
  /** How many entries match `filter` (offset, limit and order ignored). */
  count(appId: string, filter: HistoryCountFilter): Promise<number>;
  /** Deletes entries older than `before` (ms, all apps); resolves with how many. */
  sweep(before: number): Promise<number>;
}
