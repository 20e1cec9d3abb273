/**
 * Operation codes of the Parley wire protocol. Ranges are reserved per capability so each
 * feature owns its numbers; retired values are never reused.
 *
 * Client → server requests `[op, reqId, body]`, server → client responses `[0, reqId, code, body]`,
 * events (either direction) `[op, body]`.
 */
export const Op = {
  Response: 0,

  // session 1–9
  Login: 1,
  Logout: 2,
  RenewToken: 3,
  Ping: 4,
  Resume: 5,
  /** server → client: the session ended by the server ({ reason }) */
  SessionEnded: 6,
  /** server → client: the token expires in ≤ 30 s */
  TokenWillExpire: 7,
  /** server → client: a protocol error ({ code, message }) */
  ProtocolError: 8,

  // peer messages 10–19
  PeerSend: 10,
  /** server → client event: a peer message */
  PeerMessage: 11,
  /** client → server event: the SDK received a PeerMessage ({ id }) */
  PeerAck: 12,

  // presence 20–29
  QueryPeersOnline: 20,
  SubscribePeers: 21,
  UnsubscribePeers: 22,
  /** server → client event: { ids: string[], states: PeerOnlineState[] } (PeersStatusEvent) */
  PeersStatus: 23,

  // user attributes 30–39
  SetUserAttrs: 30,
  AddOrUpdateUserAttrs: 31,
  DeleteUserAttrs: 32,
  ClearUserAttrs: 33,
  GetUserAttrs: 34,
  GetUserAttrsByKeys: 35,

  // channels 40–49
  Join: 40,
  Leave: 41,
  ChannelSend: 42,
  GetMembers: 43,
  GetMemberCount: 44,
  ChannelMessage: 45,
  MemberJoined: 46,
  MemberLeft: 47,
  MemberCountUpdated: 48,
  AttributesUpdated: 49,

  // channel attributes 50–59
  SetChannelAttrs: 50,
  AddOrUpdateChannelAttrs: 51,
  DeleteChannelAttrs: 52,
  ClearChannelAttrs: 53,
  GetChannelAttrs: 54,
  GetChannelAttrsByKeys: 55,

  // invitations 60–79 (defined in invitation.ts of this package by the invitations feature)

  // media 80–89 (MediaOp in media.ts)

  // signaling-only 100–119 (defined by the signaling facade)
} as const;
export type Op = (typeof Op)[keyof typeof Op];

/** Protocol version carried by Login/Resume; the server refuses versions it does not speak. */
export const PROTOCOL_VERSION = 1;
