/** One channel attribute with who set it and when (agora-rtm-sdk ChannelAttributeProperties). */
export interface ChannelAttribute {
  key: string;
  value: string;
  lastUpdateUserId: string;
  /** ms since epoch */
  lastUpdateTs: number;
}

/** Limits a merged attribute set must stay within (Limits.channelAttrs). */
export interface ChannelAttrTotals {
  maxPairs: number;
  /** Σ UTF-8 bytes of keys and values */
  maxTotalBytes: number;
}

/**
 * Store part: channel attributes, per (app, channel), readable and writable by any logged-in user.
 * Every write resolves with the channel's full attribute set after it (what `AttributesUpdated`
 * carries), so notifying members needs no second read. Writes to one channel are atomic.
 */
export interface ChannelAttrsStore {
  /** Replaces the whole set with `attrs` (an empty list clears it). */
  replace(appId: string, channelId: string, attrs: ChannelAttribute[]): Promise<ChannelAttribute[]>;
  /**
   * Adds or updates `attrs`, keeping the other keys. If the merged set would exceed `limits`,
   * nothing changes and it resolves `'overflow'`.
   */
  upsert(
    appId: string,
    channelId: string,
    attrs: ChannelAttribute[],
    limits: ChannelAttrTotals,
  ): Promise<ChannelAttribute[] | 'overflow'>;
  /** Deletes `keys` (missing keys are ignored). */
  remove(appId: string, channelId: string, keys: readonly string[]): Promise<ChannelAttribute[]>;
  /** The channel's attributes (empty if none). */
  get(appId: string, channelId: string): Promise<ChannelAttribute[]>;
  /** The attributes among `keys` that exist. */
  getByKeys(appId: string, channelId: string, keys: readonly string[]): Promise<ChannelAttribute[]>;
  /**
   * Drops the channel's attributes at `at` (ms since epoch) unless `cancelDrop` comes first: the
   * channel has no members. An earlier scheduled drop is kept; without attributes it is a no-op.
   */
  scheduleDrop(appId: string, channelId: string, at: number): Promise<void>;
  /** Cancels a scheduled drop: the channel has members again. */
  cancelDrop(appId: string, channelId: string): Promise<void>;
  /**
   * Bytes (Σ UTF-8 of keys and values) of the attributes held on the app's channels that have a
   * drop scheduled, i.e. channels without members (the per-app cap). Drops that came due are
   * taken off within about a second.
   */
  emptyBytes(appId: string): Promise<number>;
}
