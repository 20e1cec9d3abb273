import type { Store } from '../../ports/store.js';
import type { OfflineStore } from '../../ports/offline-store.js';
import { MemoryBus } from './memory-bus.js';
import { MemorySessionStore } from './memory-session-store.js';
import { MemoryPresenceStore } from './memory-presence-store.js';
import { MemoryUserAttrsStore } from './memory-user-attrs-store.js';
import { MemoryChannelStore } from './memory-channel-store.js';
import { MemoryChannelAttrsStore } from './memory-channel-attrs-store.js';
import { MemoryChannelHistoryStore } from './memory-channel-history-store.js';
import { MemoryInvitationStore } from './memory-invitation-store.js';
import { MemoryOfflineStore } from './memory-offline-store.js';
import { closeDatabase, openDatabase, type SqliteSync } from './sqlite/database.js';
import { SqliteOfflineStore } from './sqlite/sqlite-offline-store.js';
import { WriteBatcher } from './sqlite/write-batcher.js';

export { MemoryBus, MemorySessionStore };
export { DataDirError } from './sqlite/data-dir-error.js';
export { DB_FILE, type SqliteSync } from './sqlite/database.js';

export interface EmbeddedStoreOptions {
  /** directory of the SQLite database; null = everything in memory (tests), lost on exit */
  dataDir: string | null;
  /** SQLite commit durability (default 'normal': survives a process crash; 'full': also a power loss) */
  synchronous?: SqliteSync;
}

/**
 * The embedded adapter set: ephemeral state (sessions, presence, membership, attributes,
 * invitations) in process memory; durable data (offline inbox) in SQLite under `dataDir`.
 * Throws DataDirError when the data dir cannot be used, so start-up stops with its message.
 */
export function createEmbeddedStore(opts: EmbeddedStoreOptions): Store {
  const memory = {
    sessions: new MemorySessionStore(),
    presence: new MemoryPresenceStore(),
    userAttrs: new MemoryUserAttrsStore(),
    channels: new MemoryChannelStore(),
    channelAttrs: new MemoryChannelAttrsStore(),
    history: new MemoryChannelHistoryStore(),
    invitations: new MemoryInvitationStore(),
  };
  if (opts.dataDir === null) return { ...memory, offline: new MemoryOfflineStore(), async close() {} };

  const { db } = openDatabase(opts.dataDir, { synchronous: opts.synchronous });
  const writes = new WriteBatcher(db);
  const offline: OfflineStore = new SqliteOfflineStore(db, writes);
  let closed = false;
  return {
    ...memory,
    offline,
    async close() {
      if (closed) return;
      closed = true;
      writes.close();
      closeDatabase(db);
    },
  };
}
