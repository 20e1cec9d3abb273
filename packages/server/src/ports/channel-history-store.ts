/** Store part: recent channel messages for resumed/re-logged sessions. (Filled in by its feature.) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature that owns it
export interface ChannelHistoryStore {}
