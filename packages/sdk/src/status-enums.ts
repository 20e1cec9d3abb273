import type * as P from '@parley/protocol';

/*
 * agora-rtm-sdk 1.5.x declares its status codes (`RtmStatusCode.*`) as TypeScript string enums,
 * and TypeScript relates two enums only by name and members: a string union is never assignable
 * to them. So the SDK's public types (invitation `state`, listener arguments) use real enums with
 * agora-rtm-sdk's names, members and values, which makes Parley's objects assignable where its
 * `RtmClient`, `RtmChannel`, `LocalInvitation`, `RemoteInvitation` are expected. Inside the SDK
 * and on the wire they stay the protocol's strings: each value equals its key, as in Agora's.
 */

export enum ConnectionState {
  DISCONNECTED = 'DISCONNECTED',
  CONNECTING = 'CONNECTING',
  CONNECTED = 'CONNECTED',
  RECONNECTING = 'RECONNECTING',
  ABORTED = 'ABORTED',
}
export enum ConnectionChangeReason {
  LOGIN = 'LOGIN',
  LOGIN_SUCCESS = 'LOGIN_SUCCESS',
  LOGIN_FAILURE = 'LOGIN_FAILURE',
  LOGIN_TIMEOUT = 'LOGIN_TIMEOUT',
  INTERRUPTED = 'INTERRUPTED',
  LOGOUT = 'LOGOUT',
  BANNED_BY_SERVER = 'BANNED_BY_SERVER',
  REMOTE_LOGIN = 'REMOTE_LOGIN',
  TOKEN_EXPIRED = 'TOKEN_EXPIRED',
}
export enum PeerOnlineState {
  ONLINE = 'ONLINE',
  UNREACHABLE = 'UNREACHABLE',
  OFFLINE = 'OFFLINE',
}
export enum PeerSubscriptionOption {
  ONLINE_STATUS = 'ONLINE_STATUS',
}
export enum MessageType {
  TEXT = 'TEXT',
  RAW = 'RAW',
  /** 1.4.x image message (createMediaMessageByUploading) */
  IMAGE = 'IMAGE',
  /** 1.4.x file message */
  FILE = 'FILE',
}
export enum LocalInvitationState {
  IDLE = 'IDLE',
  SENT_TO_REMOTE = 'SENT_TO_REMOTE',
  RECEIVED_BY_REMOTE = 'RECEIVED_BY_REMOTE',
  ACCEPTED_BY_REMOTE = 'ACCEPTED_BY_REMOTE',
  REFUSED_BY_REMOTE = 'REFUSED_BY_REMOTE',
  CANCELED = 'CANCELED',
  FAILURE = 'FAILURE',
}
export enum RemoteInvitationState {
  INVITATION_RECEIVED = 'INVITATION_RECEIVED',
  ACCEPT_SENT_TO_LOCAL = 'ACCEPT_SENT_TO_LOCAL',
  REFUSED = 'REFUSED',
  ACCEPTED = 'ACCEPTED',
  CANCELED = 'CANCELED',
  FAILURE = 'FAILURE',
}
export enum LocalInvitationFailureReason {
  UNKNOWN = 'UNKNOWN',
  PEER_NO_RESPONSE = 'PEER_NO_RESPONSE',
  INVITATION_EXPIRE = 'INVITATION_EXPIRE',
  PEER_OFFLINE = 'PEER_OFFLINE',
  NOT_LOGGEDIN = 'NOT_LOGGEDIN',
}
export enum RemoteInvitationFailureReason {
  UNKNOWN = 'UNKNOWN',
  PEER_OFFLINE = 'PEER_OFFLINE',
  ACCEPT_FAILURE = 'ACCEPT_FAILURE',
  INVITATION_EXPIRE = 'INVITATION_EXPIRE',
}
for (const e of [
  ConnectionState,
  ConnectionChangeReason,
  PeerOnlineState,
  PeerSubscriptionOption,
  MessageType,
  LocalInvitationState,
  RemoteInvitationState,
  LocalInvitationFailureReason,
  RemoteInvitationFailureReason,
])
  Object.freeze(e);

// Each enum lists exactly the protocol's values: this fails to compile if either side changes.
type Same<A extends string, B extends string> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
true satisfies Same<`${ConnectionState}`, P.ConnectionState>;
true satisfies Same<`${ConnectionChangeReason}`, P.ConnectionChangeReason>;
true satisfies Same<`${PeerOnlineState}`, P.PeerOnlineState>;
true satisfies Same<`${PeerSubscriptionOption}`, P.PeerSubscriptionOption>;
true satisfies Same<`${MessageType}`, P.MessageType>;
true satisfies Same<`${LocalInvitationState}`, P.LocalInvitationState>;
true satisfies Same<`${RemoteInvitationState}`, P.RemoteInvitationState>;
true satisfies Same<`${LocalInvitationFailureReason}`, P.LocalInvitationFailureReason>;
true satisfies Same<`${RemoteInvitationFailureReason}`, P.RemoteInvitationFailureReason>;

/**
 * A protocol string as the enum member of the same value (a no-op at run time): the string of
 * one of the enums above, typed as that enum.
 */
export function asEnum<E extends string>(value: `${E}`): E {
  return value as unknown as E;
}
