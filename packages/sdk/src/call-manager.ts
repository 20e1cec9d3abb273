import type { LocalInvitationFailureReason, RemoteInvitationFailureReason } from '@parley/protocol';
import { InvitationApiCallError } from '@parley/protocol';
import { RtmError, RtmInvalidArgumentError } from './errors.js';
import { LocalInvitation, RemoteInvitation } from './invitation.js';
import type { InvitationsApi } from './invitations-api.js';

/**
 * Java `RtmStatusCode.LocalInvitationError` values. Web's `UNKNOWN` has no Java counterpart and is
 * reported as -1.
 */
export const LOCAL_INVITATION_ERROR: Readonly<Record<LocalInvitationFailureReason, number>> = Object.freeze({
  UNKNOWN: -1,
  PEER_OFFLINE: 1,
  PEER_NO_RESPONSE: 2,
  INVITATION_EXPIRE: 3,
  NOT_LOGGEDIN: 4,
});
/** Java `RtmStatusCode.RemoteInvitationError` values (`UNKNOWN` → -1, as above). */
export const REMOTE_INVITATION_ERROR: Readonly<Record<RemoteInvitationFailureReason, number>> = Object.freeze(
  {
    UNKNOWN: -1,
    PEER_OFFLINE: 1,
    ACCEPT_FAILURE: 2,
    INVITATION_EXPIRE: 3,
  },
);

/** Java `ErrorInfo`: what `ResultCallback.onFailure` receives. */
export class ErrorInfo {
  constructor(
    readonly errorCode: number,
    readonly errorDescription: string,
  ) {}
  getErrorCode(): number {
    return this.errorCode;
  }
  getErrorDescription(): string {
    return this.errorDescription;
  }
  toString(): string {
    return `ErrorInfo {errorCode ${this.errorCode}, errorDescription ${this.errorDescription}}`;
  }
}

/** Java `ResultCallback<Void>`; both methods optional. */
export interface ResultCallback<T = void> {
  onSuccess?(result: T): void;
  onFailure?(errorInfo: ErrorInfo): void;
}

/**
 * Java `RtmCallEventListener`: every event of every invitation of the client, with the invitation
 * first. Failure codes are Java's numbers ({@link LOCAL_INVITATION_ERROR}); the Web reason string
 * comes as an extra last argument.
 */
export interface RtmCallEventListener {
  onLocalInvitationReceivedByPeer?(localInvitation: LocalInvitation): void;
  onLocalInvitationAccepted?(localInvitation: LocalInvitation, response: string): void;
  onLocalInvitationRefused?(localInvitation: LocalInvitation, response: string): void;
  onLocalInvitationCanceled?(localInvitation: LocalInvitation): void;
  onLocalInvitationFailure?(
    localInvitation: LocalInvitation,
    errorCode: number,
    reason: LocalInvitationFailureReason,
  ): void;
  onRemoteInvitationReceived?(remoteInvitation: RemoteInvitation): void;
  onRemoteInvitationAccepted?(remoteInvitation: RemoteInvitation): void;
  onRemoteInvitationRefused?(remoteInvitation: RemoteInvitation): void;
  onRemoteInvitationCanceled?(remoteInvitation: RemoteInvitation): void;
  onRemoteInvitationFailure?(
    remoteInvitation: RemoteInvitation,
    errorCode: number,
    reason: RemoteInvitationFailureReason,
  ): void;
}

type Listener = RtmCallEventListener;

/**
 * Java-style access to call invitations (`io.agora.rtm.RtmCallManager`), for code ported from
 * Java: `client.getRtmCallManager()`. It drives the very same `LocalInvitation` /
 * `RemoteInvitation` objects as the Web API, and its listener sees every invitation of the client
 * (after the invitation's own listeners).
 *
 * Each action checks and starts the call synchronously, like `invitation.send()` etc. With a
 * `ResultCallback` it reports through `onSuccess` / `onFailure(ErrorInfo)` (asynchronously, as
 * Java does) and returns nothing; without one it returns a promise that resolves, or rejects with
 * the same `RtmError` (`InvitationApiCallError` code) the invitation method throws. Success means
 * the action was accepted, not that the peer answered: outcomes arrive as listener events.
 */
export class RtmCallManager {
  private listener: Listener | null = null;

  /** @internal use `client.getRtmCallManager()` */
  constructor(private readonly api: InvitationsApi) {
    api.addObserver((inv, event, args) => this.dispatch(inv, event, args));
  }

  /** Same as `client.createLocalInvitation(calleeId)`; throws code 1 for an invalid callee ID. */
  createLocalInvitation(calleeId: string): LocalInvitation {
    return this.api.createLocalInvitation(calleeId);
  }

  sendLocalInvitation(invitation: LocalInvitation): Promise<void>;
  sendLocalInvitation(invitation: LocalInvitation, callback: ResultCallback<void>): void;
  sendLocalInvitation(invitation: LocalInvitation, callback?: ResultCallback<void>): Promise<void> | void {
    return this.run(() => local(invitation).send(), callback);
  }

  cancelLocalInvitation(invitation: LocalInvitation): Promise<void>;
  cancelLocalInvitation(invitation: LocalInvitation, callback: ResultCallback<void>): void;
  cancelLocalInvitation(invitation: LocalInvitation, callback?: ResultCallback<void>): Promise<void> | void {
    return this.run(() => local(invitation).cancel(), callback);
  }

  acceptRemoteInvitation(invitation: RemoteInvitation): Promise<void>;
  acceptRemoteInvitation(invitation: RemoteInvitation, callback: ResultCallback<void>): void;
  acceptRemoteInvitation(
    invitation: RemoteInvitation,
    callback?: ResultCallback<void>,
  ): Promise<void> | void {
    return this.run(() => remote(invitation).accept(), callback);
  }

  refuseRemoteInvitation(invitation: RemoteInvitation): Promise<void>;
  refuseRemoteInvitation(invitation: RemoteInvitation, callback: ResultCallback<void>): void;
  refuseRemoteInvitation(
    invitation: RemoteInvitation,
    callback?: ResultCallback<void>,
  ): Promise<void> | void {
    return this.run(() => remote(invitation).refuse(), callback);
  }

  /** Sets (or with null, removes) the one listener of this call manager. */
  setEventListener(listener: RtmCallEventListener | null): void {
    this.listener = listener;
  }

  private run(action: () => void, callback: ResultCallback<void> | undefined): Promise<void> | void {
    let error: RtmError | null = null;
    try {
      action();
    } catch (e) {
      error =
        e instanceof RtmError
          ? e
          : new RtmInvalidArgumentError(InvitationApiCallError.INVALID_ARGUMENT, String(e));
    }
    if (!callback) return error ? Promise.reject(error) : Promise.resolve();
    const err = error;
    queueMicrotask(() => {
      if (err) callback.onFailure?.(new ErrorInfo(err.code, err.message.replace(/^ Error Code \d+ - /, '')));
      else callback.onSuccess?.(undefined);
    });
  }

  private dispatch(inv: LocalInvitation | RemoteInvitation, event: string, args: unknown[]): void {
    const l = this.listener;
    if (!l) return;
    try {
      if (inv instanceof LocalInvitation) this.dispatchLocal(l, inv, event, args);
      else this.dispatchRemote(l, inv, event, args);
    } catch (e) {
      // A listener's exception must not break the SDK (same rule as event listeners).
      setTimeout(() => {
        throw e;
      });
    }
  }

  private dispatchLocal(l: Listener, inv: LocalInvitation, event: string, args: unknown[]): void {
    if (event === 'LocalInvitationReceivedByPeer') l.onLocalInvitationReceivedByPeer?.(inv);
    else if (event === 'LocalInvitationAccepted') l.onLocalInvitationAccepted?.(inv, args[0] as string);
    else if (event === 'LocalInvitationRefused') l.onLocalInvitationRefused?.(inv, args[0] as string);
    else if (event === 'LocalInvitationCanceled') l.onLocalInvitationCanceled?.(inv);
    else if (event === 'LocalInvitationFailure') {
      const reason = args[0] as LocalInvitationFailureReason;
      l.onLocalInvitationFailure?.(inv, LOCAL_INVITATION_ERROR[reason] ?? -1, reason);
    }
  }

  private dispatchRemote(l: Listener, inv: RemoteInvitation, event: string, args: unknown[]): void {
    if (event === 'RemoteInvitationReceived') l.onRemoteInvitationReceived?.(inv);
    else if (event === 'RemoteInvitationAccepted') l.onRemoteInvitationAccepted?.(inv);
    else if (event === 'RemoteInvitationRefused') l.onRemoteInvitationRefused?.(inv);
    else if (event === 'RemoteInvitationCanceled') l.onRemoteInvitationCanceled?.(inv);
    else if (event === 'RemoteInvitationFailure') {
      const reason = args[0] as RemoteInvitationFailureReason;
      l.onRemoteInvitationFailure?.(inv, REMOTE_INVITATION_ERROR[reason] ?? -1, reason);
    }
  }
}

const notAn = (what: string) =>
  new RtmInvalidArgumentError(InvitationApiCallError.INVALID_ARGUMENT, `The argument is not a ${what}.`);
function local(inv: unknown): LocalInvitation {
  if (!(inv instanceof LocalInvitation)) throw notAn('LocalInvitation');
  return inv;
}
function remote(inv: unknown): RemoteInvitation {
  if (!(inv instanceof RemoteInvitation)) throw notAn('RemoteInvitation');
  return inv;
}
