import type { PresenceStore } from '../../ports/presence-store.js';

/** PresenceStore in process memory. */
export class MemoryPresenceStore implements PresenceStore {}
