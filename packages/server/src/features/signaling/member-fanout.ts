import type { FeatureContext } from '../context.js';
import type { ChannelRooms, Room } from '../channels/rooms.js';

/** Mesh message type: one typed channel event for the members of a channel on the receiving node. */
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
 * are written directly; each other node serving members gets one mesh message. Each encoding is
 * made once by the caller and the same bytes go to every member of that kind.
 */
export class MemberFanout {
  constructor(
    private readonly ctx: FeatureContext,
    private readonly rooms: ChannelRooms,
  ) {
    ctx.mesh.on(BY_KIND, (p) => {
      const m = p as ByKindPayload;
      const room = rooms.get(m.a, m.c);
      if (room) this.local(room, m.s, m.r);
    });
  }

  async send(appId: string, channelId: string, sig: Uint8Array, rtm: Uint8Array): Promise<void> {
    const room = this.rooms.get(appId, channelId);
    if (room) this.local(room, sig, rtm);
    const nodes = await this.ctx.store.channels.nodes(appId, channelId);
    const me = this.ctx.mesh.nodeId;
    const payload: ByKindPayload = { a: appId, c: channelId, s: sig, r: rtm };
    await Promise.all(
      nodes.map((n) =>
        n === me
          ? undefined
          : this.ctx.mesh
              .send(n, BY_KIND, payload)
              .catch((e) => this.ctx.log.warn({ err: e }, 'signaling fan-out to a node failed')),
      ),
    );
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
