/** An offline peer message as stored: delivered unchanged at the receiver's next login. */
export interface OfflineMessage {
  /** the message id the server stamped (unique; the receiver's ack names it) */
  id: string;
  /** sender uid */
  from: string;
  /** serverReceivedTs, ms since epoch; the lifetime (offlineTtlMs) counts from here */
  ts: number;
  /** the encoded PeerMessage event (with `offline: true`), written to the receiver as-is */
  event: Uint8Array;
}

/** What the inboxes of one app's receivers hold (per-app caps). Bytes are those of the stored events. */
export interface OfflineUsage {
  messages: number;
  bytes: number;
}

/**
 * What the store knows of an earlier message with the same idempotency key (same app, sender,
 * receiver and key): the first send's id and ts, and where that message is now.
 */
export interface PriorSend {
  id: string;
  ts: number;
  /** still in the receiver's inbox (not acknowledged yet) */
  stored: boolean;
  /** the receiver's SDK acknowledged it (its inbox copy went that way, not by the cap or expiry) */
  acked: boolean;
}

/** What `putOnce` did: found an earlier send with the key, or stored this one. */
export interface PutOnceResult {
  prior: PriorSend | null;
  /** older messages the per-receiver cap dropped to make room (0 when `prior` is set) */
  dropped: number;
}

/**
 * Store part: the offline inbox of peer messages sent with `enableOfflineMessaging`. Durable
 * (SQLite in embedded mode, a capped stream per receiver in Redis): a message the sender was told
 * is cached survives a crash until the receiver's SDK acknowledged it or it expired.
 */
export interface OfflineStore {
  /**
   * Stores a message for `to`. Resolves once it is committed durably (only then may the sender be
   * told it was cached); rejects if it could not be stored. Keeps at most `maxPerUser` messages
   * per receiver: the oldest are dropped first. Messages of one receiver keep the order in which
   * `put` was called. Resolves with how many older messages were dropped to make room (their
   * senders had been told `cached`: the server counts them in /metrics).
   */
  put(appId: string, to: string, msg: OfflineMessage, maxPerUser: number): Promise<number>;
  /**
   * The receiver's messages stored at or after `notBefore` (ms since epoch), oldest first. Sees
   * every `put`/`remove` called before it (read-your-writes).
   */
  fetch(appId: string, uid: string, notBefore: number): Promise<OfflineMessage[]>;
  /** Removes messages the receiver acknowledged, by id; unknown ids are ignored. */
  remove(appId: string, uid: string, ids: string[]): Promise<void>;
  /** Deletes every message (all apps, all receivers) with `ts` before `before`; resolves with how many. */
  purge(before: number): Promise<number>;
  /** How many messages wait for the receiver (tests, operations). */
  count(appId: string, uid: string): Promise<number>;
  /**
   * Messages and bytes held for all receivers of `appId` (the per-app cap). Sees every `put`
   * whose promise resolved; may lag a few writes behind others in flight.
   */
  usage(appId: string): Promise<OfflineUsage>;
  /**
   * The per-sender cap: how many messages `from` had cached in its current window, a window of
   * `windowMs` that starts at the first message it counts. `add` counts one more first.
   */
  senderCount(appId: string, from: string, windowMs: number, add: boolean): Promise<number>;
  /**
   * `put` with an idempotency key, atomically (one SQLite transaction / one Redis script): when
   * this sender already sent a message with `key` to `to` (within `keyTtlMs`), nothing is stored
   * and the first send is returned as `prior`; else the message is stored with the key (`prior`
   * null) and `dropped` says how many older messages the cap dropped, as `put` resolves.
   * `remove` of the message marks its key acked. Resolves after the commit, as `put`.
   */
  putOnce(
    appId: string,
    to: string,
    msg: OfflineMessage,
    key: string,
    maxPerUser: number,
    keyTtlMs: number,
  ): Promise<PutOnceResult>;
  /** Forgets idempotency keys recorded before `before` (ms since epoch); resolves with how many. */
  purgeKeys(before: number): Promise<number>;
}
