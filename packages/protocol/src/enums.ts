/** RTM 1.x string enums (value === key), exactly as agora-rtm-sdk 1.5.x exports them. */
function keys<const K extends string>(...k: K[]): { readonly [P in K]: P } {
  return Object.freeze(Object.fromEntries(k.map((x) => [x, x]))) as { readonly [P in K]: P };
}

export const ConnectionState = keys('DISCONNECTED', 'CONNECTING', 'CONNECTED', 'RECONNECTING', 'ABORTED');
export type ConnectionState = keyof typeof ConnectionState;

export const ConnectionChangeReason = keys(
  'LOGIN',
  'LOGIN_SUCCESS',
  'LOGIN_FAILURE',
  'LOGIN_TIMEOUT',
  'INTERRUPTED',
  'LOGOUT',
  'BANNED_BY_SERVER',
  'REMOTE_LOGIN',
  'TOKEN_EXPIRED',
);
export type ConnectionChangeReason = keyof typeof ConnectionChangeReason;

export const PeerOnlineState = keys('ONLINE', 'UNREACHABLE', 'OFFLINE');
export type PeerOnlineState = keyof typeof PeerOnlineState;

export const PeerSubscriptionOption = keys('ONLINE_STATUS');
export type PeerSubscriptionOption = keyof typeof PeerSubscriptionOption;

/** IMAGE and FILE: agora-rtm-sdk 1.4.x media messages (docs/media.md). */
export const MessageType = keys('TEXT', 'RAW', 'IMAGE', 'FILE');
export type MessageType = keyof typeof MessageType;

export const LocalInvitationState = keys(
  'IDLE',
  'SENT_TO_REMOTE',
  'RECEIVED_BY_REMOTE',
  'ACCEPTED_BY_REMOTE',
  'REFUSED_BY_REMOTE',
  'CANCELED',
  'FAILURE',
);
export type LocalInvitationState = keyof typeof LocalInvitationState;

export const RemoteInvitationState = keys(
  'INVITATION_RECEIVED',
  'ACCEPT_SENT_TO_LOCAL',
  'REFUSED',
  'ACCEPTED',
  'CANCELED',
  'FAILURE',
);
export type RemoteInvitationState = keyof typeof RemoteInvitationState;

export const LocalInvitationFailureReason = keys(
  'UNKNOWN',
  'PEER_NO_RESPONSE',
  'INVITATION_EXPIRE',
  'PEER_OFFLINE',
  'NOT_LOGGEDIN',
);
export type LocalInvitationFailureReason = keyof typeof LocalInvitationFailureReason;

export const RemoteInvitationFailureReason = keys(
  'UNKNOWN',
  'PEER_OFFLINE',
  'ACCEPT_FAILURE',
  'INVITATION_EXPIRE',
);
export type RemoteInvitationFailureReason = keyof typeof RemoteInvitationFailureReason;

/** Why the server ended a session (Op.SessionEnded body.reason). */
export const SessionEndReason = keys(
  'REMOTE_LOGIN',
  'TOKEN_EXPIRED',
  'BANNED_BY_SERVER',
  'SERVER_SHUTDOWN',
  'LOGOUT',
);
export type SessionEndReason = keyof typeof SessionEndReason;
