/**
 * Where a live invitation is in its life on the server. Terminal outcomes (accepted, refused,
 * canceled, failed) are not phases: the record is removed by {@link InvitationStore.finish}.
 * - `SENT`: created; delivered (or waiting for the callee to log in); not acknowledged yet
 * - `RECEIVED`: the callee's SDK acknowledged it
 * - `ACCEPTING`: the callee accepted; waiting for the caller's SDK to confirm
 */
export type InvitationPhase = 'SENT' | 'RECEIVED' | 'ACCEPTING';

export const INVITATION_PHASES: readonly InvitationPhase[] = ['SENT', 'RECEIVED', 'ACCEPTING'];

/** One live call invitation, as the cluster sees it. */
export interface InvitationRecord {
  /** server-assigned, unique across the cluster */
  id: string;
  appId: string;
  caller: string;
  /** the caller's session that sent it; the invitation dies with that session */
  callerSessionId: string;
  callee: string;
  /** the callee's session that acknowledged it (null while SENT) */
  calleeSessionId: string | null;
  /** node that owns the invitation's timers (the caller's node) */
  ownerNode: string;
  content: string;
  channelId: string;
  phase: InvitationPhase;
  /** the callee's response once ACCEPTING, '' before */
  response: string;
  /** ms since epoch */
  createdAt: number;
  /** when the current phase times out, ms since epoch (the owner node acts on it) */
  deadline: number;
  /**
   * ms since epoch after which the store may drop the record on its own (Redis: key expiry), so an
   * invitation whose owner node died does not live forever. Always later than `deadline`.
   */
  keepUntil: number;
}

/** Conditions a record must meet for an update to apply (compare-and-set). */
export interface InvitationMatch {
  /** the record must be in one of these phases */
  phases: readonly InvitationPhase[];
  /** ...and, when given, have this caller / callee / caller session / callee session */
  caller?: string;
  callee?: string;
  callerSessionId?: string;
  calleeSessionId?: string;
}

/** Fields a phase change may set. */
export type InvitationPatch = Partial<
  Pick<InvitationRecord, 'phase' | 'calleeSessionId' | 'response' | 'deadline' | 'keepUntil'>
>;

/**
 * Store part: live call invitations. Every change is a compare-and-set on the record, so any node
 * may act on an invitation and exactly one of several concurrent actors wins (Redis: one Lua
 * script per call). Records are indexed by id and by both users (caller and callee).
 */
export interface InvitationStore {
  /** Adds a new invitation (its id is new). Resolves once visible to every node. */
  create(rec: InvitationRecord): Promise<void>;
  /** The live invitation with this id, or null (unknown, finished, or past `keepUntil`). */
  get(appId: string, id: string): Promise<InvitationRecord | null>;
  /**
   * Applies `patch` if the record matches `match`. Resolves the updated record, or null when the
   * record is gone or did not match (someone else moved it first).
   */
  advance(
    appId: string,
    id: string,
    match: InvitationMatch,
    patch: InvitationPatch,
  ): Promise<InvitationRecord | null>;
  /**
   * Removes the record if it matches `match` (the invitation reached an outcome). Resolves the
   * record as it was, or null when it was gone or did not match: only one finisher wins.
   */
  finish(appId: string, id: string, match: InvitationMatch): Promise<InvitationRecord | null>;
  /** Every live invitation in which `uid` is the caller or the callee, oldest first. */
  listForUser(appId: string, uid: string): Promise<InvitationRecord[]>;
}
