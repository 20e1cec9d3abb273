import type {
  ChannelCursor,
  GetChannelAttrsByKeysRequest,
  GetChannelAttrsRequest,
  GetChannelAttrsResponse,
  ChannelSendRequest,
  ChannelSendResponse,
  GetMemberCountRequest,
  GetMemberCountResponse,
  GetMembersRequest,
  GetMembersResponse,
  JoinRequest,
  JoinResponse,
  LeaveRequest,
} from './channels.js';
import {
  AttributeOperationError,
  ChannelMessageError,
  GetChannelMemberCountError,
  GetMembersError,
  InvitationApiCallError,
  JoinChannelError,
  LeaveChannelError,
  UploadMediaError,
  PeerMessageError,
  PeerSubscriptionStatusError,
  QueryPeersOnlineStatusError,
} from './codes.js';
import { isValidSendKey } from './ids.js';
import { MediaOp, type MediaTicketResponse } from './media.js';
import type { PeerSendRequest, PeerSendResponse } from './messages.js';
import {
  type InvitationCancelRequest,
  type InvitationIdBody,
  InvitationOp,
  type InvitationSendRequest,
  type InvitationSendResponse,
} from './invitations.js';
import { Op } from './ops.js';
import {
  type SigAttrChange,
  type SigChannelAttrRequest,
  type SigChannelSendForceRequest,
  SignalingCode,
  SignalingOp,
  type SigInviteEndRequest,
  type SigInviteMsgRequest,
  type SigInviteRequest,
  type SigPeerSendRequest,
  type SigQueryUserIsInResponse,
  type SigQueryUserListResponse,
  type SigSendResponse,
} from './signaling.js';
import type {
  QueryPeersOnlineRequest,
  QueryPeersOnlineResponse,
  SubscribePeersRequest,
  SubscribePeersResponse,
  UnsubscribePeersRequest,
} from './presence.js';
import {
  type DeleteUserAttrsRequest,
  type GetUserAttrsByKeysRequest,
  type GetUserAttrsRequest,
  type GetUserAttrsResponse,
  isAttrPairs,
  type SetUserAttrsRequest,
} from './user-attrs.js';
import { isObj, isStr, isStrArray, optBool } from './validate.js';

/**
 * A request op's body decoder: the body with its static type, or why it is malformed (the reason
 * the server reports with its BAD_BODY protocol error). Bodies are objects, so a string is never
 * a body. Decoders check the shape only; checks that need the session's limits stay with the
 * handler, in the order the op documents.
 */
export type Decoder<T> = (body: unknown) => T | string;

/** One request op of the wire protocol: its number, its body decoder, and its response's type. */
export interface RequestOp<Req, Res> {
  readonly op: number;
  /** the op's Agora code for a malformed body */
  readonly badBody: number;
  readonly decode: Decoder<Req>;
  /** type only (never set): what a successful answer carries */
  readonly response?: Res;
}

const requestOp = <Req, Res = null>(
  op: number,
  badBody: number,
  decode: Decoder<Req>,
): RequestOp<Req, Res> => ({
  op,
  badBody,
  decode,
});

/** The decoded PeerSend body: `msg` is checked by the handler against the session's messageBytes. */
export type PeerSendBody = Omit<PeerSendRequest, 'msg' | 'key'> & { msg: unknown; key?: string | null };

/** For ops without a body: whatever the client sent is ignored. */
const noBody: Decoder<null> = () => null;
const attrPairsBody =
  (op: string): Decoder<SetUserAttrsRequest> =>
  (b) =>
    isObj(b) && isAttrPairs(b.attrs)
      ? (b as unknown as SetUserAttrsRequest)
      : `${op} body: { attrs: [key: string, value: string][] }`;
const { INVALID_ARGUMENT: ATTR_INVALID } = AttributeOperationError;

const idsBody =
  (op: string): Decoder<{ ids: string[] }> =>
  (b) =>
    isObj(b) && isStrArray(b.ids) ? (b as { ids: string[] }) : `${op} body: { ids: string[] }`;

const optSendKey = (v: unknown): v is string | undefined =>
  v === undefined || v === null || isValidSendKey(v);

/** A rejoin's cursor: `{ id: string | null, ts: finite number }`. */
export function isChannelCursor(v: unknown): v is ChannelCursor {
  return isObj(v) && (v.id === null || isStr(v.id)) && typeof v.ts === 'number' && Number.isFinite(v.ts);
}
/** The decoded ChannelSend body: `msg` is checked by the handler against the session's messageBytes. */
export type ChannelSendBody = Omit<ChannelSendRequest, 'msg' | 'key'> & { msg: unknown; key?: string | null };
/**
 * The decoded body of a channel-attribute write: its `attrs` / `keys` are checked by the handler
 * (after the channel id; Signaling's writes reach the same checks through services).
 */
export type ChannelAttrsWriteBody = {
  channelId: string;
  notify?: boolean | null;
  attrs?: unknown;
  keys?: unknown;
};
/** The shape SetChannelAttrs and AddOrUpdateChannelAttrs bodies are refused with. */
export const CHANNEL_ATTRS_SET_SHAPE = 'body: { channelId: string, attrs: [key, value][], notify?: boolean }';
const attrsWriteBody =
  (shape: string): Decoder<ChannelAttrsWriteBody> =>
  (b) =>
    isObj(b) && isStr(b.channelId) && optBool(b.notify) ? (b as ChannelAttrsWriteBody) : shape;

/** The decoded InvitationSend body: no `channelId` (or null) means '' (no channel). */
export type InvitationSendBody = Omit<InvitationSendRequest, 'channelId'> & { channelId?: string | null };
/** The decoded Accept / Refuse body: no `response` (or null) means ''. */
export type InvitationAnswerBody = { id: string; response?: string | null };
const isId = (b: unknown): b is { id: string } & Record<string, unknown> => isObj(b) && isStr(b.id);
const optStrField = (v: unknown): boolean => v === undefined || v === null || isStr(v);

/** The decoded Signaling PeerSend body (a null `key` is no key). */
export type SigPeerSendBody = Omit<SigPeerSendRequest, 'key'> & { key?: string | null };
/** The decoded Signaling Invite body (null optional fields are absent ones). */
export type SigInviteBody = Omit<SigInviteRequest, 'timeoutMs' | 'requireOnline'> & {
  timeoutMs?: number | null;
  requireOnline?: boolean | null;
};
/** The decoded Signaling Join body: `since` is checked by the channels feature's join. */
export type SigJoinBody = { channelId: string; since?: unknown };
/** The decoded QueryUserIsIn / QueryUserList bodies: the rest is checked after the channel id. */
export type SigQueryBody = { channelId: string; account?: unknown; max?: unknown };
const SIG_ATTR_TYPES: ReadonlySet<unknown> = new Set<SigAttrChange>(['update', 'del', 'clear']);
const SIG_WRONG = SignalingCode.GENERAL_E_WRONG_PARAM;
const sigQueryBody =
  (shape: string): Decoder<SigQueryBody> =>
  (b) =>
    isObj(b) && isStr(b.channelId) ? (b as SigQueryBody) : shape;

const channelIdBody =
  (op: string): Decoder<{ channelId: string }> =>
  (b) =>
    isObj(b) && isStr(b.channelId) ? (b as { channelId: string }) : `${op} body: { channelId: string }`;

/** The request ops, each with its body decoder and response type (docs/protocol.md documents the bodies). */
export const RequestOps = {
  PeerSend: requestOp<PeerSendBody, PeerSendResponse>(Op.PeerSend, PeerMessageError.INVALID_MESSAGE, (b) =>
    isObj(b) && isStr(b.to) && optBool(b.offline) && optBool(b.historical) && optSendKey(b.key)
      ? (b as PeerSendBody)
      : 'PeerSend body: { to: string, msg, offline?: boolean, historical?: boolean, key?: 1-64 printable ASCII characters }',
  ),

  SetUserAttrs: requestOp(Op.SetUserAttrs, ATTR_INVALID, attrPairsBody('SetUserAttrs')),
  AddOrUpdateUserAttrs: requestOp(
    Op.AddOrUpdateUserAttrs,
    ATTR_INVALID,
    attrPairsBody('AddOrUpdateUserAttrs'),
  ),
  DeleteUserAttrs: requestOp<DeleteUserAttrsRequest>(Op.DeleteUserAttrs, ATTR_INVALID, (b) =>
    isObj(b) && isStrArray(b.keys)
      ? (b as unknown as DeleteUserAttrsRequest)
      : 'DeleteUserAttrs body: { keys: string[] }',
  ),
  ClearUserAttrs: requestOp(Op.ClearUserAttrs, ATTR_INVALID, noBody),
  GetUserAttrs: requestOp<GetUserAttrsRequest, GetUserAttrsResponse>(Op.GetUserAttrs, ATTR_INVALID, (b) =>
    isObj(b) && isStr(b.uid) ? (b as unknown as GetUserAttrsRequest) : 'GetUserAttrs body: { uid: string }',
  ),
  GetUserAttrsByKeys: requestOp<GetUserAttrsByKeysRequest, GetUserAttrsResponse>(
    Op.GetUserAttrsByKeys,
    ATTR_INVALID,
    (b) =>
      isObj(b) && isStr(b.uid) && isStrArray(b.keys)
        ? (b as unknown as GetUserAttrsByKeysRequest)
        : 'GetUserAttrsByKeys body: { uid: string, keys: string[] }',
  ),

  QueryPeersOnline: requestOp<QueryPeersOnlineRequest, QueryPeersOnlineResponse>(
    Op.QueryPeersOnline,
    QueryPeersOnlineStatusError.INVALID_ARGUMENT,
    idsBody('QueryPeersOnline'),
  ),
  SubscribePeers: requestOp<SubscribePeersRequest, SubscribePeersResponse>(
    Op.SubscribePeers,
    PeerSubscriptionStatusError.INVALID_ARGUMENT,
    idsBody('SubscribePeers'),
  ),
  UnsubscribePeers: requestOp<UnsubscribePeersRequest>(
    Op.UnsubscribePeers,
    PeerSubscriptionStatusError.INVALID_ARGUMENT,
    idsBody('UnsubscribePeers'),
  ),

  Join: requestOp<JoinRequest, JoinResponse>(Op.Join, JoinChannelError.INVALID_ARGUMENT, (b) =>
    isObj(b) && isStr(b.channelId) && (b.since == null || isChannelCursor(b.since))
      ? (b as unknown as JoinRequest)
      : 'Join body: { channelId: string, since?: { id: string | null, ts: number } }',
  ),
  Leave: requestOp<LeaveRequest>(Op.Leave, LeaveChannelError.NOT_IN_CHANNEL, channelIdBody('Leave')),
  ChannelSend: requestOp<ChannelSendBody, ChannelSendResponse>(
    Op.ChannelSend,
    ChannelMessageError.INVALID_MESSAGE,
    (b) =>
      isObj(b) && isStr(b.channelId) && optBool(b.historical) && optSendKey(b.key)
        ? (b as ChannelSendBody)
        : 'ChannelSend body: { channelId: string, msg, historical?: boolean, key?: 1-64 printable ASCII characters }',
  ),
  GetMembers: requestOp<GetMembersRequest, GetMembersResponse>(
    Op.GetMembers,
    GetMembersError.NOT_IN_CHANNEL,
    channelIdBody('GetMembers'),
  ),
  GetMemberCount: requestOp<GetMemberCountRequest, GetMemberCountResponse>(
    Op.GetMemberCount,
    GetChannelMemberCountError.INVALID_ARGUMENT,
    (b) =>
      isObj(b) && isStrArray(b.channelIds)
        ? (b as unknown as GetMemberCountRequest)
        : 'GetMemberCount body: { channelIds: string[] }',
  ),

  SetChannelAttrs: requestOp(Op.SetChannelAttrs, ATTR_INVALID, attrsWriteBody(CHANNEL_ATTRS_SET_SHAPE)),
  AddOrUpdateChannelAttrs: requestOp(
    Op.AddOrUpdateChannelAttrs,
    ATTR_INVALID,
    attrsWriteBody(CHANNEL_ATTRS_SET_SHAPE),
  ),
  DeleteChannelAttrs: requestOp(
    Op.DeleteChannelAttrs,
    ATTR_INVALID,
    attrsWriteBody('DeleteChannelAttrs body: { channelId: string, keys: string[], notify?: boolean }'),
  ),
  ClearChannelAttrs: requestOp(
    Op.ClearChannelAttrs,
    ATTR_INVALID,
    attrsWriteBody('ClearChannelAttrs body: { channelId: string, notify?: boolean }'),
  ),
  GetChannelAttrs: requestOp<GetChannelAttrsRequest, GetChannelAttrsResponse>(
    Op.GetChannelAttrs,
    ATTR_INVALID,
    channelIdBody('GetChannelAttrs'),
  ),
  GetChannelAttrsByKeys: requestOp<GetChannelAttrsByKeysRequest, GetChannelAttrsResponse>(
    Op.GetChannelAttrsByKeys,
    ATTR_INVALID,
    (b) =>
      isObj(b) && isStr(b.channelId) && isStrArray(b.keys)
        ? (b as unknown as GetChannelAttrsByKeysRequest)
        : 'GetChannelAttrsByKeys body: { channelId: string, keys: string[] }',
  ),

  InvitationSend: requestOp<InvitationSendBody, InvitationSendResponse>(
    InvitationOp.Send,
    InvitationApiCallError.INVALID_ARGUMENT,
    (b) =>
      isObj(b) && isStr(b.to) && isStr(b.content) && optStrField(b.channelId)
        ? (b as InvitationSendBody)
        : 'InvitationSend body: { to: string, content: string, channelId?: string }',
  ),
  InvitationCancel: requestOp<InvitationCancelRequest>(
    InvitationOp.Cancel,
    InvitationApiCallError.INVALID_ARGUMENT,
    (b) =>
      isId(b) && isStr(b.content)
        ? (b as unknown as InvitationCancelRequest)
        : 'InvitationCancel body: { id: string, content: string }',
  ),
  InvitationAcceptAck: requestOp<InvitationIdBody>(
    InvitationOp.AcceptAck,
    InvitationApiCallError.INVALID_ARGUMENT,
    (b) => (isId(b) ? b : 'body: { id: string }'),
  ),
  InvitationReceivedAck: requestOp<InvitationIdBody>(
    InvitationOp.ReceivedAck,
    InvitationApiCallError.INVALID_ARGUMENT,
    (b) => (isId(b) ? b : 'body: { id: string }'),
  ),
  InvitationAccept: requestOp<InvitationAnswerBody>(
    InvitationOp.Accept,
    InvitationApiCallError.INVALID_ARGUMENT,
    (b) =>
      isId(b) && optStrField(b.response)
        ? (b as InvitationAnswerBody)
        : 'body: { id: string, response?: string }',
  ),
  InvitationRefuse: requestOp<InvitationAnswerBody>(
    InvitationOp.Refuse,
    InvitationApiCallError.INVALID_ARGUMENT,
    (b) =>
      isId(b) && optStrField(b.response)
        ? (b as InvitationAnswerBody)
        : 'body: { id: string, response?: string }',
  ),

  MediaTicket: requestOp<null, MediaTicketResponse>(
    MediaOp.Ticket,
    UploadMediaError.INVALID_ARGUMENT,
    noBody,
  ),

  SigPeerSend: requestOp<SigPeerSendBody, SigSendResponse>(SignalingOp.PeerSend, SIG_WRONG, (b) =>
    isObj(b) && isStr(b.to) && isStr(b.text) && optBool(b.historical) && optSendKey(b.key)
      ? (b as SigPeerSendBody)
      : 'PeerSend body: { to: string, text: string, historical?: boolean, key?: 1-64 printable ASCII characters }',
  ),
  SigJoin: requestOp<SigJoinBody>(SignalingOp.Join, SIG_WRONG, (b) =>
    isObj(b) && isStr(b.channelId)
      ? (b as SigJoinBody)
      : 'Join body: { channelId: string, since?: { id, ts } }',
  ),
  SigChannelSendForce: requestOp<SigChannelSendForceRequest, SigSendResponse>(
    SignalingOp.ChannelSendForce,
    SIG_WRONG,
    (b) =>
      isObj(b) && isStr(b.channelId) && isStr(b.text) && optBool(b.historical)
        ? (b as unknown as SigChannelSendForceRequest)
        : 'ChannelSendForce body: { channelId: string, text: string, historical?: boolean }',
  ),
  SigChannelAttr: requestOp<SigChannelAttrRequest>(SignalingOp.ChannelAttr, SIG_WRONG, (b) =>
    isObj(b) &&
    isStr(b.channelId) &&
    SIG_ATTR_TYPES.has(b.type) &&
    (b.name === undefined || isStr(b.name)) &&
    (b.value === undefined || isStr(b.value))
      ? (b as unknown as SigChannelAttrRequest)
      : "ChannelAttr body: { channelId: string, type: 'update'|'del'|'clear', name?: string, value?: string }",
  ),
  SigQueryUserNum: requestOp<SigQueryBody, { num: number }>(
    SignalingOp.QueryUserNum,
    SIG_WRONG,
    sigQueryBody('QueryUserNum body: { channelId: string }'),
  ),
  SigQueryUserIsIn: requestOp<SigQueryBody, SigQueryUserIsInResponse>(
    SignalingOp.QueryUserIsIn,
    SIG_WRONG,
    sigQueryBody('QueryUserIsIn body: { channelId: string, account: string }'),
  ),
  SigQueryUserList: requestOp<SigQueryBody, SigQueryUserListResponse>(
    SignalingOp.QueryUserList,
    SIG_WRONG,
    sigQueryBody('QueryUserList body: { channelId: string, max?: number }'),
  ),
  SigInvite: requestOp<SigInviteBody, InvitationSendResponse>(SignalingOp.Invite, SIG_WRONG, (b) =>
    isObj(b) &&
    isStr(b.to) &&
    isStr(b.channelId) &&
    isStr(b.extra) &&
    optBool(b.requireOnline) &&
    (b.timeoutMs === undefined || b.timeoutMs === null || typeof b.timeoutMs === 'number')
      ? (b as SigInviteBody)
      : 'Invite body: { to: string, channelId: string, extra: string, requireOnline?: boolean, timeoutMs?: number }',
  ),
  SigInviteEnd: requestOp<SigInviteEndRequest>(SignalingOp.InviteEnd, SIG_WRONG, (b) =>
    isObj(b) && isStr(b.id) && isStr(b.extra)
      ? (b as unknown as SigInviteEndRequest)
      : 'InviteEnd body: { id: string, extra: string }',
  ),
  SigInviteMsg: requestOp<SigInviteMsgRequest>(SignalingOp.InviteMsg, SIG_WRONG, (b) =>
    isObj(b) && isStr(b.to) && isStr(b.channelId) && isStr(b.msgType) && isStr(b.msgData) && isStr(b.extra)
      ? (b as unknown as SigInviteMsgRequest)
      : 'InviteMsg body: { to: string, channelId: string, msgType: string, msgData: string, extra: string }',
  ),
} as const;

/** The decoded body of a request op, for handlers' signatures. */
export type RequestOf<R> = R extends RequestOp<infer Req, unknown> ? Req : never;
/** The response body of a request op. */
export type ResponseOf<R> = R extends RequestOp<unknown, infer Res> ? Res : never;
