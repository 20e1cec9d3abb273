import type { Store } from '../../ports/store.js';
import { MemoryBus } from './memory-bus.js';
import { MemorySessionStore } from './memory-session-store.js';

export { MemoryBus, MemorySessionStore };

/** The embedded adapter set: memory for ephemeral state (SQLite for durable data joins later). */
export function createEmbeddedStore(_opts: { dataDir: string | null }): Store {
  return {
    sessions: new MemorySessionStore(),
    async close() {},
  };
}
