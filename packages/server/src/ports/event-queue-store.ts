/**
 * Store part: the user and channel events of each app waiting for a back-end to pull them through
 * Agora's REST API (`GET …/rtm/vendor/user_events`, `…/channel_events`). One bounded queue per app
 * and kind, cluster-wide; a read takes events out (Agora's reads are destructive).
 */
export type EventQueueKind = 'user' | 'channel';

/** One queued event, kind-neutral: `subject` is the uid (user events) or the channel id. */
export interface QueuedEvent {
  /** Login / Logout (user events), Join / Leave (channel events) */
  type: string;
  /** the user (user events) or the channel (channel events) */
  subject: string;
  /** channel events: the member who joined or left */
  uid?: string;
  /** when it happened, ms since epoch */
  ts: number;
}

export interface EventQueueStore {
  /** Queues one event; past `max` queued the oldest are dropped (resolves with how many). */
  push(appId: string, kind: EventQueueKind, event: QueuedEvent, max: number): Promise<number>;
  /** Takes out and returns up to `count` of the oldest events, atomically (no event read twice). */
  take(appId: string, kind: EventQueueKind, count: number): Promise<QueuedEvent[]>;
}
