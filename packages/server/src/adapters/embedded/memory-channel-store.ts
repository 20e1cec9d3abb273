import type { ChannelMember, ChannelStore, MembershipChange } from '../../ports/channel-store.js';

const key = (appId: string, id: string) => `${appId}\u0000${id}`;
const sessionKey = (appId: string, uid: string, sessionId: string) =>
  `${appId}\u0000${uid}\u0000${sessionId}`;

interface ChannelEntry {
  /** uid → its member entry */
  members: Map<string, ChannelMember>;
}

/** ChannelStore in process memory (embedded mode: every member is on this one process). */
export class MemoryChannelStore implements ChannelStore {
  private readonly channels = new Map<string, ChannelEntry>();
  /** `${app}\0${uid}\0${sessionId}` → channels whose entry for uid belongs to that session */
  private readonly bySession = new Map<string, Set<string>>();

  async join(appId: string, channelId: string, member: ChannelMember): Promise<MembershipChange> {
    const ck = key(appId, channelId);
    let ch = this.channels.get(ck);
    if (!ch) this.channels.set(ck, (ch = { members: new Map() }));
    const prev = ch.members.get(member.uid);
    if (prev && prev.sessionId !== member.sessionId) this.unindex(appId, prev.uid, prev.sessionId, channelId);
    ch.members.set(member.uid, { ...member });
    this.index(appId, member.uid, member.sessionId, channelId);
    return { changed: !prev, count: ch.members.size };
  }

  async leave(appId: string, channelId: string, uid: string, sessionId: string): Promise<MembershipChange> {
    const ck = key(appId, channelId);
    const ch = this.channels.get(ck);
    const m = ch?.members.get(uid);
    if (!ch || !m || m.sessionId !== sessionId) return { changed: false, count: ch?.members.size ?? 0 };
    ch.members.delete(uid);
    this.unindex(appId, uid, sessionId, channelId);
    if (ch.members.size === 0) this.channels.delete(ck);
    return { changed: true, count: ch.members.size };
  }

  async channelsOf(appId: string, uid: string, sessionId: string): Promise<string[]> {
    const s = this.bySession.get(sessionKey(appId, uid, sessionId));
    return s ? [...s] : [];
  }

  async members(appId: string, channelId: string): Promise<string[]> {
    const ch = this.channels.get(key(appId, channelId));
    return ch ? [...ch.members.keys()] : [];
  }

  async counts(appId: string, channelIds: readonly string[]): Promise<number[]> {
    return channelIds.map((id) => this.channels.get(key(appId, id))?.members.size ?? 0);
  }

  private index(appId: string, uid: string, sessionId: string, channelId: string): void {
    const sk = sessionKey(appId, uid, sessionId);
    let s = this.bySession.get(sk);
    if (!s) this.bySession.set(sk, (s = new Set()));
    s.add(channelId);
  }

  private unindex(appId: string, uid: string, sessionId: string, channelId: string): void {
    const sk = sessionKey(appId, uid, sessionId);
    const s = this.bySession.get(sk);
    if (!s) return;
    s.delete(channelId);
    if (s.size === 0) this.bySession.delete(sk);
  }
}
