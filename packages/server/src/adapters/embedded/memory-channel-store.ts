import type { ChannelStore } from '../../ports/channel-store.js';

/** ChannelStore in process memory. */
export class MemoryChannelStore implements ChannelStore {}
