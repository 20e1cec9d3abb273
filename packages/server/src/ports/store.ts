import type { SessionStore } from './session-store.js';

/**
 * Store: state and durable data, split per capability so each feature owns its part and each
 * adapter (embedded, redis) implements every part. Features receive the whole Store.
 */
export interface Store {
  sessions: SessionStore;
  /** Flushes pending writes and releases resources. */
  close(): Promise<void>;
}
