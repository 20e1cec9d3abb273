import {
  InvitationApiCallError as Code,
  isValidChannelId,
  utf8Length,
  type InvitationReceivedEvent,
  type LocalInvitationFailureReason,
  type LocalInvitationState,
  type RemoteInvitationFailureReason,
  type RemoteInvitationState,
} from '@parley/protocol';
import { TypedEventEmitter } from './typed-emitter.js';
import type * as S from './status-enums.js';
import { asEnum } from './status-enums.js';
import type { LocalInvitationEvents, RemoteInvitationEvents } from './events.js';
import type { InvitationsApi } from './invitations-api.js';
import {
  errorFrom,
  RtmInvalidArgumentError as Arg,
  RtmInvalidStatusError as Status,
  type ErrorTable,
  type RtmError,
} from './errors.js';

/**
 * `InvitationApiCallError` codes and the classes agora-rtm-sdk throws for them: a bad argument is
 * RtmInvalidArgumentError, misuse in the wrong state is RtmInvalidStatusError.
 */
export const INVITATION_API_ERRORS: ErrorTable = {
  [Code.INVALID_ARGUMENT]: [Arg, 'Invalid invitation argument.'],
  [Code.NOT_STARTED]: [Status, 'The invitation has not been sent yet.'],
  [Code.ALREADY_END]: [Status, 'The invitation has already ended.'],
  [Code.ALREADY_ACCEPT]: [Status, 'The invitation is being accepted.'],
  [Code.ALREADY_SENT]: [Status, 'The invitation has already been sent.'],
};
export const apiError = (code: number, detail?: string): RtmError =>
  errorFrom(INVITATION_API_ERRORS, code, detail);

const LOCAL_ENDED: ReadonlySet<LocalInvitationState> = new Set([
  'ACCEPTED_BY_REMOTE',
  'REFUSED_BY_REMOTE',
  'CANCELED',
  'FAILURE',
]);
const REMOTE_ENDED: ReadonlySet<RemoteInvitationState> = new Set([
  'ACCEPTED',
  'REFUSED',
  'CANCELED',
  'FAILURE',
]);

/**
 * The caller's side of a call invitation (agora-rtm-sdk `LocalInvitation`). Create it with
 * `client.createLocalInvitation(calleeId)`, set `content` / `channelId`, then `send()`.
 * States: IDLE → SENT_TO_REMOTE → RECEIVED_BY_REMOTE → ACCEPTED_BY_REMOTE | REFUSED_BY_REMOTE |
 * CANCELED | FAILURE (docs/invitations.md).
 */
export class LocalInvitation extends TypedEventEmitter<LocalInvitationEvents> {
  readonly #api: InvitationsApi;
  readonly #calleeId: string;
  #state: LocalInvitationState = 'IDLE';
  #content: unknown = '';
  #channelId = '';
  #response = '';
  #canceledContent: string | null = null;

  /** @internal use `client.createLocalInvitation(calleeId)` */
  constructor(calleeId: string, api: InvitationsApi) {
    super();
    this.#calleeId = calleeId;
    this.#api = api;
  }

  get calleeId(): string {
    return this.#calleeId;
  }

  /** ≤ 8 KB of UTF-8; checked by `send()` and `cancel()` (code 1). */
  get content(): string {
    return this.#content as string;
  }
  set content(value: string) {
    this.#content = value;
  }

  /** Settable only while IDLE (later sets are ignored); '' or a valid channel id (code 1). */
  get channelId(): string {
    return this.#channelId;
  }
  set channelId(value: string) {
    if (this.#state !== 'IDLE') return;
    if (typeof value !== 'string' || (value !== '' && !isValidChannelId(value)))
      throw apiError(Code.INVALID_ARGUMENT, 'The channel ID is invalid.');
    this.#channelId = value;
  }

  /** The callee's response, filled in on accept or refuse. Read-only: setting it throws code 1. */
  get response(): string {
    return this.#response;
  }
  set response(_value: never) {
    throw apiError(Code.INVALID_ARGUMENT, 'response is read-only on a LocalInvitation.');
  }

  get state(): S.LocalInvitationState {
    return asEnum<S.LocalInvitationState>(this.#state);
  }

  /**
   * Sends the invitation (synchronous; the outcome arrives as events). Throws code 5 once sent,
   * 3 once ended, 1 for an invalid content/channel ID. Not logged in: no throw, an asynchronous
   * `LocalInvitationFailure('NOT_LOGGEDIN')`.
   */
  send(): void {
    if (LOCAL_ENDED.has(this.#state)) throw apiError(Code.ALREADY_END);
    if (this.#state !== 'IDLE') throw apiError(Code.ALREADY_SENT);
    this.#checkContent();
    this.#state = 'SENT_TO_REMOTE';
    this.#api._send(this);
  }

  /**
   * Cancels a sent invitation, passing the current `content` to the callee. Sets CANCELED and emits
   * `LocalInvitationCanceled` at once. Throws code 2 while IDLE, 3 once ended, 1 for invalid content.
   */
  cancel(): void {
    if (this.#state === 'IDLE') throw apiError(Code.NOT_STARTED);
    if (LOCAL_ENDED.has(this.#state)) throw apiError(Code.ALREADY_END);
    this.#checkContent();
    this.#canceledContent = this.#content as string;
    this.#state = 'CANCELED';
    this.#api._cancel(this);
    this._fire('LocalInvitationCanceled');
  }

  #checkContent(): void {
    const c = this.#content;
    if (typeof c !== 'string' || utf8Length(c) > this.#api._contentLimit())
      throw apiError(Code.INVALID_ARGUMENT, 'The content is invalid or longer than 8 KB.');
  }

  /** @internal */
  get _ended(): boolean {
    return LOCAL_ENDED.has(this.#state);
  }
  /** @internal the content sent with the cancel */
  get _canceledContent(): string {
    return this.#canceledContent ?? '';
  }
  /** @internal */
  _wireBody(): { to: string; content: string; channelId: string } {
    return { to: this.#calleeId, content: this.#content as string, channelId: this.#channelId };
  }

  /** @internal server events; each applies only in the states where it makes sense */
  _receivedByPeer(): void {
    if (this.#state !== 'SENT_TO_REMOTE') return;
    this.#state = 'RECEIVED_BY_REMOTE';
    this._fire('LocalInvitationReceivedByPeer');
  }
  /** @internal returns true if it moved to the outcome */
  _answered(accepted: boolean, response: string): boolean {
    if (this.#state !== 'SENT_TO_REMOTE' && this.#state !== 'RECEIVED_BY_REMOTE') return false;
    // An answer can overtake the receipt notice; Agora emits ReceivedByPeer first.
    this._receivedByPeer();
    this.#response = response;
    this.#state = accepted ? 'ACCEPTED_BY_REMOTE' : 'REFUSED_BY_REMOTE';
    if (accepted) this._fire('LocalInvitationAccepted', response);
    else this._fire('LocalInvitationRefused', response);
    return true;
  }
  /** @internal */
  _fail(reason: LocalInvitationFailureReason): void {
    if (LOCAL_ENDED.has(this.#state) || this.#state === 'IDLE') return;
    this.#state = 'FAILURE';
    this._fire('LocalInvitationFailure', asEnum<S.LocalInvitationFailureReason>(reason));
  }
  /** @internal emits on the invitation, then tells the call manager */
  _fire<K extends keyof LocalInvitationEvents>(
    event: K,
    ...args: Parameters<LocalInvitationEvents[K]>
  ): void {
    this.emit(event, ...args);
    this.#api._observe(this, event, args);
  }
}

/**
 * The callee's side of a call invitation (agora-rtm-sdk `RemoteInvitation`), delivered by the client
 * event `RemoteInvitationReceived`. States: INVITATION_RECEIVED → ACCEPT_SENT_TO_LOCAL → ACCEPTED |
 * REFUSED | CANCELED | FAILURE (docs/invitations.md).
 */
export class RemoteInvitation extends TypedEventEmitter<RemoteInvitationEvents> {
  readonly #api: InvitationsApi;
  readonly #callerId: string;
  readonly #content: string;
  readonly #channelId: string;
  #state: RemoteInvitationState = 'INVITATION_RECEIVED';
  #response: unknown = '';

  /** @internal created by the SDK when an invitation arrives */
  constructor(ev: InvitationReceivedEvent, api: InvitationsApi) {
    super();
    this.#api = api;
    this.#callerId = ev.from;
    this.#content = ev.content;
    this.#channelId = ev.channelId;
  }

  get callerId(): string {
    return this.#callerId;
  }
  /** The caller's content. Read-only: setting it throws code 1. */
  get content(): string {
    return this.#content;
  }
  set content(_value: never) {
    throw apiError(Code.INVALID_ARGUMENT, 'content is read-only on a RemoteInvitation.');
  }
  /** The caller's channel ID. Read-only: setting it throws code 1. */
  get channelId(): string {
    return this.#channelId;
  }
  set channelId(_value: never) {
    throw apiError(Code.INVALID_ARGUMENT, 'channelId is read-only on a RemoteInvitation.');
  }
  /** Your response, sent with `accept()` / `refuse()`; ≤ 8 KB of UTF-8 (checked there, code 1). */
  get response(): string {
    return this.#response as string;
  }
  set response(value: string) {
    this.#response = value;
  }
  get state(): S.RemoteInvitationState {
    return asEnum<S.RemoteInvitationState>(this.#state);
  }

  /**
   * Accepts (synchronous). State ACCEPT_SENT_TO_LOCAL until the caller confirms; then ACCEPTED and
   * `RemoteInvitationAccepted`. Throws code 4 while an accept is in progress, 3 once ended, 1 for an
   * invalid response.
   */
  accept(): void {
    if (REMOTE_ENDED.has(this.#state)) throw apiError(Code.ALREADY_END);
    if (this.#state === 'ACCEPT_SENT_TO_LOCAL') throw apiError(Code.ALREADY_ACCEPT);
    this.#checkResponse();
    this.#state = 'ACCEPT_SENT_TO_LOCAL';
    this.#api._answer(this, true);
  }

  /**
   * Refuses (synchronous): sets REFUSED and emits `RemoteInvitationRefused` at once. Throws code 4
   * while an accept is in progress, 3 once ended, 1 for an invalid response.
   */
  refuse(): void {
    if (this.#state === 'ACCEPT_SENT_TO_LOCAL') throw apiError(Code.ALREADY_ACCEPT);
    if (REMOTE_ENDED.has(this.#state)) throw apiError(Code.ALREADY_END);
    this.#checkResponse();
    this.#state = 'REFUSED';
    this.#api._answer(this, false);
    this._fire('RemoteInvitationRefused');
  }

  #checkResponse(): void {
    const r = this.#response;
    if (typeof r !== 'string' || utf8Length(r) > this.#api._contentLimit())
      throw apiError(Code.INVALID_ARGUMENT, 'The response is invalid or longer than 8 KB.');
  }

  /** @internal */
  get _ended(): boolean {
    return REMOTE_ENDED.has(this.#state);
  }
  /** @internal */
  _confirmed(): void {
    if (this.#state !== 'ACCEPT_SENT_TO_LOCAL') return;
    this.#state = 'ACCEPTED';
    this._fire('RemoteInvitationAccepted');
  }
  /** @internal */
  _canceled(content: string): void {
    if (REMOTE_ENDED.has(this.#state)) return;
    this.#state = 'CANCELED';
    this._fire('RemoteInvitationCanceled', content);
  }
  /** @internal */
  _fail(reason: RemoteInvitationFailureReason): void {
    if (REMOTE_ENDED.has(this.#state)) return;
    this.#state = 'FAILURE';
    this._fire('RemoteInvitationFailure', asEnum<S.RemoteInvitationFailureReason>(reason));
  }
  /** @internal */
  _fire<K extends keyof RemoteInvitationEvents>(
    event: K,
    ...args: Parameters<RemoteInvitationEvents[K]>
  ): void {
    this.emit(event, ...args);
    this.#api._observe(this, event, args);
  }
}
