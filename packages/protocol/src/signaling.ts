import { RATE_LIMITS } from './limits.js';
import type { AttrPair } from './user-attrs.js';

/**
 * The legacy Signaling facade (`@parley/signaling`), ops 100–119 (docs/signaling.md,
 * docs/protocol.md "Signaling"). Everything RTM ops already express (peer status, user
 * attributes, channel messages, leave, invitations) travels on the RTM ops, so the two kinds of
 * client meet on the same server state; these ops carry only what Signaling does differently.
 *
 * Response codes of these ops are Signaling's own (`SignalingCode`, spec signaling-api.md §5),
 * never a 1000-range code except `GENERAL_E_WRONG_PARAM` (1004) and `GENERAL_E_LARGE_PARAM`
 * (1005), which mean what the protocol errors of the same numbers mean.
 */
export const SignalingOp = {
  /** `{ to, text }` → `{ id, ts }`: answered as soon as the server has the message (Signaling semantics) */
  PeerSend: 100,
  /** `{ channelId, since? }` → `{ ts, left, members, attrs }`: leaves the previous channel, joins, lists */
  Join: 101,
  /** `{ channelId, text }` → `{ id, ts }`: to every member, the sender need not be one */
  ChannelSendForce: 102,
  /** `{ channelId, type, name?, value? }` → `null`: a typed channel-attribute change, notified to members */
  ChannelAttr: 103,
  /** `{ channelId }` → `{ num }` */
  QueryUserNum: 104,
  /** `{ channelId, account }` → `{ isIn }` */
  QueryUserIsIn: 105,
  /** `{ channelId, max? }` → `{ num, list }`: the latest `max` (default 200) members */
  QueryUserList: 106,
  /** `{ to, channelId, extra, requireOnline?, timeoutMs? }` → `{ id }`: an invitation with Signaling's options */
  Invite: 107,
  /** callee: `{ id, extra }` → `null`: ends an invitation it has not answered (Signaling's channelInviteEnd) */
  InviteEnd: 108,
  /** `{ to, channelId, msgType, msgData, extra }` → `null`: an in-call message (DTMF) */
  InviteMsg: 109,

  /** → Signaling members: `{ channelId, name, value, type }` ({@link SigChannelAttrEvent}) */
  ChannelAttrUpdated: 110,
  /** → caller: the callee ended the invitation before answering (`{ id, extra }`); RTM callers get `Refused` */
  InviteEnded: 111,
  /** → peer: an in-call message ({@link SigInviteMsgEvent}) */
  InviteMsgReceived: 112,
} as const;
export type SignalingOp = (typeof SignalingOp)[keyof typeof SignalingOp];

/** Signaling error codes (`IAgoraAPI.ECODE_*`, spec signaling-api.md §5), exact values. */
export const SignalingCode = {
  SUCCESS: 0,
  LOGOUT_E_OTHER: 100,
  LOGOUT_E_USER: 101,
  LOGOUT_E_NET: 102,
  LOGOUT_E_KICKED: 103,
  LOGOUT_E_PACKET: 104,
  LOGOUT_E_TOKENEXPIRED: 105,
  LOGOUT_E_OLDVERSION: 106,
  LOGOUT_E_TOKENWRONG: 107,
  LOGOUT_E_ALREADY_LOGOUT: 108,
  LOGIN_E_OTHER: 200,
  LOGIN_E_NET: 201,
  LOGIN_E_FAILED: 202,
  LOGIN_E_CANCEL: 203,
  LOGIN_E_TOKENEXPIRED: 204,
  LOGIN_E_OLDVERSION: 205,
  LOGIN_E_TOKENWRONG: 206,
  LOGIN_E_TOKEN_KICKED: 207,
  LOGIN_E_ALREADY_LOGIN: 208,
  LOGIN_E_INVALID_USER: 209,
  JOINCHANNEL_E_OTHER: 300,
  SENDMESSAGE_E_OTHER: 400,
  SENDMESSAGE_E_TIMEOUT: 401,
  QUERYUSERNUM_E_OTHER: 500,
  QUERYUSERNUM_E_TIMEOUT: 501,
  QUERYUSERNUM_E_BYUSER: 502,
  LEAVECHANNEL_E_OTHER: 600,
  LEAVECHANNEL_E_KICKED: 601,
  LEAVECHANNEL_E_BYUSER: 602,
  LEAVECHANNEL_E_LOGOUT: 603,
  LEAVECHANNEL_E_DISCONN: 604,
  INVITE_E_OTHER: 700,
  INVITE_E_REINVITE: 701,
  INVITE_E_NET: 702,
  INVITE_E_PEEROFFLINE: 703,
  INVITE_E_TIMEOUT: 704,
  INVITE_E_CANTRECV: 705,
  GENERAL_E: 1000,
  GENERAL_E_FAILED: 1001,
  GENERAL_E_UNKNOWN: 1002,
  GENERAL_E_NOT_LOGIN: 1003,
  GENERAL_E_WRONG_PARAM: 1004,
  GENERAL_E_LARGE_PARAM: 1005,
} as const;
export type SignalingCode = (typeof SignalingCode)[keyof typeof SignalingCode];

/** Type of a channel-attribute change, as Signaling's onChannelAttrUpdated reports it. */
export type SigAttrChange = 'update' | 'del' | 'clear';

export interface SigPeerSendRequest {
  to: string;
  text: string;
  /** idempotency key, as PeerSendRequest.key */
  key?: string;
  /** enableHistoricalMessaging, as PeerSendRequest.historical */
  historical?: boolean;
}
export interface SigSendResponse {
  id: string;
  ts: number;
}

export interface SigJoinRequest {
  channelId: string;
  /** as Op.Join's `since`: the SDK rejoins after its session was lost */
  since?: { id: string | null; ts: number } | null;
}
export interface SigJoinResponse {
  /** server time of the join, ms */
  ts: number;
  /** the channel this session was in and left to join this one (one channel at a time), or null */
  left: string | null;
  /** the latest members (≤ SIG_USER_LIST_MAX), the joiner included */
  members: string[];
  /** the channel's attributes at the join */
  attrs: AttrPair[];
}
/** Body of a failed Join (code 300): the previous channel may have been left already. */
export interface SigJoinFailure {
  left: string | null;
  /** the Op.Join code (JoinChannelError) behind the failure */
  reason: number;
}

export interface SigChannelSendForceRequest {
  channelId: string;
  text: string;
  /** enableHistoricalMessaging, as PeerSendRequest.historical */
  historical?: boolean;
}

export interface SigChannelAttrRequest {
  channelId: string;
  type: SigAttrChange;
  /** the key (update, del) */
  name?: string;
  /** the value (update) */
  value?: string;
}
/** SignalingOp.ChannelAttrUpdated: what a Signaling member's onChannelAttrUpdated reports. */
export interface SigChannelAttrEvent {
  channelId: string;
  /** '' for clear */
  name: string;
  /** '' for del and clear */
  value: string;
  type: SigAttrChange;
}

export interface SigQueryUserIsInResponse {
  isIn: boolean;
}
export interface SigQueryUserListRequest {
  channelId: string;
  /** at most this many (the latest); default SIG_USER_LIST_MAX */
  max?: number;
}
export interface SigQueryUserListResponse {
  /** every member */
  num: number;
  /** the latest `max` members */
  list: string[];
}

export interface SigInviteRequest {
  to: string;
  channelId: string;
  /** Signaling's `extra` (RTM: the invitation's `content`) */
  extra: string;
  /** `_require_peer_online: 1`: fail at once (703) when the callee has no session */
  requireOnline?: boolean;
  /** `_timeout` in ms: the invitation fails (INVITATION_EXPIRE) if unanswered by then; 0 = none */
  timeoutMs?: number;
}
export interface SigInviteEndRequest {
  id: string;
  extra: string;
}
export interface SigInviteEndedEvent {
  id: string;
  extra: string;
}
export interface SigInviteMsgRequest {
  to: string;
  channelId: string;
  msgType: string;
  msgData: string;
  extra: string;
}
export interface SigInviteMsgEvent {
  from: string;
  channelId: string;
  msgType: string;
  msgData: string;
  extra: string;
}

/** onChannelUserList and channel_query_userlist return at most the latest 200 members (Signaling). */
export const SIG_USER_LIST_MAX = 200;
/** Longest `_timeout` honoured, ms (Signaling documents 0–30 s; longer ones are clamped to this). */
export const SIG_INVITE_TIMEOUT_MAX_MS = 3_600_000;

/** Rate limits of the Signaling-only ops per client; lifted by `--rate-limits off`. */
export const SIGNALING_RATES = {
  query: RATE_LIMITS['sig.query'],
  inviteMsg: RATE_LIMITS['sig.inviteMsg'],
} as const;

/**
 * Agora RTM's prefix of a peer TEXT message that ends a legacy Signaling call
 * (`AgoraRTM.END_CALL_PREFIX`; message `<prefix>_<channelId>_<extra>`, `extra` without `_`).
 */
export const END_CALL_PREFIX = 'AgoraRTMLegacyEndcallCompatibleMessagePrefix';

/** The end-call message for a call on `channelId` (spec rtm-1x-api.md §1.1, signaling-api.md §8.2). */
export function endCallMessage(channelId: string, extra: string): string {
  return `${END_CALL_PREFIX}_${channelId}_${extra}`;
}

/**
 * Parses an end-call message: `null` when `text` is not one. The channel id may contain `_`,
 * the extra may not (Agora's rule), so the split is at the last `_`.
 */
export function parseEndCallMessage(text: string): { channelId: string; extra: string } | null {
  if (!text.startsWith(`${END_CALL_PREFIX}_`)) return null;
  const rest = text.slice(END_CALL_PREFIX.length + 1);
  const cut = rest.lastIndexOf('_');
  if (cut < 0) return { channelId: rest, extra: '' };
  return { channelId: rest.slice(0, cut), extra: rest.slice(cut + 1) };
}
