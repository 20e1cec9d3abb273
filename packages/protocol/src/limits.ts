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
