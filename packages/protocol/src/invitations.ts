import type { LocalInvitationFailureReason, RemoteInvitationFailureReason } from './enums.js';

/**
 * Call invitations, ops 60–79 (docs/protocol.md "Call invitations", docs/invitations.md).
 *
 * The server owns every invitation's state and assigns its `id`; both clients only mirror it.
 * Requests 60–69 (response codes from `InvitationApiCallError`), server → client events 70–79.
 */
export const InvitationOp = {
  /** caller: `{ to, content, channelId }` → `{ id }` */
  Send: 60,
  /** caller: `{ id, content }` → `null` (3 = already ended) */
  Cancel: 61,
  /** callee: `{ id, response }` → `null` (3 = already ended, 4 = accept in progress) */
  Accept: 62,
  /** callee: `{ id, response }` → `null` (3 = already ended, 4 = accept in progress) */
  Refuse: 63,
  /** callee's SDK got `Received`: `{ id }` → `null` */
  ReceivedAck: 64,
  /** caller's SDK got `Accepted` and emitted it: `{ id }` → `null` (3 = too late) */
  AcceptAck: 65,

  /** → callee: a new invitation ({@link InvitationReceivedEvent}); the SDK answers `ReceivedAck` */
  Received: 70,
  /** → caller: the callee's SDK has it (`{ id }`) */
  ReceivedByPeer: 71,
  /** → caller: accepted (`{ id, response }`); the SDK answers `AcceptAck` */
  Accepted: 72,
  /** → caller: refused (`{ id, response }`) */
  Refused: 73,
  /** → callee: canceled by the caller (`{ id, content }`) */
  Canceled: 74,
  /** → caller: the invitation failed (`{ id, reason }`) */
  LocalFailure: 75,
  /** → callee: the invitation failed (`{ id, reason }`) */
  RemoteFailure: 76,
  /** → callee: the caller confirmed the accept (`{ id }`) */
  AcceptConfirmed: 77,
} as const;
export type InvitationOp = (typeof InvitationOp)[keyof typeof InvitationOp];

export interface InvitationSendRequest {
  /** callee uid */
  to: string;
  /** ≤ limits.invitationContentBytes UTF-8 bytes */
  content: string;
  /** '' or a valid channel id */
  channelId: string;
}
export interface InvitationSendResponse {
  /** server-assigned, unique across the cluster */
  id: string;
}
export interface InvitationCancelRequest {
  id: string;
  /** the caller's content at cancel time, passed to the callee */
  content: string;
}
export interface InvitationAnswerRequest {
  id: string;
  /** ≤ limits.invitationContentBytes UTF-8 bytes */
  response: string;
}
export interface InvitationIdBody {
  id: string;
}

export interface InvitationReceivedEvent {
  id: string;
  /** caller uid */
  from: string;
  content: string;
  channelId: string;
}
export interface InvitationAnsweredEvent {
  id: string;
  response: string;
}
export interface InvitationCanceledEvent {
  id: string;
  content: string;
}
export interface InvitationLocalFailureEvent {
  id: string;
  reason: LocalInvitationFailureReason;
}
export interface InvitationRemoteFailureEvent {
  id: string;
  reason: RemoteInvitationFailureReason;
}
