import type { ChannelHistoryStore } from '../../ports/channel-history-store.js';

/** ChannelHistoryStore in process memory. */
export class MemoryChannelHistoryStore implements ChannelHistoryStore {}
