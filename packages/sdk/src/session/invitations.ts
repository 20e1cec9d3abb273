import {
  InvitationOp,
  SignalingOp,
  type InvitationAnsweredEvent,
  type InvitationCanceledEvent,
  type InvitationIdBody,
  type InvitationLocalFailureEvent,
  type InvitationReceivedEvent,
  type InvitationRemoteFailureEvent,
  type InvitationSendResponse,
  type LocalInvitationFailureReason,
  type RemoteInvitationFailureReason,
  type SigInviteEndedEvent,
} from '@parley/protocol';
import type { Core } from '../core.js';
import { RecentIds } from './recent-ids.js';
import { type Reply, request } from './request.js';

/** How long a request of an invitation may wait (also while RECONNECTING) before it fails. */
export const INVITATION_REQUEST_TIMEOUT_MS = 10_000;
/** Invitations already shown to the app, to drop re-deliveries. */
const SEEN_IDS = 4096;
/** Caller events held for ids not known yet (while a send is unanswered); more is not a race. */
const EARLY_EVENTS = 256;
/** The server events of a caller's invitation (they name it by the id the send's answer carries). */
const CALLER_OPS: readonly number[] = [
  InvitationOp.ReceivedByPeer,
  InvitationOp.Accepted,
  InvitationOp.Refused,
  InvitationOp.LocalFailure,
];

/** The answer to a send: the invitation's id, or the reply that refused it (or a local failure: TIMEOUT, NOT_LOGGED_IN). */
export type SendOutcome = { id: string } | { failed: Reply };

/**
 * How an SDK shows its invitations (`C`: the caller's objects, `E`: the callee's). The engine
 * decides what happened; the skin tells the app in its own names, callbacks and codes.
 */
export interface InvitationSkin<C, E> {
  /** an invitation arrived (not a re-delivery): the callee's object for it */
  incoming(ev: InvitationReceivedEvent): E;
  /** ... now tracked: show it to the app */
  shown(inv: E): void;
  receivedByPeer(inv: C): void;
  /** the callee answered; true if an acceptance was shown (the engine then confirms it) */
  answered(inv: C, accepted: boolean, response: string): boolean;
  callerFailed(inv: C, reason: LocalInvitationFailureReason): void;
  canceled(inv: E, content: string): void;
  calleeFailed(inv: E, reason: RemoteInvitationFailureReason): void;
  /** the caller confirmed an accept: true if one was waiting for it (the call is on, untracked) */
  confirmed(inv: E): boolean;
  /** Signaling: the callee ended the invitation before answering (SigInviteEnded) */
  endedByCallee?(inv: C, extra: string): void;
}

/**
 * The invitation state machine both SDKs run on the wire protocol (docs/invitations.md): sends
 * and their answers, the server's events routed to the invitation they name, re-deliveries
 * dropped, and the acks the server waits for (ReceivedAck after the callee saw an invitation,
 * AcceptAck after the caller saw the acceptance). The server owns each invitation's state; an
 * invitation is tracked here from its id until the event that ends it.
 */
export class InvitationEngine<C extends object, E extends object> {
  private readonly callers = new Map<string, C>();
  private readonly callees = new Map<string, E>();
  /** the server id of every invitation that has one */
  private readonly ids = new WeakMap<C | E, string>();
  /** sent, not answered yet (no id) */
  private readonly sending = new Set<C>();
  /** canceled before the send was answered: the content to cancel with once the id is known */
  private readonly cancelOnAnswer = new Map<C, string>();
  /**
   * Caller events for ids not known yet, in arrival order, kept while a send is unanswered: the
   * send's answer can be processed after them (it resolves a promise, events apply at once, so a
   * frame or a read holding both applies the event first), or a server may send them first.
   * Applied as soon as the answer names their id; dropped when no send is left unanswered.
   */
  private early: Array<{ op: number; body: unknown }> = [];
  private seen = new RecentIds(SEEN_IDS);
  private readonly callerOps: ReadonlySet<number>;

  constructor(
    /** the core to send on, null when not logged in */
    private readonly core: () => Core | null,
    private readonly skin: InvitationSkin<C, E>,
  ) {
    this.callerOps = new Set(skin.endedByCallee ? [...CALLER_OPS, SignalingOp.InviteEnded] : CALLER_OPS);
  }

  /** The server id of a sent (and answered) or received invitation, else null. */
  idOf(inv: C | E): string | null {
    return this.ids.get(inv) ?? null;
  }

  // ---- caller ----

  /** Sends an invitation (`op`: RTM's Send or Signaling's Invite); `settle` gets the answer. */
  send(inv: C, op: number, body: unknown, settle: (o: SendOutcome) => void): void {
    this.sending.add(inv);
    void this.call(op, body).then((r) => {
      this.sending.delete(inv);
      const cancelWith = this.cancelOnAnswer.get(inv);
      this.cancelOnAnswer.delete(inv);
      if (r.code !== 0) {
        this.dropEarly();
        settle({ failed: r });
        return;
      }
      const id = (r.body as InvitationSendResponse).id;
      this.ids.set(inv, id);
      if (cancelWith === undefined) this.callers.set(id, inv);
      else void this.request(InvitationOp.Cancel, { id, content: cancelWith });
      settle({ id });
      this.applyEarly(id);
    });
  }

  /**
   * Cancels a sent invitation, passing `content` to the callee: now, or as soon as the send is
   * answered. Resolves with the server's code (negative: not answered, or not sent yet).
   */
  cancel(inv: C, content: string): Promise<number> {
    const id = this.ids.get(inv);
    if (id === undefined) {
      if (this.sending.has(inv)) this.cancelOnAnswer.set(inv, content);
      return Promise.resolve(-1);
    }
    this.forget(inv);
    return this.request(InvitationOp.Cancel, { id, content });
  }

  // ---- callee ----

  /** Accepts; an accept the server refuses or never answers fails the invitation (ACCEPT_FAILURE). */
  accept(inv: E, response: string): void {
    const id = this.ids.get(inv);
    if (id === undefined) return;
    void this.call(InvitationOp.Accept, { id, response }).then((r) => {
      // Normally explained by an event that came first (canceled, failed): then it is over already.
      if (r.code === 0 || this.callees.get(id) !== inv) return;
      this.callees.delete(id);
      this.skin.calleeFailed(inv, 'ACCEPT_FAILURE');
    });
  }

  refuse(inv: E, response: string): void {
    const id = this.ids.get(inv);
    if (id === undefined) return;
    this.forget(inv);
    void this.request(InvitationOp.Refuse, { id, response });
  }

  // ---- either side ----

  /** Stops tracking an invitation without telling the server. */
  forget(inv: C | E): void {
    const id = this.ids.get(inv);
    if (id === undefined) return;
    if (this.callers.get(id) === inv) this.callers.delete(id);
    if (this.callees.get(id) === inv) this.callees.delete(id);
  }

  /** A request whose outcome the server's events carry: resolves with its code (negative: no answer). */
  request(op: number, body: unknown): Promise<number> {
    return this.call(op, body).then((r) => r.code);
  }

  /**
   * The session ended (logout, lost and replaced): forgets every invitation and returns those
   * that were live, for the skin to fail. With `sending`, also the sends still unanswered.
   */
  clear(sending: boolean): { callers: C[]; callees: E[]; sending: C[] } {
    this.early = [];
    const out = {
      callers: [...this.callers.values()],
      callees: [...this.callees.values()],
      sending: [] as C[],
    };
    this.callers.clear();
    this.callees.clear();
    // A re-delivery after this is a live invitation on the new session: show it again.
    this.seen = new RecentIds(SEEN_IDS);
    if (sending) {
      out.sending = [...this.sending];
      this.sending.clear();
      this.cancelOnAnswer.clear();
    }
    return out;
  }

  // ---- server events ----

  /** Applies an invitation event; false if `op` is not one. */
  onEvent(op: number, body: unknown): boolean {
    if (this.callerOps.has(op) && this.sending.size > 0) {
      const id = (body as InvitationIdBody | null)?.id;
      if (typeof id === 'string' && !this.callers.has(id)) {
        if (this.early.length >= EARLY_EVENTS) this.early.shift();
        this.early.push({ op, body });
        return true;
      }
    }
    return this.apply(op, body);
  }

  private apply(op: number, body: unknown): boolean {
    const skin = this.skin;
    switch (op) {
      case InvitationOp.Received:
        this.received(body as InvitationReceivedEvent);
        return true;
      case InvitationOp.ReceivedByPeer: {
        const inv = this.callers.get((body as InvitationIdBody).id);
        if (inv) skin.receivedByPeer(inv);
        return true;
      }
      case InvitationOp.Accepted:
      case InvitationOp.Refused: {
        const { id, response } = body as InvitationAnsweredEvent;
        const inv = this.endCaller(id);
        const accepted = op === InvitationOp.Accepted;
        // Confirm after the app saw the acceptance, so the callee's side follows it.
        if (inv && skin.answered(inv, accepted, response ?? '') && accepted)
          void this.request(InvitationOp.AcceptAck, { id });
        return true;
      }
      case InvitationOp.LocalFailure: {
        const { id, reason } = body as InvitationLocalFailureEvent;
        const inv = this.endCaller(id);
        if (inv) skin.callerFailed(inv, reason);
        return true;
      }
      case SignalingOp.InviteEnded: {
        if (!skin.endedByCallee) return false;
        // The callee ended it before answering; the Refused that follows finds no invitation.
        const { id, extra } = body as SigInviteEndedEvent;
        const inv = this.endCaller(id);
        if (inv) skin.endedByCallee(inv, extra ?? '');
        return true;
      }
      case InvitationOp.Canceled: {
        const { id, content } = body as InvitationCanceledEvent;
        const inv = this.endCallee(id);
        if (inv) skin.canceled(inv, content ?? '');
        return true;
      }
      case InvitationOp.RemoteFailure: {
        const { id, reason } = body as InvitationRemoteFailureEvent;
        const inv = this.endCallee(id);
        if (inv) skin.calleeFailed(inv, reason);
        return true;
      }
      case InvitationOp.AcceptConfirmed: {
        const { id } = body as InvitationIdBody;
        const inv = this.callees.get(id);
        if (inv && skin.confirmed(inv)) this.callees.delete(id);
        return true;
      }
    }
    return false;
  }

  private received(ev: InvitationReceivedEvent): void {
    if (this.seen.add(ev.id)) {
      const inv = this.skin.incoming(ev);
      this.ids.set(inv, ev.id);
      this.callees.set(ev.id, inv);
      this.skin.shown(inv);
    }
    // Acknowledge after the app saw it (and again for a re-delivery: the server may have missed it).
    void this.request(InvitationOp.ReceivedAck, { id: ev.id });
  }

  /** The caller's invitation `id` reached its end: no longer tracked. */
  private endCaller(id: string): C | undefined {
    const inv = this.callers.get(id);
    this.callers.delete(id);
    return inv;
  }

  private endCallee(id: string): E | undefined {
    const inv = this.callees.get(id);
    this.callees.delete(id);
    return inv;
  }

  /** The send that got `id` was answered: its early events apply now, in their order. */
  private applyEarly(id: string): void {
    const mine = this.early.filter((e) => (e.body as InvitationIdBody).id === id);
    if (mine.length > 0) this.early = this.early.filter((e) => (e.body as InvitationIdBody).id !== id);
    for (const e of mine) this.apply(e.op, e.body);
    this.dropEarly();
  }

  /** No send is left unanswered: what is still held belongs to no invitation of ours. */
  private dropEarly(): void {
    if (this.sending.size === 0) this.early = [];
  }

  private call(op: number, body: unknown): Promise<Reply> {
    return request(this.core(), op, body, INVITATION_REQUEST_TIMEOUT_MS);
  }
}
