import { RATE_LIMITS } from './limits.js';
import type { WireMessage } from './messages.js';
import type { AttrPair } from './user-attrs.js';

/**
 * Wire bodies of the channel ops (Op.Join … Op.AttributesUpdated) and the channel-attribute ops
 * (Op.SetChannelAttrs … Op.GetChannelAttrsByKeys). docs/protocol.md lists them with their codes.
 */

/** Where a re-logged-in client left off in a channel: the last message it saw. */
export interface ChannelCursor {
  /** id of the last ChannelMessage the client saw, or null if it saw none */
  id: string | null;
  /** its `ts` (or the `ts` of the join response when no message was seen), ms */
  ts: number;
}

export interface JoinRequest {
  channelId: string;
  /**
   * Set when the SDK rejoins after its session was lost: the server replays the channel's
   * history newer than this cursor (sent by others, within the history window) before answering.
   */
  since?: ChannelCursor | null;
}
export interface JoinResponse {
  /** server time of the join, ms: the starting cursor for a later rejoin */
  ts: number;
}

export interface LeaveRequest {
  channelId: string;
}

export interface ChannelSendRequest {
  channelId: string;
  msg: WireMessage;
  /** idempotency key, as PeerSendRequest.key: members drop a second message with the same `from` + `key` */
  key?: string;
  /** enableHistoricalMessaging, as PeerSendRequest.historical */
  historical?: boolean;
}
export interface ChannelSendResponse {
  id: string;
  ts: number;
}

export interface GetMembersRequest {
  channelId: string;
}
export interface GetMembersResponse {
  members: string[];
}

export interface GetMemberCountRequest {
  channelIds: string[];
}
export interface GetMemberCountResponse {
  /** member counts in the order of the request's `channelIds` (a list, not a map: see ChannelAttrEntry) */
  counts: number[];
}

/** Op.ChannelMessage event. */
export interface ChannelMessageEvent {
  channelId: string;
  id: string;
  from: string;
  msg: WireMessage;
  /** serverReceivedTs, ms */
  ts: number;
  /** the sender's idempotency key, if it gave one (live deliveries; a history replay has none) */
  key?: string;
}
/** Op.MemberJoined / Op.MemberLeft events. */
export interface MemberEvent {
  channelId: string;
  memberId: string;
}
/** Op.MemberCountUpdated event. */
export interface MemberCountEvent {
  channelId: string;
  count: number;
}

/**
 * One channel attribute on the wire: `[key, value, lastUpdateUserId, lastUpdateTs (ms)]`.
 * Attributes travel as tuples, never as a map, for the same reason as user attributes
 * (user-attrs.ts): msgpackr rewrites a map key `__proto__`, and any 1–32 byte key is valid.
 */
export type ChannelAttrEntry = [key: string, value: string, lastUpdateUserId: string, lastUpdateTs: number];

/** Op.AttributesUpdated event: the full attribute set after the change. */
export interface AttributesUpdatedEvent {
  channelId: string;
  attrs: ChannelAttrEntry[];
}

/** SetChannelAttrs (replace all) and AddOrUpdateChannelAttrs (merge). Response body: null. */
export interface SetChannelAttrsRequest {
  channelId: string;
  attrs: AttrPair[];
  /** enableNotificationToChannelMembers (default false) */
  notify?: boolean;
}
/** DeleteChannelAttrs. Response body: null. */
export interface DeleteChannelAttrsRequest {
  channelId: string;
  keys: string[];
  notify?: boolean;
}
/** ClearChannelAttrs. Response body: null. */
export interface ClearChannelAttrsRequest {
  channelId: string;
  notify?: boolean;
}
export interface GetChannelAttrsRequest {
  channelId: string;
}
/** GetChannelAttrsByKeys: 1–`limits.maxKeysPerGet` keys. */
export interface GetChannelAttrsByKeysRequest {
  channelId: string;
  keys: string[];
}
/** Response of GetChannelAttrs and GetChannelAttrsByKeys (by keys: only the keys that exist). */
export interface GetChannelAttrsResponse {
  attrs: ChannelAttrEntry[];
}

/** Rate limits of the channel ops (spec rtm-1x-api.md §4.3–4.4); the server enforces them. */
export const CHANNEL_RATES = {
  join: RATE_LIMITS.join,
  joinSameChannel: RATE_LIMITS.joinSameChannel,
  getMembers: RATE_LIMITS.getMembers,
  getMemberCount: RATE_LIMITS.getMemberCount,
  channelAttrsSet: RATE_LIMITS.channelAttrsSet,
  channelAttrsGet: RATE_LIMITS.channelAttrsGet,
} as const;

/** Longest key deleteChannelAttributesByKeys accepts (Agora's runtime: 512 characters). */
export const MAX_CHANNEL_ATTR_DELETE_KEY_CHARS = 512;

/** Checks a key list of deleteChannelAttributesByKeys: non-empty, keys 1–512 characters (Agora's runtime). */
export function checkChannelAttrDeleteKeys(keys: unknown): keys is string[] {
  return (
    Array.isArray(keys) &&
    keys.length > 0 &&
    keys.every((k) => typeof k === 'string' && k.length > 0 && k.length <= MAX_CHANNEL_ATTR_DELETE_KEY_CHARS)
  );
}
