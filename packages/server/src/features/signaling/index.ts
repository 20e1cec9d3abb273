import {
  AttributeOperationError,
  InvitationOp,
  JoinChannelError,
  Op,
  SIG_INVITE_TIMEOUT_MAX_MS,
  SIG_USER_LIST_MAX,
  type SIGNALING_RATES,
  SignalingCode as Code,
  SignalingOp,
  encodeEvent,
  RequestOps,
  isStr,
  isValidChannelId,
  isValidUserId,
  utf8Length,
  type AttrPair,
  type AttributesUpdatedEvent,
  type InvitationAnsweredEvent,
  type InvitationLocalFailureEvent,
  type InvitationRemoteFailureEvent,
  type InvitationSendResponse,
  type PeerMessageEvent,
  type SigChannelAttrEvent,
  type SigInviteEndedEvent,
  type SigInviteMsgEvent,
  type SigJoinFailure,
  type SigJoinResponse,
  type SigQueryUserIsInResponse,
  type SigQueryUserListResponse,
  type SigSendResponse,
  type WireMessage,
} from '@parley/protocol';
import { SequenceIds } from '../../kernel/ids.js';
import { KeyedSerialQueue } from '../../kernel/serial-queue.js';
import type { ClientSession as Session } from '../client-session.js';
import type { Feature, FeatureContext } from '../context.js';
import { takeRate } from '../rates.js';
import { fail, malformed, ok, type Reply } from '../registry.js';
import { sendBudget } from '../send-budget.js';
import { HistoryWriteFailed } from '../../delivery/message-history.js';
import { TimerTable } from '../../kernel/timer-table.js';

const { WRONG, LARGE } = { WRONG: Code.GENERAL_E_WRONG_PARAM, LARGE: Code.GENERAL_E_LARGE_PARAM };

/**
 * What the legacy Signaling API does and RTM ops cannot express (docs/signaling.md): peer
 * messages answered when the server has them, join with the member list (one channel at a time),
 * channel messages from outside the channel, typed channel-attribute events for Signaling members
 * (RTM members keep getting AttributesUpdated with the full set), member queries, invitations with
 * `_require_peer_online` / `_timeout`, a callee ending an unanswered invitation, and DTMF.
 *
 * It reuses the other features rather than duplicating them: join, leave, channel-attribute
 * writes and invitation sends run through their services (same checks, limits, codes and member
 * events), delivery through delivery/ (users, rooms), invitation answers through the invitation
 * store's compare-and-set. Response codes are Signaling's (`SignalingCode`).
 */
/** What the signaling feature uses of the context. */
type Needs =
  | 'config'
  | 'log'
  | 'metrics'
  | 'registry'
  | 'store'
  | 'users'
  | 'peers'
  | 'rooms'
  | 'fanout'
  | 'services';

export const signalingFeature: Feature<Needs> = {
  name: 'signaling',
  register(ctx: Pick<FeatureContext, Needs>) {
    const { rooms, fanout, services } = ctx;
    /** Unique across the cluster and restarts; the letters keep them apart from other features' ids. */
    const peerIds = new SequenceIds(`${ctx.config.nodeId}.`, '-sp');
    /** The channel each Signaling session is in (Signaling: one at a time). */
    const current = new WeakMap<Session, string>();

    /** Answer when a feature Signaling builds on is not registered. */
    const unavailable = (what: string): Reply =>
      fail(Code.GENERAL_E_FAILED, { message: `${what} is not available` });
    const take = (s: Session, name: keyof typeof SIGNALING_RATES) => takeRate(s, `sig.${name}`);
    /** 0, or the code for a message text of the wrong type (1004) or size (1005). */
    const checkText = (s: Session, text: unknown): number => {
      if (!isStr(text)) return WRONG;
      return text.length * 3 > s.limits.messageBytes && utf8Length(text) > s.limits.messageBytes ? LARGE : 0;
    };

    // ---- peer messages ----

    ctx.registry.request('signaling', RequestOps.SigPeerSend, async (s, body): Promise<Reply> => {
      if (!isValidUserId(body.to)) return fail(WRONG);
      const bad = checkText(s, body.text);
      if (bad) return fail(bad);
      if (!sendBudget(s)) return fail(Code.SENDMESSAGE_E_OTHER, { message: 'too often' });
      ctx.metrics.messagesIn.inc({ kind: 'peer' });
      const id = peerIds.next();
      const ts = Date.now();
      const ev: PeerMessageEvent = { id, from: s.uid, msg: { type: 'TEXT', text: body.text }, ts };
      // Receivers drop a re-send of the same message (same sender and key) under a new id.
      if (isStr(body.key)) ev.key = body.key;
      const bytes = encodeEvent(Op.PeerMessage, ev);
      const to = body.to;
      // With history: written (and committed) first, then delivered.
      const recorded = ctx.peers.signalingHistory(s.appId, s.uid, to, ev, body.historical === true);
      if (recorded) {
        try {
          await recorded;
        } catch (e) {
          if (e instanceof HistoryWriteFailed) return fail(Code.SENDMESSAGE_E_OTHER, { message: e.message });
          throw e;
        }
      }
      // Signaling semantics: answered once the server has it, not when the peer acknowledged.
      const sent = ctx.users.fromSender(s, s.appId, to, bytes);
      if (sent === 'local') ctx.metrics.messagesOut.inc({ kind: 'peer' });
      else await sent;
      return ok({ id, ts } satisfies SigSendResponse);
    });

    // ---- channels ----

    /** Joins of one session run one after another, so "one channel at a time" holds. */
    const joins = new KeyedSerialQueue<Session>(new WeakMap());
    const serially = <T>(s: Session, op: () => Promise<T>): Promise<T> => joins.run(s, op);

    ctx.registry.request('signaling', RequestOps.SigJoin, (s, body): Reply | Promise<Reply> => {
      const channelId = body.channelId;
      if (!isValidChannelId(channelId)) return fail(WRONG);
      return serially(s, () => join(s, channelId, body.since ?? null));
    });

    const join = async (s: Session, channelId: string, since: unknown): Promise<Reply> => {
      const before = current.get(s) ?? null;
      let left: string | null = null;
      const channels = services.channels;
      if (!channels) return unavailable('joining a channel');
      if (before !== null && before !== channelId) {
        const r = await channels.leave(s, before);
        current.delete(s);
        if (r.code === 0) left = before;
      }
      const r = await channels.join(s, channelId, since);
      // Joining the channel it is in again is not an error in Signaling.
      if (r.code !== 0 && r.code !== JoinChannelError.ALREADY_JOINED) {
        if (r.malformed) return { ...r, code: WRONG };
        return fail(Code.JOINCHANNEL_E_OTHER, { left, reason: r.code } satisfies SigJoinFailure);
      }
      current.set(s, channelId);
      const [members, attrs] = await Promise.all([
        ctx.store.channels.members(s.appId, channelId),
        ctx.store.channelAttrs.get(s.appId, channelId),
      ]);
      return ok({
        ts: (r.body as { ts?: number } | undefined)?.ts ?? Date.now(),
        left,
        members: members.length > SIG_USER_LIST_MAX ? members.slice(-SIG_USER_LIST_MAX) : members,
        attrs: attrs.map((a): AttrPair => [a.key, a.value]),
      } satisfies SigJoinResponse);
    };

    ctx.registry.request('signaling', RequestOps.SigChannelSendForce, async (s, body): Promise<Reply> => {
      const channelId = body.channelId;
      if (!isValidChannelId(channelId)) return fail(WRONG);
      const bad = checkText(s, body.text);
      if (bad) return fail(bad);
      if (!sendBudget(s)) return fail(Code.SENDMESSAGE_E_OTHER, { message: 'too often' });
      // A Signaling sender that is a member gets its own message too (Signaling echoes).
      const except = s.kind === 'signaling' ? null : s.uid;
      const msg: WireMessage = { type: 'TEXT', text: body.text };
      try {
        const r = await rooms.sendMessage(
          s.appId,
          channelId,
          s.uid,
          msg,
          except,
          undefined,
          undefined,
          body.historical === true,
        );
        return ok(r satisfies SigSendResponse);
      } catch (e) {
        if (e instanceof HistoryWriteFailed) return fail(Code.SENDMESSAGE_E_OTHER, { message: e.message });
        throw e;
      }
    });

    // ---- channel attributes ----

    ctx.registry.request('signaling', RequestOps.SigChannelAttr, async (s, body): Promise<Reply> => {
      const { channelId, type } = body;
      const name = body.name ?? '';
      const value = body.value ?? '';
      if (!isValidChannelId(channelId) || (type !== 'clear' && name === '')) return fail(WRONG);
      // The write runs through the channel-attrs feature (same checks, limits, rates), unnotified:
      // the notification is sent here, typed for Signaling members and full-set for RTM members.
      const attrs = services.channelAttrs;
      if (!attrs) return unavailable('channel attributes');
      const r = await attrs.write(
        s,
        channelId,
        type === 'update'
          ? { type, attrs: [[name, value]] }
          : type === 'del'
            ? { type, keys: [name] }
            : { type },
      );
      if (r.code !== 0) return fail(attrCode(r.code), { reason: r.code });
      const after = await ctx.store.channelAttrs.get(s.appId, channelId);
      const sig = encodeEvent(SignalingOp.ChannelAttrUpdated, {
        channelId,
        name: type === 'clear' ? '' : name,
        value: type === 'update' ? value : '',
        type,
      } satisfies SigChannelAttrEvent);
      const rtm = encodeEvent(Op.AttributesUpdated, {
        channelId,
        attrs: after.map((a) => [a.key, a.value, a.lastUpdateUserId, a.lastUpdateTs]),
      } satisfies AttributesUpdatedEvent);
      await fanout.send(s.appId, channelId, sig, rtm);
      return ok(null);
    });

    // ---- member queries ----

    /** The channel id of a decoded query body, or WRONG for an invalid one. */
    const queryChannel = (body: { channelId: string }): string | Reply =>
      isValidChannelId(body.channelId) ? body.channelId : fail(WRONG);

    ctx.registry.request('signaling', RequestOps.SigQueryUserNum, async (s, body): Promise<Reply> => {
      const channelId = queryChannel(body);
      if (!isStr(channelId)) return channelId;
      if (!take(s, 'query')) return fail(Code.QUERYUSERNUM_E_OTHER, { message: 'too often' });
      const [num] = await ctx.store.channels.counts(s.appId, [channelId]);
      return ok({ num: num ?? 0 });
    });

    ctx.registry.request('signaling', RequestOps.SigQueryUserIsIn, async (s, body): Promise<Reply> => {
      const channelId = queryChannel(body);
      if (!isStr(channelId)) return channelId;
      // After the channel id, as before: an invalid channel id is a plain WRONG.
      const account = body.account;
      if (!isStr(account))
        return malformed(WRONG, 'QueryUserIsIn body: { channelId: string, account: string }');
      if (!isValidUserId(account)) return fail(WRONG);
      if (!take(s, 'query')) return fail(Code.GENERAL_E_FAILED, { message: 'too often' });
      // Membership belongs to a session: look at the channels of the account's session.
      const rec = await ctx.store.sessions.lookup(s.appId, account);
      const isIn = rec
        ? (await ctx.store.channels.channelsOf(s.appId, account, rec.sessionId)).includes(channelId)
        : false;
      return ok({ isIn } satisfies SigQueryUserIsInResponse);
    });

    ctx.registry.request('signaling', RequestOps.SigQueryUserList, async (s, body): Promise<Reply> => {
      const shape = 'QueryUserList body: { channelId: string, max?: number }';
      const channelId = queryChannel(body);
      if (!isStr(channelId)) return channelId;
      const max = body.max ?? SIG_USER_LIST_MAX;
      if (typeof max !== 'number' || !Number.isInteger(max) || max < 0) return malformed(WRONG, shape);
      if (!take(s, 'query')) return fail(Code.GENERAL_E_FAILED, { message: 'too often' });
      const members = await ctx.store.channels.members(s.appId, channelId);
      const list = members.length > max ? members.slice(members.length - max) : members;
      return ok({ num: members.length, list } satisfies SigQueryUserListResponse);
    });

    // ---- invitations ----

    /**
     * Timers of `_timeout` (one per invitation that asked for it, on the node that created it).
     * Invitations are rate-limited per client (60 / 3 s), so the number of timers is bounded.
     */
    const timeouts = new TimerTable();
    const armTimeout = (appId: string, id: string, ms: number) =>
      timeouts.arm(id, Date.now() + ms, () => {
        void expire(appId, id).catch((err) => ctx.log.warn({ err, id }, 'invitation _timeout failed'));
      });
    const toUser = (appId: string, uid: string, op: number, ev: unknown) =>
      ctx.users.toUser(appId, uid, encodeEvent(op, ev)).catch((err) => {
        ctx.log.warn({ err, op }, 'signaling event not delivered');
        return false;
      });

    /** `_timeout` passed: an invitation nobody answered fails on both sides (INVITATION_EXPIRE). */
    async function expire(appId: string, id: string): Promise<void> {
      const r = await ctx.store.invitations.finish(appId, id, { phases: ['SENT', 'RECEIVED'] });
      if (!r) return; // answered, canceled or failed meanwhile; the owner's own timer finds it gone
      await toUser(appId, r.caller, InvitationOp.LocalFailure, {
        id,
        reason: 'INVITATION_EXPIRE',
      } satisfies InvitationLocalFailureEvent);
      await toUser(appId, r.callee, InvitationOp.RemoteFailure, {
        id,
        reason: 'INVITATION_EXPIRE',
      } satisfies InvitationRemoteFailureEvent);
    }

    ctx.registry.request('signaling', RequestOps.SigInvite, async (s, body): Promise<Reply> => {
      const timeoutMs = body.timeoutMs ?? 0;
      if (!isValidUserId(body.to) || !isValidChannelId(body.channelId) || !(timeoutMs >= 0))
        return fail(WRONG);
      if (utf8Length(body.extra) > s.limits.invitationContentBytes) return fail(LARGE);
      if (body.requireOnline === true && !(await ctx.store.sessions.lookup(s.appId, body.to)))
        return fail(Code.INVITE_E_PEEROFFLINE);
      if (!services.invitations) return unavailable('invitations');
      const r = await services.invitations.send(s, body.to, body.extra, body.channelId);
      if (r.code !== 0) return fail(Code.INVITE_E_OTHER, { reason: r.code });
      const { id } = r.body as InvitationSendResponse;
      if (timeoutMs > 0) armTimeout(s.appId, id, Math.min(timeoutMs, SIG_INVITE_TIMEOUT_MAX_MS));
      // The invitation reaches the callee after this answer (see the invitations feature).
      return { ...ok({ id } satisfies InvitationSendResponse), after: r.after };
    });

    ctx.registry.request('signaling', RequestOps.SigInviteEnd, async (s, body): Promise<Reply> => {
      if (utf8Length(body.extra) > s.limits.invitationContentBytes) return fail(LARGE);
      const r = await ctx.store.invitations.finish(s.appId, body.id, {
        phases: ['SENT', 'RECEIVED'],
        callee: s.uid,
      });
      if (!r) return fail(Code.INVITE_E_OTHER, { message: 'no unanswered invitation with this id' });
      // A Signaling caller takes the first (onInviteEndByPeer) and ignores the second; an RTM
      // caller, which has no "ended by the callee", ignores the first and sees a refusal.
      await toUser(s.appId, r.caller, SignalingOp.InviteEnded, {
        id: r.id,
        extra: body.extra,
      } satisfies SigInviteEndedEvent);
      await toUser(s.appId, r.caller, InvitationOp.Refused, {
        id: r.id,
        response: body.extra,
      } satisfies InvitationAnsweredEvent);
      return ok(null);
    });

    ctx.registry.request('signaling', RequestOps.SigInviteMsg, async (s, body): Promise<Reply> => {
      if (!isValidUserId(body.to) || (body.channelId !== '' && !isValidChannelId(body.channelId)))
        return fail(WRONG);
      const size = utf8Length(body.msgType) + utf8Length(body.msgData) + utf8Length(body.extra);
      if (size > s.limits.invitationContentBytes) return fail(LARGE);
      if (!take(s, 'inviteMsg')) return fail(Code.INVITE_E_OTHER, { message: 'too often' });
      const delivered = await toUser(s.appId, body.to, SignalingOp.InviteMsgReceived, {
        from: s.uid,
        channelId: body.channelId,
        msgType: body.msgType,
        msgData: body.msgData,
        extra: body.extra,
      } satisfies SigInviteMsgEvent);
      return delivered ? ok(null) : fail(Code.INVITE_E_PEEROFFLINE);
    });

    ctx.registry.hook('onClose', () => timeouts.close());
  },
};

/** A channel-attribute code (AttributeOperationError) as a Signaling code. */
function attrCode(code: number): number {
  if (code === AttributeOperationError.INVALID_ARGUMENT) return WRONG;
  if (code === AttributeOperationError.SIZE_OVERFLOW) return LARGE;
  return Code.GENERAL_E_FAILED;
}
