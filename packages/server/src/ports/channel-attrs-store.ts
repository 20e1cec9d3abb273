/** Store part: channel attributes. (Filled in by its feature.) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature that owns it
export interface ChannelAttrsStore {}
