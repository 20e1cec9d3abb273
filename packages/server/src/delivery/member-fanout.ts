import type { ChannelRooms, Room } from './rooms.js';

/**
 * Sends one channel event in two encodings: Signaling members get `sig`, RTM members get `rtm`
 * (e.g. a typed onChannelAttrUpdated vs. RTM's full-set AttributesUpdated). Members on this node
 * are written directly; the other nodes serving members get one message on the channel's topic. Each encoding is
 * made once by the caller and the same bytes go to every member of that kind.
 */
export class MemberFanout {
  constructor(private readonly rooms: ChannelRooms) {
    rooms.onTopic('sig.bykind', (room, m) => {
      this.local(room, m.s, m.r);
    });
  }

  async send(appId: string, channelId: string, sig: Uint8Array, rtm: Uint8Array): Promise<void> {
    const room = this.rooms.get(appId, channelId);
    if (room) this.local(room, sig, rtm);
    await this.rooms.publish(appId, channelId, 'sig.bykind', { a: appId, c: channelId, s: sig, r: rtm });
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
