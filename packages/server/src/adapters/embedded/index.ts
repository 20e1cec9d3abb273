import type { Logger } from '../../logger.js';
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
import { MemoryEventQueueStore } from './memory-event-queue-store.js';
import { MemoryMessageHistoryStore } from './memory-message-history-store.js';
import { closeDatabase, openDatabase, type SqliteSync } from './sqlite/database.js';
import { SqliteChannelHistoryStore } from './sqlite/sqlite-channel-history-store.js';
import { SqliteOfflineStore } from './sqlite/sqlite-offline-store.js';
import { SqliteMessageHistoryStore } from './sqlite/sqlite-message-history-store.js';
import { WriteBatcher } from './sqlite/write-batcher.js';
import { FileMediaStore } from './sqlite/file-media-store.js';
import { MemoryMediaStore } from '../media/memory-media-store.js';

export { MemoryBus, MemorySessionStore };
export { MemoryNodeRegistry } from './memory-node-registry.js';
export { DataDirError } from './sqlite/data-dir-error.js';
export { DB_FILE, type SqliteSync } from './sqlite/database.js';

export interface EmbeddedStoreOptions {
  /** directory of the SQLite database; null = everything in memory (tests), lost on exit */
  dataDir: string | null;
  /** SQLite commit durability (default 'normal': survives a process crash; 'full': also a power loss) */
  synchronous?: SqliteSync;
  /** where to say which database is in use and which migrations ran */
  log?: Logger;
}

/**
 * The embedded adapter set: ephemeral state (sessions, presence, membership, attributes,
 * invitations) in process memory; durable data (offline inbox, channel history, message history,
 * media metadata) in SQLite under `dataDir` (media bytes in files beside it), one file, writes of
 * a tick batched into one transaction.
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
    events: new MemoryEventQueueStore(),
  };
  if (opts.dataDir === null)
    return {
      ...memory,
      offline: new MemoryOfflineStore(),
      messageHistory: new MemoryMessageHistoryStore(),
      media: new MemoryMediaStore(),
      async close() {},
    };

  if (opts.synchronous !== undefined && opts.synchronous !== 'normal' && opts.synchronous !== 'full')
    throw new Error(`sqliteSync must be 'normal' or 'full', got ${JSON.stringify(opts.synchronous)}`);
  const { db, file, schema } = openDatabase(opts.dataDir, { synchronous: opts.synchronous });
  if (schema.from !== schema.to && schema.from > 0)
    opts.log?.info({ file, from: schema.from, to: schema.to }, 'storage schema migrated');
  opts.log?.info(
    { file, schema: schema.to, synchronous: opts.synchronous ?? 'normal' },
    'storage: SQLite (WAL)',
  );
  const writes = new WriteBatcher(db);
  const offline: OfflineStore = new SqliteOfflineStore(db, writes);
  const history = new SqliteChannelHistoryStore(db);
  const media = new FileMediaStore(db, opts.dataDir);
  let closed = false;
  return {
    ...memory,
    history,
    offline,
    messageHistory: new SqliteMessageHistoryStore(db, writes),
    media,
    async close() {
      if (closed) return;
      closed = true;
      writes.close();
      history.close();
      closeDatabase(db);
    },
  };
}
