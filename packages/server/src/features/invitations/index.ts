import {
  InvitationApiCallError,
  InvitationOp,
  encodeEvent,
  RATE_LIMITS,
  RequestOps,
  isValidChannelId,
  isValidUserId,
  utf8Length,
  type InvitationAnsweredEvent,
  type InvitationCanceledEvent,
  type InvitationIdBody,
  type InvitationLocalFailureEvent,
  type InvitationReceivedEvent,
  type InvitationRemoteFailureEvent,
  type InvitationSendResponse,
  type LocalInvitationFailureReason,
  type RemoteInvitationFailureReason,
} from '@parley/protocol';
import { SequenceIds } from '../../kernel/ids.js';
import type { Feature, FeatureContext } from '../context.js';
import { takeRate } from '../rates.js';
import { fail, ok, type Reply } from '../registry.js';
import type { ClientSession as Session } from '../client-session.js';
import { INVITATION_PHASES, type InvitationRecord } from '../../ports/invitation-store.js';
import { DeadlineTimers } from './deadline-timers.js';

/** Agora's caller SDK waits about 5 s for its accept to be confirmed; never longer than the ack timeout. */
const ACCEPT_CONFIRM_MAX_MS = 5_000;
/** The store may drop a record this long after its deadline if its owner node never acted. */
const KEEP_SLACK_MS = 60_000;
/** Invitations one client may send per window (bounds the state a single client can create). */
const SEND_RATE = RATE_LIMITS.invitation;
const MESH_DEADLINE = 'invitation-deadline' as const;
/** `session.ext` key set once the session's sessionEnd hook has listed its invitations. */
const ENDED_LISTED = 'invitations.listed';
/** A timer whose check failed (store unreachable) checks again this much later: nothing hangs. */
const SETTLE_RETRY_MS = 1_000;

const { INVALID_ARGUMENT, ALREADY_END, ALREADY_ACCEPT } = InvitationApiCallError;

/**
 * Call invitations. The server owns each invitation's state (InvitationStore, compare-and-set), so
 * caller and callee always agree, wherever their sessions live. The caller's node owns the
 * invitation's timers: ack timeout (SENT), expiry (RECEIVED), accept confirmation (ACCEPTING).
 * A phase change made on another node tells the owner its new deadline over the mesh. State
 * machines, timers and the failure mapping: docs/invitations.md.
 */
/** What the invitations feature uses of the context. */
type Needs = 'config' | 'log' | 'mesh' | 'metrics' | 'registry' | 'services' | 'store' | 'users';

export const invitationsFeature: Feature<Needs> = {
  name: 'invitations',
  register(ctx: Pick<FeatureContext, Needs>) {
    const { config, log } = ctx;
    const store = ctx.store.invitations;
    const me = config.nodeId;
    const confirmMs = Math.min(ACCEPT_CONFIRM_MAX_MS, config.invitationAckTimeoutMs);
    // Unique across the cluster and across restarts of a node that keeps its --node-id.
    const ids = new SequenceIds(`${me}.`, '.');

    const timers = new DeadlineTimers((appId, id) => {
      void settle(appId, id).catch((err) => {
        log.error({ err, id }, 'invitation timer failed; checking again shortly');
        timers.arm(appId, id, Date.now() + SETTLE_RETRY_MS);
      });
    });

    const tooLong = (s: Session, v: string): boolean => utf8Length(v) > s.limits.invitationContentBytes;
    const emit = (appId: string, uid: string, op: number, body: unknown): Promise<boolean> =>
      ctx.users.toUser(appId, uid, encodeEvent(op, body)).catch((err) => {
        log.warn({ err, op }, 'invitation event not delivered');
        return false;
      });
    const toCaller = (r: InvitationRecord, op: number, body: unknown) => emit(r.appId, r.caller, op, body);
    const toCallee = (r: InvitationRecord, op: number, body: unknown) => emit(r.appId, r.callee, op, body);
    const failCaller = (r: InvitationRecord, reason: LocalInvitationFailureReason) =>
      toCaller(r, InvitationOp.LocalFailure, { id: r.id, reason } satisfies InvitationLocalFailureEvent);
    const failCallee = (r: InvitationRecord, reason: RemoteInvitationFailureReason) =>
      toCallee(r, InvitationOp.RemoteFailure, { id: r.id, reason } satisfies InvitationRemoteFailureEvent);
    const receivedEvent = (r: InvitationRecord) =>
      encodeEvent(InvitationOp.Received, {
        id: r.id,
        from: r.caller,
        content: r.content,
        channelId: r.channelId,
      } satisfies InvitationReceivedEvent);

    /** The record's phase changed here: (re)arm its timer on the owner node. */
    const rearm = (r: InvitationRecord): void => {
      if (r.ownerNode === me) timers.arm(r.appId, r.id, r.deadline);
      else
        ctx.mesh
          .send(r.ownerNode, MESH_DEADLINE, { appId: r.appId, id: r.id, deadline: r.deadline })
          .catch((err) =>
            log.warn(
              { err, id: r.id },
              'invitation deadline not sent to its owner; its old timer will re-check',
            ),
          );
    };
    /** The invitation reached an outcome here; a remote owner's timer finds it gone and stops. */
    const ended = (r: InvitationRecord): void => {
      if (r.ownerNode === me) timers.clear(r.id);
    };
    const withDeadline = (ms: number) => {
      const deadline = Date.now() + ms;
      return { deadline, keepUntil: deadline + KEEP_SLACK_MS };
    };

    ctx.mesh.on(MESH_DEADLINE, (p) => {
      const { appId, id, deadline } = p;
      timers.arm(appId, id, deadline);
    });

    /** Owner-node timer fired: if the current phase's deadline passed, end the invitation. */
    async function settle(appId: string, id: string): Promise<void> {
      // Phases only move forward, so a lost race is retried a bounded number of times.
      for (let i = 0; i < INVITATION_PHASES.length + 1; i++) {
        const r = await store.get(appId, id);
        if (!r || r.ownerNode !== me) return;
        if (r.deadline > Date.now()) return timers.arm(appId, id, r.deadline);
        const done = await store.finish(appId, id, { phases: [r.phase] });
        if (done) return timedOut(done);
      }
    }

    async function timedOut(r: InvitationRecord): Promise<void> {
      if (r.phase === 'SENT') {
        // Agora: PEER_OFFLINE if the callee is still offline, PEER_NO_RESPONSE if it is there but silent.
        // The record is gone already: a failed lookup must not keep the caller from hearing of it.
        const callee = await ctx.store.sessions.lookup(r.appId, r.callee).catch((err) => {
          log.warn({ err, id: r.id }, 'callee lookup failed at the ack timeout');
          return true;
        });
        await failCaller(r, callee ? 'PEER_NO_RESPONSE' : 'PEER_OFFLINE');
        // The callee's SDK may hold a copy whose ack was lost: close it too.
        await failCallee(r, 'INVITATION_EXPIRE');
      } else if (r.phase === 'RECEIVED') {
        await failCaller(r, 'INVITATION_EXPIRE');
        await failCallee(r, 'INVITATION_EXPIRE');
      } else {
        // The caller never confirmed the accept (its link is down, or its SDK is gone).
        await failCallee(r, 'ACCEPT_FAILURE');
      }
    }

    // ---- caller ----

    ctx.registry.request('invitations', RequestOps.InvitationSend, (s, body) =>
      send(s, body.to, body.content, body.channelId ?? ''),
    );

    /** InvitationOp.Send once its body was parsed. */
    const send = async (s: Session, to: string, content: string, channelId: string): Promise<Reply> => {
      if (!isValidUserId(to) || tooLong(s, content) || (channelId !== '' && !isValidChannelId(channelId)))
        return fail(INVALID_ARGUMENT);
      if (!takeRate(s, 'invitation'))
        return fail(INVALID_ARGUMENT, {
          message: `too many invitations: at most ${SEND_RATE.count} in ${SEND_RATE.windowMs / 1000} s`,
        });
      ctx.metrics.messagesIn.inc({ kind: 'invitation' });
      const r: InvitationRecord = {
        id: ids.next(),
        appId: s.appId,
        caller: s.uid,
        callerSessionId: s.id,
        callee: to,
        calleeSessionId: null,
        ownerNode: me,
        content,
        channelId,
        phase: 'SENT',
        response: '',
        createdAt: Date.now(),
        ...withDeadline(config.invitationAckTimeoutMs),
      };
      await store.create(r);
      timers.arm(r.appId, r.id, r.deadline);
      return {
        ...ok({ id: r.id } satisfies InvitationSendResponse),
        // Delivered once the answer is queued: every event of this invitation the caller gets
        // (ReceivedByPeer, answers, failures) is caused by this delivery, so it follows the answer
        // on the caller's stream, however fast the callee and whichever nodes carry it.
        // An offline callee gets it at login (sessionReady) if that comes before the ack timeout.
        after: async () => {
          // The caller's session ended meanwhile: its sessionEnd hook ended the invitation (or the
          // ack timeout will); a copy now would reach the callee after that news.
          if (s.phase === 'ended') return;
          await ctx.users.toUser(r.appId, r.callee, receivedEvent(r)).catch(() => false);
        },
      };
    };
    ctx.services.invitations = { send };

    ctx.registry.request('invitations', RequestOps.InvitationCancel, async (s, body): Promise<Reply> => {
      const { id, content } = body;
      if (tooLong(s, content)) return fail(INVALID_ARGUMENT);
      const r = await store.finish(s.appId, id, { phases: INVITATION_PHASES, caller: s.uid });
      if (!r) return fail(ALREADY_END);
      ended(r);
      // Sent even while SENT: the callee may hold it without having acknowledged it yet.
      await toCallee(r, InvitationOp.Canceled, { id, content } satisfies InvitationCanceledEvent);
      return ok();
    });

    ctx.registry.request('invitations', RequestOps.InvitationAcceptAck, async (s, { id }): Promise<Reply> => {
      const r = await store.finish(s.appId, id, { phases: ['ACCEPTING'], caller: s.uid });
      if (!r) return fail(ALREADY_END);
      ended(r);
      await toCallee(r, InvitationOp.AcceptConfirmed, { id } satisfies InvitationIdBody);
      return ok();
    });

    // ---- callee ----

    ctx.registry.request(
      'invitations',
      RequestOps.InvitationReceivedAck,
      async (s, { id }): Promise<Reply> => {
        const r = await store.advance(
          s.appId,
          id,
          { phases: ['SENT'], callee: s.uid },
          { phase: 'RECEIVED', calleeSessionId: s.id, ...withDeadline(config.invitationExpireMs) },
        );
        if (!r) return (await store.get(s.appId, id))?.callee === s.uid ? ok() : fail(ALREADY_END);
        if (missedByEnd(s)) {
          await undoLate(s, r);
          return ok();
        }
        rearm(r);
        await toCaller(r, InvitationOp.ReceivedByPeer, { id } satisfies InvitationIdBody);
        return ok();
      },
    );

    /**
     * Whether session `s` ended and its sessionEnd hook already listed its invitations: an ack or
     * accept of `s` applied now was not seen there (it listed before the record named `s`), so
     * nobody would end it and the caller would wait for the expiry, or for a confirmation that
     * cannot come. Applied before the listing, the hook sees it and ends it (PEER_OFFLINE).
     */
    const missedByEnd = (s: Session): boolean => s.phase === 'ended' && s.ext.get(ENDED_LISTED) === true;

    /**
     * An ack or accept the sessionEnd hook missed does not count: the invitation is SENT again
     * with what is left of its ack timeout, and goes to the callee's current session if it has one
     * (a remote login's new session acknowledges it); else the ack timeout tells the caller
     * PEER_OFFLINE. A compare-and-set, so a concurrent outcome wins.
     */
    async function undoLate(s: Session, r: InvitationRecord): Promise<void> {
      const deadline = Math.max(Date.now(), r.createdAt + config.invitationAckTimeoutMs);
      const back = await store.advance(
        s.appId,
        r.id,
        { phases: ['RECEIVED', 'ACCEPTING'], calleeSessionId: s.id },
        { phase: 'SENT', calleeSessionId: null, response: '', deadline, keepUntil: deadline + KEEP_SLACK_MS },
      );
      if (!back) return;
      log.debug({ id: r.id }, 'invitation answered by a session that had ended: back to SENT');
      rearm(back);
      await ctx.users.toUser(back.appId, back.callee, receivedEvent(back)).catch(() => false);
    }

    /** Why an accept/refuse did not apply: 4 while an accept is in progress, else 3. */
    const answerFailure = async (s: Session, id: string): Promise<Reply> => {
      const cur = await store.get(s.appId, id);
      return fail(cur && cur.callee === s.uid && cur.phase === 'ACCEPTING' ? ALREADY_ACCEPT : ALREADY_END);
    };

    ctx.registry.request('invitations', RequestOps.InvitationAccept, async (s, body): Promise<Reply> => {
      const id = body.id;
      const response = body.response ?? '';
      if (tooLong(s, response)) return fail(INVALID_ARGUMENT);
      // SENT too: an accept may overtake its own ack; it implies receipt.
      const r = await store.advance(
        s.appId,
        id,
        { phases: ['SENT', 'RECEIVED'], callee: s.uid },
        { phase: 'ACCEPTING', calleeSessionId: s.id, response, ...withDeadline(confirmMs) },
      );
      if (!r) return answerFailure(s, id);
      if (missedByEnd(s)) {
        // as for the ack; that session's SDK already failed its copy (ACCEPT_FAILURE)
        await undoLate(s, r);
        return ok();
      }
      rearm(r);
      const delivered = await toCaller(r, InvitationOp.Accepted, {
        id,
        response,
      } satisfies InvitationAnsweredEvent);
      if (!delivered) {
        // Agora: the accept did not reach the caller at all → PEER_OFFLINE.
        const gone = await store.finish(s.appId, id, { phases: ['ACCEPTING'] });
        if (gone) {
          ended(gone);
          await failCallee(gone, 'PEER_OFFLINE');
        }
      }
      return ok();
    });

    ctx.registry.request('invitations', RequestOps.InvitationRefuse, async (s, body): Promise<Reply> => {
      const id = body.id;
      const response = body.response ?? '';
      if (tooLong(s, response)) return fail(INVALID_ARGUMENT);
      const r = await store.finish(s.appId, id, { phases: ['SENT', 'RECEIVED'], callee: s.uid });
      if (!r) return answerFailure(s, id);
      ended(r);
      await toCaller(r, InvitationOp.Refused, { id, response } satisfies InvitationAnsweredEvent);
      return ok();
    });

    // ---- sessions ----

    // Pending invitations reach a callee that logs in before their ack timeout, wherever it logs in.
    ctx.registry.hook('sessionReady', async (s) => {
      const list = await store.listForUser(s.appId, s.uid);
      for (const r of list) {
        if (r.callee === s.uid && (r.phase === 'SENT' || r.calleeSessionId === s.id))
          s.send(receivedEvent(r));
      }
    });

    // A session that ends takes its invitations with it; the other side always hears about it.
    ctx.registry.hook('sessionEnd', async (s) => {
      const list = await store.listForUser(s.appId, s.uid);
      s.ext.set(ENDED_LISTED, true); // at once: see missedByEnd
      for (const r of list) {
        if (r.caller === s.uid && r.callerSessionId === s.id) {
          const done = await store.finish(s.appId, r.id, {
            phases: INVITATION_PHASES,
            callerSessionId: s.id,
          });
          if (!done) continue;
          ended(done);
          await failCallee(done, done.phase === 'ACCEPTING' ? 'ACCEPT_FAILURE' : 'PEER_OFFLINE');
        } else if (r.callee === s.uid && r.calleeSessionId === s.id) {
          // Only acknowledged ones: a SENT invitation waits for the callee's next login (or its
          // ack timeout). An ack or accept applied after this listing is undone by its handler.
          const done = await store.finish(s.appId, r.id, {
            phases: ['RECEIVED', 'ACCEPTING'],
            calleeSessionId: s.id,
          });
          if (!done) continue;
          ended(done);
          await failCaller(done, 'PEER_OFFLINE');
        }
      }
    });

    ctx.registry.hook('onClose', () => timers.close());
  },
};
