import type { OfflineStore } from '../../ports/offline-store.js';

/** OfflineStore in process memory. */
export class MemoryOfflineStore implements OfflineStore {}
