import {
  DEFAULT_LIMITS,
  InvitationApiCallError as Code,
  InvitationOp,
  isValidUserId,
} from '@parley/protocol';
import type { ClientInternals, ClientModule } from './invoke.js';
import { LocalInvitation, RemoteInvitation, apiError } from './invitation.js';
import { InvitationEngine } from './session/invitations.js';
import { NOT_LOGGED_IN } from './session/request.js';

/** Any invitation event of any invitation, for the Java-style call manager. */
export type InvitationObserver = (
  invitation: LocalInvitation | RemoteInvitation,
  event: string,
  args: unknown[],
) => void;

/**
 * Creates invitations and shows them as agora-rtm-sdk's objects; the state machine underneath
 * (requests, the server's events, re-deliveries, acks) is the client core's InvitationEngine,
 * shared with the Signaling SDK. The server owns each invitation's state (docs/invitations.md).
 */
export class InvitationsApi implements ClientModule {
  private readonly observers = new Set<InvitationObserver>();
  private readonly engine: InvitationEngine<LocalInvitation, RemoteInvitation>;

  constructor(private readonly c: ClientInternals) {
    this.engine = new InvitationEngine<LocalInvitation, RemoteInvitation>(() => c.core, {
      incoming: (ev) => new RemoteInvitation(ev, this),
      shown: (inv) => {
        this.c.emit('RemoteInvitationReceived', inv);
        for (const fn of this.observers) fn(inv, 'RemoteInvitationReceived', []);
      },
      receivedByPeer: (inv) => inv._receivedByPeer(),
      answered: (inv, accepted, response) => inv._answered(accepted, response),
      callerFailed: (inv, reason) => inv._fail(reason),
      canceled: (inv, content) => inv._canceled(content),
      calleeFailed: (inv, reason) => inv._fail(reason),
      confirmed: (inv) => {
        inv._confirmed();
        return inv._ended;
      },
    });
  }

  createLocalInvitation(calleeId: string): LocalInvitation {
    if (!isValidUserId(calleeId)) throw apiError(Code.INVALID_ARGUMENT, 'The callee ID is invalid.');
    return new LocalInvitation(calleeId, this);
  }

  /** @internal the call manager's hook */
  addObserver(fn: InvitationObserver): () => void {
    this.observers.add(fn);
    return () => this.observers.delete(fn);
  }

  onEvent(op: number, body: unknown): boolean {
    return this.engine.onEvent(op, body);
  }

  /** The session was lost and replaced: the server ended its invitations with it. */
  onRelogged(): void {
    this.endAll(false);
  }

  /** Logout / ABORTED / release: nothing survives the session. */
  onReset(): void {
    this.endAll(true);
  }

  private endAll(sending: boolean): void {
    const live = this.engine.clear(sending);
    for (const inv of live.callers) inv._fail('NOT_LOGGEDIN');
    for (const inv of live.callees)
      inv._fail(inv.state === 'ACCEPT_SENT_TO_LOCAL' ? 'ACCEPT_FAILURE' : 'UNKNOWN');
    for (const inv of live.sending) inv._fail('NOT_LOGGEDIN');
  }

  // ---- called by the invitation objects ----

  /** @internal */
  _contentLimit(): number {
    return this.c.core.limits?.invitationContentBytes ?? DEFAULT_LIMITS.invitationContentBytes;
  }

  /** @internal */
  _observe(inv: LocalInvitation | RemoteInvitation, event: string, args: unknown[]): void {
    for (const fn of this.observers) fn(inv, event, args);
  }

  /** @internal */
  _send(inv: LocalInvitation): void {
    if (!this.c.core.loggedIn) {
      // Agora: no throw; the failure arrives asynchronously.
      queueMicrotask(() => inv._fail('NOT_LOGGEDIN'));
      return;
    }
    this.engine.send(inv, InvitationOp.Send, inv._wireBody(), (o) => {
      // Refused or unanswered: UNKNOWN; logged out (or the session ended) meanwhile: NOT_LOGGEDIN.
      if ('failed' in o) inv._fail(o.failed.code === NOT_LOGGED_IN ? 'NOT_LOGGEDIN' : 'UNKNOWN');
    });
  }

  /** @internal */
  _cancel(inv: LocalInvitation): void {
    void this.engine.cancel(inv, inv._canceledContent);
  }

  /** @internal */
  _answer(inv: RemoteInvitation, accept: boolean): void {
    if (accept) this.engine.accept(inv, inv.response);
    else this.engine.refuse(inv, inv.response);
  }
}
