import type { ChannelAttrsStore } from '../../ports/channel-attrs-store.js';

/** ChannelAttrsStore in process memory. */
export class MemoryChannelAttrsStore implements ChannelAttrsStore {}
