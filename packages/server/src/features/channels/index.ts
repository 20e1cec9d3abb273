import {
  ChannelMessageError,
  GetChannelMemberCountError,
  GetMembersError,
  JoinChannelError,
  LeaveChannelError,
  Op,
  checkWireMessage,
  encodeEvent,
  RequestOps,
  isValidChannelId,
  normalizeWireMessage,
  type ChannelCursor,
  type ChannelMessageEvent,
  type ChannelSendResponse,
  type GetMemberCountResponse,
  type GetMembersResponse,
  type JoinResponse,
  type WireMessage,
} from '@parley/protocol';
import type { ClientSession as Session } from '../client-session.js';
import type { HistoryRetention } from '../../ports/channel-history-store.js';
import { channelMaybeEmpty, channelOccupied } from '../channel-attrs-expiry.js';
import { crashAfterFlush } from '../../crash-points.js';
import type { Feature, FeatureContext } from '../context.js';
import { takeRate } from '../rates.js';
import { fail, limited, malformed, ok, type Reply } from '../registry.js';
import { sendBudget } from '../send-budget.js';
import { HistoryWriteFailed } from '../../delivery/message-history.js';
import type { LocalMember } from '../../delivery/rooms.js';
import { SessionChannels } from './session-channels.js';

/**
 * Channels: join/leave with member events, member list and counts, and channel messages.
 * Membership is cluster-wide in the Store; delivery goes through ChannelRooms (rooms.ts): local
 * members directly, other nodes with one mesh message each. Codes are Agora's per operation.
 */

/** What the channels feature uses of the context. */
type Needs = 'config' | 'log' | 'registry' | 'services' | 'store' | 'rooms';

export const channelsFeature: Feature<Needs> = {
  name: 'channels',
  register(ctx: Pick<FeatureContext, Needs>) {
    const { rooms } = ctx;
    const perSession = new WeakMap<Session, SessionChannels>();
    const state = (s: Session): SessionChannels => {
      let sc = perSession.get(s);
      if (!sc) perSession.set(s, (sc = new SessionChannels()));
      return sc;
    };
    const retention: HistoryRetention = {
      maxMessages: ctx.config.historyMessages,
      maxAgeMs: ctx.config.historyMs,
    };
    const warn = (what: string) => (e: unknown) => ctx.log.warn({ err: e }, what);

    // ---- membership ----

    const join = async (
      s: Session,
      sc: SessionChannels,
      channelId: string,
      since: ChannelCursor | null,
    ): Promise<Reply> => {
      const ts = Date.now();
      const r = await ctx.store.channels.join(s.appId, channelId, {
        uid: s.uid,
        nodeId: ctx.config.nodeId,
        sessionId: s.id,
      });
      const member = rooms.add(s, channelId, since !== null);
      sc.joined.set(channelId, member);
      // Cluster: what other nodes send to the channel from now on reaches this node's members.
      await rooms.listening(member.room);
      if (r.changed) {
        if (r.count === 1)
          await channelOccupied(ctx.store, s.appId, channelId).catch(warn('channel attrs keep failed'));
        await rooms
          .memberChanged(s.appId, channelId, s.uid, true, r.count <= s.limits.memberEventsMaxMembers, r.count)
          .catch(warn('MemberJoined fan-out failed'));
      } else rooms.countChanged(member.room); // the joiner still gets MemberCountUpdated
      if (since) await replayHistory(s, member, since);
      return ok({ ts } satisfies JoinResponse);
    };

    /** Sends a rejoining member the history it missed, then what arrived meanwhile. */
    const replayHistory = async (s: Session, member: LocalMember, since: ChannelCursor): Promise<void> => {
      const replayed = new Set<string>();
      const channelId = member.room.channelId;
      try {
        const entries = await ctx.store.history.since(s.appId, channelId, since, retention);
        for (const e of entries) {
          if (e.from === s.uid) continue; // never echo the member's own messages
          replayed.add(e.id);
          const ev: ChannelMessageEvent = { channelId, id: e.id, from: e.from, msg: e.msg, ts: e.ts };
          if (e.key !== undefined) ev.key = e.key;
          s.send(encodeEvent(Op.ChannelMessage, ev));
        }
      } catch (e) {
        ctx.log.warn({ err: e, channel: channelId }, 'channel history read failed');
      } finally {
        rooms.release(member, replayed);
      }
    };

    /** Removes a local session from a channel it joined, telling the other members. */
    const leave = (s: Session, sc: SessionChannels, member: LocalMember): Promise<void> => {
      sc.joined.delete(member.room.channelId);
      rooms.remove(member);
      return leaveStore(s, member.room.channelId);
    };

    /** The store part of leaving: MemberLeft and a count update if the member set changed. */
    const leaveStore = async (s: Session, channelId: string): Promise<void> => {
      const r = await ctx.store.channels.leave(s.appId, channelId, s.uid, s.id);
      if (!r.changed) return;
      await rooms
        .memberChanged(
          s.appId,
          channelId,
          s.uid,
          false,
          r.count + 1 <= s.limits.memberEventsMaxMembers,
          r.count,
        )
        .catch(warn('MemberLeft fan-out failed'));
      if (r.count === 0)
        await channelMaybeEmpty(ctx.store, ctx.config, s.appId, channelId).catch(
          warn('channel attrs expiry failed'),
        );
    };

    ctx.registry.request('channels', RequestOps.Join, (s, body) =>
      joinChecked(s, body.channelId, body.since ?? null),
    );

    /** Op.Join once its body was parsed: the channel id, the limits and the rates. */
    const joinChecked = async (
      s: Session,
      channelId: string,
      since: ChannelCursor | null,
    ): Promise<Reply> => {
      if (!isValidChannelId(channelId)) return fail(JoinChannelError.INVALID_ARGUMENT);
      const sc = state(s);
      if (sc.joined.has(channelId) || sc.joining.has(channelId)) return fail(JoinChannelError.ALREADY_JOINED);
      if (sc.size >= s.limits.maxJoinedChannels) return limited(JoinChannelError.EXCEED_LIMIT);
      if (!takeRate(s, 'join')) return fail(JoinChannelError.TOO_OFTEN);
      if (s.limits.rateLimits && !sc.takeSameChannelJoin(channelId))
        return fail(JoinChannelError.JOIN_SAME_CHANNEL_TOO_OFTEN);
      const p = sc.serially(() => join(s, sc, channelId, since));
      sc.joining.set(channelId, p);
      try {
        return await p;
      } finally {
        sc.joining.delete(channelId);
      }
    };

    ctx.registry.request('channels', RequestOps.Leave, (s, body) => leaveChecked(s, body.channelId));

    const leaveChecked = (s: Session, channelId: string): Promise<Reply> => {
      const sc = state(s);
      return sc.serially(async () => {
        const m = sc.joined.get(channelId);
        if (!m) return fail(LeaveChannelError.NOT_IN_CHANNEL);
        await leave(s, sc, m);
        return ok(null);
      });
    };

    ctx.services.channels = {
      join: async (s, channelId, raw) => {
        // The same decoder as Op.Join's, so the same reason for a bad cursor.
        const { decode, badBody } = RequestOps.Join;
        const body = decode({ channelId, since: raw });
        if (typeof body === 'string') return malformed(badBody, body);
        return joinChecked(s, channelId, body.since ?? null);
      },
      leave: leaveChecked,
    };

    // Logout, remote login, grace expiry, token expiry, shutdown: out of every channel.
    // (While the session is detached it stays a member: no hook for sessionDetached.)
    ctx.registry.hook('sessionEnd', async (s) => {
      if (s.foreign) {
        // A session of a dead node (cluster): its channels are only known to the store.
        const ids = await ctx.store.channels.channelsOf(s.appId, s.uid, s.id);
        await Promise.all(
          ids.map((id) => leaveStore(s, id).catch(warn('channel leave of a dead node failed'))),
        );
        return;
      }
      const sc = perSession.get(s);
      if (!sc) return;
      await sc.serially(async () => {
        await Promise.all(
          [...sc.joined.values()].map((m) =>
            leave(s, sc, m).catch(warn('channel leave at session end failed')),
          ),
        );
      });
    });

    // ---- channel messages ----

    const send = async (
      s: Session,
      sc: SessionChannels | undefined,
      channelId: string,
      raw: WireMessage,
      key: string | undefined,
      historical: boolean,
    ): Promise<Reply> => {
      const member = sc?.joined.get(channelId);
      if (!member) return fail(ChannelMessageError.NOT_IN_CHANNEL);
      if (!sendBudget(s)) return fail(ChannelMessageError.TOO_OFTEN);
      // A Signaling sender gets its own message too, in channel order (Signaling echoes; RTM never).
      const except = s.kind === 'signaling' ? null : s.uid;
      const msg = normalizeWireMessage(raw);
      let r: ChannelSendResponse;
      try {
        r = await rooms.sendMessage(s.appId, channelId, s.uid, msg, except, member.room, key, historical);
      } catch (e) {
        if (e instanceof HistoryWriteFailed) return fail(ChannelMessageError.FAILURE, { message: e.message });
        throw e;
      }
      if (crashAfterFlush('channel-sent')) return new Promise<Reply>(() => undefined);
      return ok(r satisfies ChannelSendResponse);
    };

    ctx.registry.request('channels', RequestOps.ChannelSend, (s, body): Promise<Reply> | Reply => {
      const key = body.key ?? undefined;
      const problem = checkWireMessage(body.msg, s.limits.messageBytes);
      if (problem === 'invalid')
        return malformed(
          ChannelMessageError.INVALID_MESSAGE,
          'ChannelSend msg: { type: TEXT, text } or { type: RAW, raw: bytes, description? }',
        );
      if (problem) return fail(ChannelMessageError.INVALID_MESSAGE);
      const sc = perSession.get(s);
      const channelId = body.channelId;
      const msg = body.msg as WireMessage;
      const historical = body.historical === true;
      // Sent right after a join request: wait for the join, as the client expects.
      const joining = sc?.joining.get(channelId);
      if (joining) {
        const after = () => send(s, sc, channelId, msg, key, historical);
        return joining.then(after, after);
      }
      return send(s, sc, channelId, msg, key, historical);
    });

    // ---- members ----

    ctx.registry.request('channels', RequestOps.GetMembers, async (s, body): Promise<Reply> => {
      const channelId = body.channelId;
      const sc = perSession.get(s);
      await sc?.joining.get(channelId)?.catch(() => undefined);
      if (!sc?.joined.has(channelId)) return fail(GetMembersError.NOT_IN_CHANNEL);
      if (!takeRate(s, 'getMembers')) return fail(GetMembersError.TOO_OFTEN);
      const members = await ctx.store.channels.members(s.appId, channelId);
      return ok({ members } satisfies GetMembersResponse);
    });

    ctx.registry.request('channels', RequestOps.GetMemberCount, async (s, body): Promise<Reply> => {
      const ids = body.channelIds;
      if (ids.length === 0 || ids.length > s.limits.maxChannelsPerCountCall)
        return limited(GetChannelMemberCountError.EXCEED_LIMIT);
      if (!ids.every(isValidChannelId)) return fail(GetChannelMemberCountError.INVALID_ARGUMENT);
      if (!takeRate(s, 'getMemberCount')) return fail(GetChannelMemberCountError.TOO_OFTEN);
      const counts = await ctx.store.channels.counts(s.appId, ids);
      return ok({ counts } satisfies GetMemberCountResponse);
    });

    ctx.registry.hook('onClose', () => rooms.close());
  },
};
