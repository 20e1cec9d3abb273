/**
 * Limits in force for an app. Defaults are Agora RTM 1.x's (spec rtm-1x-api.md §4). The server
 * sends the limits it enforces in the login response, and the SDK checks exactly those.
 */
export interface Limits {
  /** max bytes of a text message (UTF-8) or raw bytes + description */
  messageBytes: number;
  /** peer + channel sends per window per client */
  sendRate: { count: number; windowMs: number };
  maxJoinedChannels: number;
  userAttrs: { maxPairs: number; maxKeyBytes: number; maxValueBytes: number; maxTotalBytes: number };
  channelAttrs: { maxPairs: number; maxKeyBytes: number; maxValueBytes: number; maxTotalBytes: number };
  maxKeysPerGet: number;
  maxPeersPerQuery: number;
  maxSubscribedPeers: number;
  maxChannelsPerCountCall: number;
  invitationContentBytes: number;
  /** member join/leave events are switched off above this many members */
  memberEventsMaxMembers: number;
  /** false when the server runs with `--rate-limits off` */
  rateLimits: boolean;
}

export const DEFAULT_LIMITS: Limits = {
  messageBytes: 32 * 1024,
  sendRate: { count: 180, windowMs: 3000 },
  maxJoinedChannels: 20,
  userAttrs: { maxPairs: 32, maxKeyBytes: 32, maxValueBytes: 8 * 1024, maxTotalBytes: 16 * 1024 },
  channelAttrs: { maxPairs: 32, maxKeyBytes: 32, maxValueBytes: 8 * 1024, maxTotalBytes: 32 * 1024 },
  maxKeysPerGet: 32,
  maxPeersPerQuery: 256,
  maxSubscribedPeers: 512,
  maxChannelsPerCountCall: 32,
  invitationContentBytes: 8 * 1024,
  memberEventsMaxMembers: 512,
  rateLimits: true,
};

/** Largest WebSocket frame the server accepts (a full message plus envelope, with headroom). */
export const MAX_FRAME_BYTES = 64 * 1024;

/** A rate limit: at most `count` calls in any `windowMs`. */
export interface Rate {
  readonly count: number;
  readonly windowMs: number;
}

/**
 * The per-client rate limits of the ops, keyed by the name the server counts each under (ops that
 * share a budget share a name). Agora's numbers (spec rtm-1x-api.md §4, signaling-api.md); lifted
 * by `--rate-limits off`. The peer + channel send rate is `Limits.sendRate` (configurable).
 */
export const RATE_LIMITS = {
  /** RenewToken: 2 per second */
  renew: { count: 2, windowMs: 1000 },
  /** InvitationSend */
  invitation: { count: 60, windowMs: 3000 },
  join: { count: 50, windowMs: 3000 },
  /** joins of one and the same channel (counted per channel, not through Session.rates) */
  joinSameChannel: { count: 2, windowMs: 5000 },
  getMembers: { count: 5, windowMs: 2000 },
  getMemberCount: { count: 1, windowMs: 1000 },
  /** channel attributes set / addOrUpdate / delete / clear together */
  channelAttrsSet: { count: 10, windowMs: 5000 },
  /** channel attributes get / getByKeys together */
  channelAttrsGet: { count: 10, windowMs: 5000 },
  /** QueryPeersOnline ("10 queries every five seconds") */
  'presence.query': { count: 10, windowMs: 5000 },
  /** SubscribePeers and UnsubscribePeers together (one error group in Agora's SDKs) */
  'presence.subscription': { count: 10, windowMs: 5000 },
  /** user attributes set / addOrUpdate / delete / clear together */
  'userAttrs.write': { count: 10, windowMs: 5000 },
  /** user attributes get / getByKeys together */
  'userAttrs.read': { count: 40, windowMs: 5000 },
  /** Signaling QueryUserNum / QueryUserIsIn / QueryUserList together */
  'sig.query': { count: 50, windowMs: 5000 },
  /**
   * MediaTicket: one per media transfer (Parley's; Agora had no such call). Far above 9 transfers
   * at once of files that take a moment each; it bounds the tickets one client holds.
   */
  'media.ticket': { count: 100, windowMs: 10_000 },
  /** Signaling InviteMsg (DTMF) */
  'sig.inviteMsg': { count: 60, windowMs: 3000 },
} as const satisfies Record<string, Rate>;
export type RateName = keyof typeof RATE_LIMITS;
