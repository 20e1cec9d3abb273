import type { ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Bus } from '../ports/bus.js';
import type { Store } from '../ports/store.js';
import { MemoryBus, createEmbeddedStore } from './embedded/index.js';

/** Picks the adapter set from config: embedded by default, Redis with `--redis`. */
export async function createAdapters(config: ServerConfig, _log: Logger): Promise<{ store: Store; bus: Bus }> {
  if (config.redisUrl) throw new Error('cluster mode (--redis) is not available yet');
  return { store: createEmbeddedStore({ dataDir: config.dataDir }), bus: new MemoryBus() };
}
