/** Store part: online-status subscriptions (who watches whom). (Filled in by its feature.) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature that owns it
export interface PresenceStore {}
