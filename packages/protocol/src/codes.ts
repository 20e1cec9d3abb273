/**
 * Agora RTM 1.x numeric error codes, grouped per operation as the Web SDK's `RtmErrorCode`
 * namespace does. A response's `code` is one of its operation's group (0 = ok), so the SDK
 * maps it without guessing. Values never change; retired values are never reused.
 */
export const LoginError = {
  UNKNOWN: 1,
  REJECTED: 2,
  INVALID_ARGUMENT: 3,
  INVALID_APP_ID: 4,
  INVALID_TOKEN: 5,
  TOKEN_EXPIRED: 6,
  NOT_AUTHORIZED: 7,
  ALREADY_LOGIN: 8,
  TIMEOUT: 9,
  TOO_OFTEN: 10,
  ABORTED_BY_LOGOUT: 201,
} as const;
export const LogoutError = { REJECTED: 1, USER_NOT_LOGGED_IN: 102 } as const;
export const PeerMessageError = {
  FAILURE: 1,
  TIMEOUT: 2,
  PEER_UNREACHABLE: 3,
  CACHED_BY_SERVER: 4,
  TOO_OFTEN: 5,
  INVALID_USERID: 6,
  INVALID_MESSAGE: 7,
  INCOMPATIBLE_MESSAGE: 8,
  USER_NOT_LOGGED_IN: 102,
} as const;
export const ChannelMessageError = {
  FAILURE: 1,
  TIMEOUT: 2,
  TOO_OFTEN: 3,
  INVALID_MESSAGE: 4,
  NOT_IN_CHANNEL: 5,
  USER_NOT_LOGGED_IN: 102,
} as const;
export const JoinChannelError = {
  FAILURE: 1,
  REJECTED: 2,
  INVALID_ARGUMENT: 3,
  TIMEOUT: 4,
  EXCEED_LIMIT: 5,
  ALREADY_JOINED: 6,
  TOO_OFTEN: 7,
  JOIN_SAME_CHANNEL_TOO_OFTEN: 8,
  USER_NOT_LOGGED_IN: 102,
  ABORTED_BY_LEAVE: 201,
  ALREADY_JOINED_CHANNEL_OF_SAME_ID: 202,
} as const;
export const LeaveChannelError = {
  FAILURE: 1,
  REJECTED: 2,
  NOT_IN_CHANNEL: 3,
  KICKED: 4,
  USER_NOT_LOGGED_IN: 102,
} as const;
export const GetMembersError = {
  FAILURE: 1,
  REJECTED: 2,
  TIMEOUT: 3,
  TOO_OFTEN: 4,
  NOT_IN_CHANNEL: 5,
  USER_NOT_LOGGED_IN: 102,
} as const;
export const QueryPeersOnlineStatusError = {
  FAILURE: 1,
  INVALID_ARGUMENT: 2,
  REJECTED: 3,
  TIMEOUT: 4,
  TOO_OFTEN: 5,
  USER_NOT_LOGGED_IN: 102,
} as const;
export const RenewTokenError = {
  FAILURE: 1,
  INVALID_ARGUMENT: 2,
  REJECTED: 3,
  TOO_OFTEN: 4,
  TOKEN_EXPIRED: 5,
  INVALID_TOKEN: 6,
  USER_NOT_LOGGED_IN: 102,
  ABORTED_BY_LOGOUT: 201,
} as const;
export const AttributeOperationError = {
  FAILURE: 2,
  INVALID_ARGUMENT: 3,
  SIZE_OVERFLOW: 4,
  TOO_OFTEN: 5,
  USER_NOT_FOUND: 6,
  TIMEOUT: 7,
  USER_NOT_LOGGED_IN: 102,
} as const;
export const GetChannelMemberCountError = {
  FAILURE: 1,
  INVALID_ARGUMENT: 2,
  TOO_OFTEN: 3,
  TIMEOUT: 4,
  EXCEED_LIMIT: 5,
  NOT_INITIALIZED: 101,
  USER_NOT_LOGGED_IN: 102,
} as const;
export const PeerSubscriptionStatusError = {
  FAILURE: 1,
  INVALID_ARGUMENT: 2,
  REJECTED: 3,
  TIMEOUT: 4,
  TOO_OFTEN: 5,
  OVERFLOW: 6,
  USER_NOT_LOGGED_IN: 102,
} as const;
export const QueryPeersBySubscriptionOptionError = {
  FAILURE: 1,
  TIMEOUT: 2,
  TOO_OFTEN: 3,
  USER_NOT_LOGGED_IN: 102,
} as const;
export const InvitationApiCallError = {
  INVALID_ARGUMENT: 1,
  NOT_STARTED: 2,
  ALREADY_END: 3,
  ALREADY_ACCEPT: 4,
  ALREADY_SENT: 5,
} as const;
/** 1.4.x createMediaMessageByUploading (UploadMediaError) */
export const UploadMediaError = {
  FAILURE: 1,
  INVALID_ARGUMENT: 2,
  TIMEOUT: 3,
  SIZE_OVERFLOW: 4,
  CONCURRENCY_LIMIT_EXCEEDED: 5,
  INTERRUPTED: 6,
  NOT_INITIALIZED: 101,
  NOT_LOGGED_IN: 102,
} as const;
/** 1.4.x downloadMedia (DownloadMediaError): as the upload's, but 4 is NOT_EXIST */
export const DownloadMediaError = {
  FAILURE: 1,
  INVALID_ARGUMENT: 2,
  TIMEOUT: 3,
  NOT_EXIST: 4,
  CONCURRENCY_LIMIT_EXCEEDED: 5,
  INTERRUPTED: 6,
  NOT_INITIALIZED: 101,
  NOT_LOGGED_IN: 102,
} as const;
export const CreateInstanceError = { INVALID_ARGUMENT: 1 } as const;
export const CreateChannelError = { INVALID_ARGUMENT: 1 } as const;

/** Code 102 means "not logged in" in every group that has it. */
export const NOT_LOGGED_IN = 102;

/**
 * Protocol errors (Op.ProtocolError events and the response code of a request the server could
 * not even parse). Kept above 1000 so they never collide with an Agora code.
 */
export const ProtocolErrorCode = {
  /** frame is not valid MessagePack */
  MALFORMED_FRAME: 1001,
  /** value decoded but is not a request/event tuple */
  BAD_SHAPE: 1002,
  /** op unknown to this server */
  UNKNOWN_OP: 1003,
  /** body fields have the wrong types */
  BAD_BODY: 1004,
  /** frame larger than the limit */
  FRAME_TOO_LARGE: 1005,
  /** the first request was not Login/Resume, or a request came before login completed */
  NOT_LOGGED_IN: 1006,
  /** unsupported protocol version */
  BAD_VERSION: 1007,
  /** too many requests in flight on this socket */
  TOO_MANY_PENDING: 1008,
  /** internal server error while handling the request (logged server-side) */
  INTERNAL: 1009,
} as const;
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/**
 * WebSocket close codes the server uses. The SDK's reconnect policy reads `CLOSE_POLICY`:
 * terminal codes move it to ABORTED/DISCONNECTED, the others to RECONNECTING.
 */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  /** too many protocol errors */
  PROTOCOL_ABUSE: 4000,
  /** frame over the size limit */
  FRAME_TOO_LARGE: 4001,
  /** the same uid logged in elsewhere */
  REMOTE_LOGIN: 4002,
  /** the session's token expired */
  TOKEN_EXPIRED: 4003,
  /** the consumer could not keep up; its queue overflowed */
  SLOW_CONSUMER: 4004,
  /** no heartbeat within the timeout */
  HEARTBEAT_TIMEOUT: 4005,
  /** logged out */
  LOGGED_OUT: 4006,
  /** login not completed in time */
  LOGIN_TIMEOUT: 4007,
  /** banned by the server */
  BANNED: 4008,
  /** too many requests: over the socket's request budget, or too many refused by limits */
  REQUEST_FLOOD: 4009,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** What the SDK does after each close code: reconnect (and try to resume) or stop. */
export const CLOSE_POLICY: Record<number, 'reconnect' | 'terminal'> = {
  [CloseCode.NORMAL]: 'reconnect',
  [CloseCode.GOING_AWAY]: 'reconnect',
  [CloseCode.PROTOCOL_ABUSE]: 'reconnect',
  [CloseCode.FRAME_TOO_LARGE]: 'reconnect',
  [CloseCode.REMOTE_LOGIN]: 'terminal',
  [CloseCode.TOKEN_EXPIRED]: 'terminal',
  [CloseCode.SLOW_CONSUMER]: 'reconnect',
  [CloseCode.HEARTBEAT_TIMEOUT]: 'reconnect',
  [CloseCode.LOGGED_OUT]: 'terminal',
  [CloseCode.LOGIN_TIMEOUT]: 'reconnect',
  [CloseCode.BANNED]: 'terminal',
  // The SDK comes back after its backoff; a client that floods again is closed again.
  [CloseCode.REQUEST_FLOOD]: 'reconnect',
};
