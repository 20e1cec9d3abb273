/** Store part: offline peer messages (durable in SQLite). (Filled in by its feature.) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature that owns it
export interface OfflineStore {}
