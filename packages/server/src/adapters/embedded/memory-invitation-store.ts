import type { InvitationStore } from '../../ports/invitation-store.js';

/** InvitationStore in process memory. */
export class MemoryInvitationStore implements InvitationStore {}
