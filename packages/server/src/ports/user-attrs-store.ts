/** Store part: user attributes, tied to the session. (Filled in by its feature.) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature that owns it
export interface UserAttrsStore {}
