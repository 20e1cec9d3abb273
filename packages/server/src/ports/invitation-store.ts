/** Store part: call invitations and their state. (Filled in by its feature.) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the feature that owns it
export interface InvitationStore {}
