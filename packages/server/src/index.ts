export { createServer, type ParleyServer, type ServerDeps } from './server.js';
export { DEFAULT_CONFIG, resolveConfig, type ServerConfig, type AppConfig } from './config.js';
export type { Store } from './ports/store.js';
export type { Bus } from './ports/bus.js';
export type { SessionStore, SessionRecord } from './ports/session-store.js';
export { MemoryBus, MemorySessionStore } from './adapters/embedded/index.js';
