/** A member's entry in a channel: who, and which session on which node serves it. */
export interface ChannelMember {
  uid: string;
  /** node whose session is the member (fan-out goes there) */
  nodeId: string;
  sessionId: string;
}

/** Outcome of a membership change. */
export interface MembershipChange {
  /** the member set changed (false: the uid already was a member / was not this session's) */
  changed: boolean;
  /** members after the change */
  count: number;
}

/**
 * Store part: channel membership, cluster-wide. A channel's members are uids, one entry per uid
 * holding the session (and node) that joined; the store also indexes the channels of each session,
 * so the survivors of a dead node can remove its sessions from their channels. Every mutation is
 * visible to every node once its promise resolves.
 */
export interface ChannelStore {
  /**
   * Makes `member.uid` a member of the channel. If the uid already is a member (a newer session of
   * the same user, after a remote login), its entry moves to the new session and `changed` is false.
   */
  join(appId: string, channelId: string, member: ChannelMember): Promise<MembershipChange>;
  /** Removes `uid` from the channel, only if its entry belongs to `sessionId`. */
  leave(appId: string, channelId: string, uid: string, sessionId: string): Promise<MembershipChange>;
  /** Channels whose entry for `uid` belongs to `sessionId`. */
  channelsOf(appId: string, uid: string, sessionId: string): Promise<string[]>;
  /** The member uids of a channel (empty for an unknown channel). */
  members(appId: string, channelId: string): Promise<string[]>;
  /** Member counts, in the order of `channelIds` (0 for an unknown channel); one round trip. */
  counts(appId: string, channelIds: readonly string[]): Promise<number[]>;
}
