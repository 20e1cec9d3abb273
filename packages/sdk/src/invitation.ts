import { TypedEventEmitter } from './typed-emitter.js';
import type { LocalInvitationEvents, RemoteInvitationEvents } from './events.js';
import type { ClientInternals, ClientModule } from './invoke.js';
import { RtmInvalidArgumentError, RtmNotImplementedError } from './errors.js';
import { isValidUserId, type LocalInvitationState, type RemoteInvitationState } from '@parley/protocol';

/** The caller's side of a call invitation. */
export class LocalInvitation extends TypedEventEmitter<LocalInvitationEvents> {
  content = '';
  channelId = '';
  readonly response: string = '';
  readonly state: LocalInvitationState = 'IDLE';
  constructor(readonly calleeId: string) {
    super();
  }
  send(): void {
    throw new RtmNotImplementedError(1, 'invitations are not available yet.');
  }
  cancel(): void {
    throw new RtmNotImplementedError(1, 'invitations are not available yet.');
  }
}

/** The callee's side of a call invitation. */
export class RemoteInvitation extends TypedEventEmitter<RemoteInvitationEvents> {
  readonly callerId: string = '';
  readonly content: string = '';
  readonly channelId: string = '';
  response = '';
  readonly state: RemoteInvitationState = 'INVITATION_RECEIVED';
  accept(): void {
    throw new RtmNotImplementedError(1, 'invitations are not available yet.');
  }
  refuse(): void {
    throw new RtmNotImplementedError(1, 'invitations are not available yet.');
  }
}

/** Creates invitations and routes their server events. */
export class InvitationsApi implements ClientModule {
  constructor(private readonly c: ClientInternals) {}
  onEvent(_op: number, _body: unknown): boolean {
    return false;
  }
  createLocalInvitation(calleeId: string): LocalInvitation {
    if (!isValidUserId(calleeId)) throw new RtmInvalidArgumentError(1, 'The callee ID is invalid.');
    return new LocalInvitation(calleeId);
  }
}
