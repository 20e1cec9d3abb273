import type { ChannelRooms, Room } from './rooms.js';

/** Channel topic message type: one typed channel event for the receiving node's members. */
const BY_KIND = 'sig.bykind';

/** `sig.bykind` payload: bytes for Signaling members (`s`) and for RTM members (`r`) of channel `c`. */
interface ByKindPayload {
  a: string;
  c: string;
  s: Uint8Array;
  r: Uint8Array;
}

/**
 * Sends one channel event in two encodings: Signaling members get `sig`, RTM members get `rtm`
 * (e.g. a typed onChannelAttrUpdated vs. RTM's full-set AttributesUpdated). Members on this node
 * are written directly; the other nodes serving members get one message on the channel's topic. Each encoding is
 * made once by the caller and the same bytes go to every member of that kind.
 */
export class MemberFanout {
  constructor(private readonly rooms: ChannelRooms) {
    rooms.onTopic(BY_KIND, (room, p) => {
      const m = p as ByKindPayload;
      this.local(room, m.s, m.r);
    });
  }

  async send(appId: string, channelId: string, sig: Uint8Array, rtm: Uint8Array): Promise<void> {
    const room = this.rooms.get(appId, channelId);
    if (room) this.local(room, sig, rtm);
    const payload: ByKindPayload = { a: appId, c: channelId, s: sig, r: rtm };
    await this.rooms.publish(appId, channelId, BY_KIND, payload);
  }

  private local(room: Room, sig: Uint8Array, rtm: Uint8Array): void {
    for (const m of room.members) {
      if (m.session.phase === 'ended') continue;
      const bytes = m.session.kind === 'signaling' ? sig : rtm;
      // A member replaying channel history gets live events after the replay, as channels do.
      if (m.held) m.held.push({ id: null, bytes });
      else m.session.send(bytes);
    }
  }
}
