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

export interface MessageHistoryStore {
  /** Appends one entry; resolves once durable. Order of entries with equal `ts`: append order. */
  append(appId: string, entry: HistoryEntry, limits: HistoryRetentionLimits): Promise<HistoryAppendResult>;
  /** The entries matching `filter`, ordered by (ts, append order) as `filter.order` says. */
  query(appId: string, filter: HistoryFilter): Promise<HistoryEntry[]>;
  /** How many entries match `filter` (offset, limit and order ignored). */
  count(appId: string, filter: Omit<HistoryFilter, 'offset' | 'limit' | 'order'>): Promise<number>;
  /** Deletes entries older than `before` (ms, all apps); resolves with how many. */
  sweep(before: number): Promise<number>;
}
