import {
  ConnectionState as CS,
  LoginError,
  MEDIA_LIMITS,
  NOT_LOGGED_IN,
  Op,
  PeerMessageError,
  RenewTokenError,
  isValidUserId,
  type ConnectionChangeReason,
  type ConnectionState,
  type PeerMessageEvent,
  type PeerSendResponse,
  type PeerSubscriptionOption,
} from '@parley/protocol';
import { Core } from './core.js';
import {
  errorFrom,
  RtmInvalidArgumentError,
  RtmInvalidStatusError,
  RtmInvokeTooOftenError,
} from './errors.js';
import {
  LOGIN_ERRORS,
  LOGOUT_ERRORS,
  PEER_MESSAGE_ERRORS,
  PEER_MESSAGE_TOO_LARGE,
  RENEW_TOKEN_ERRORS,
} from './error-tables.js';
import type { RtmClientEvents } from './events.js';
import { invoke, type ClientInternals, type ClientModule } from './invoke.js';
import { checkMessage, fromWire, mediaMessage, readThumbnail, receivedProps } from './messages.js';
import { MediaApi } from './media.js';
import { TypedEventEmitter } from './typed-emitter.js';
import type * as S from './status-enums.js';
import { asEnum } from './status-enums.js';
import { PresenceApi } from './presence.js';
import { UserAttrsApi } from './user-attrs.js';
import { ChannelsApi, type RtmChannel } from './channel.js';
import { ChannelAttrsApi } from './channel-attrs.js';
import type { LocalInvitation } from './invitation.js';
import { InvitationsApi } from './invitations-api.js';
import { RtmCallManager } from './call-manager.js';
import type {
  AttributesMap,
  ChannelAttributeOptions,
  ChannelAttributes,
  MediaMessageParams,
  MediaTransferHandler,
  PeerMessageSendResult,
  RtmConfig,
  RtmFileMessage,
  RtmImageMessage,
  RtmMessage,
  SendMessageOptions,
} from './types.js';
import { SendBudget } from './send-budget.js';
import { PeerInbox } from './session/peer-inbox.js';
import { defaultServerUrl, type WebSocketCtor } from './platform.js';

export const SDK_VERSION = '1.5.1';
/** Agora: 10 s message timeout; while reconnecting a send waits ≤ 9 s of that for the link. */
const MESSAGE_TIMEOUT_MS = 10_000;
const LOGIN_GAP_MS = 500;

/**
 * The RTM client (agora-rtm-sdk 1.5.x RtmClient). Methods, events and error codes are Agora's.
 *
 * @example
 * const client = AgoraRTM.createInstance(appId, { serverUrl: 'ws://127.0.0.1:8080/rtm' });
 * client.on('MessageFromPeer', (msg, peerId) => console.log(peerId, msg.text));
 * await client.login({ uid: 'alice' });
 * await client.sendMessageToPeer({ text: 'hi' }, 'bob');
 */
export class RtmClient extends TypedEventEmitter<RtmClientEvents> {
  /** @internal */ readonly core: Core;
  private readonly presence: PresenceApi;
  private readonly userAttrs: UserAttrsApi;
  private readonly channels: ChannelsApi;
  private readonly channelAttrs: ChannelAttrsApi;
  private readonly invitations: InvitationsApi;
  private readonly media: MediaApi;
  private readonly modules: ClientModule[];
  private readonly budget = new SendBudget();
  /** acks peer messages and drops re-deliveries and re-sends; kept across re-logins */
  private readonly peerInbox = new PeerInbox();
  private lastLoginAt = 0;
  /** logout() calls so far: a renewal that sees this change while it waits was cut short by one */
  private logouts = 0;
  private config: RtmConfig;

  constructor(
    readonly appId: string,
    config: RtmConfig = {},
  ) {
    super();
    this.config = config;
    const serverUrl = config.serverUrl ?? defaultServerUrl();
    this.core = new Core(
      {
        serverUrl,
        appId,
        kind: 'rtm',
        WebSocket: config.WebSocket as WebSocketCtor | undefined,
        loginTimeoutMs: config.loginTimeoutMs ?? 12_000,
        backoff: config.reconnect,
        sdk: `parley-rtm/${SDK_VERSION}`,
      },
      {
        state: (s, r) => this.onState(s, r),
        event: (op, body) => this.onEvent(op, body),
        relogged: () => {
          for (const m of this.modules) m.onRelogged?.();
        },
        resumed: () => {
          for (const m of this.modules) m.onResumed?.();
        },
        tokenExpired: () => this.emit('TokenExpired'),
        tokenWillExpire: () => this.emit('TokenPrivilegeWillExpire'),
      },
    );
    const internals: ClientInternals = {
      core: this.core,
      emit: (event, ...args) => (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args),
      appId,
    };
    this.presence = new PresenceApi(internals);
    this.userAttrs = new UserAttrsApi(internals);
    this.channels = new ChannelsApi(internals, () => this.takeSendBudget());
    this.channelAttrs = new ChannelAttrsApi(internals);
    this.invitations = new InvitationsApi(internals);
    this.media = new MediaApi(this.core, () => this.config.mediaIdleTimeoutMs ?? MEDIA_LIMITS.idleTimeoutMs);
    this.modules = [this.presence, this.userAttrs, this.channels, this.invitations];
  }

  /** Current connection state (Parley extra; Agora exposes it through ConnectionStateChanged). */
  get connectionState(): ConnectionState {
    return this.core.state;
  }

  // ---- login / logout / token ----

  async login(options: { uid: string; token?: string }): Promise<void> {
    const uid = options?.uid;
    const token = options?.token;
    if (!isValidUserId(uid))
      throw new RtmInvalidArgumentError(LoginError.INVALID_ARGUMENT, 'The uid is invalid.');
    if (token !== undefined && token !== null && typeof token !== 'string')
      throw new RtmInvalidArgumentError(LoginError.INVALID_ARGUMENT, 'The token is invalid.');
    if (this.core.state !== CS.DISCONNECTED)
      throw new RtmInvalidStatusError(
        LoginError.ALREADY_LOGIN,
        'The client is already logged in or logging in.',
      );
    const now = Date.now();
    if (now - this.lastLoginAt < LOGIN_GAP_MS)
      throw new RtmInvokeTooOftenError(LoginError.TOO_OFTEN, 'Login too often.');
    this.lastLoginAt = now;
    // Passing the App ID as the token means "no token", as in Agora's SDK.
    const tok = token === this.appId || token === '' || token === null ? undefined : token;
    try {
      await this.core.login(uid, tok);
    } catch (e) {
      const { code, detail } = e as { code: number; detail?: string };
      throw errorFrom(LOGIN_ERRORS, code, detail);
    }
  }

  async logout(): Promise<void> {
    if (this.core.state === CS.DISCONNECTED) throw errorFrom(LOGOUT_ERRORS, 102);
    this.logouts++;
    await this.core.logout();
  }

  async renewToken(token: string): Promise<void> {
    if (typeof token !== 'string' || token === '')
      throw new RtmInvalidArgumentError(RenewTokenError.INVALID_ARGUMENT, 'The token is invalid.');
    if (!this.core.loggedIn) throw errorFrom(RENEW_TOKEN_ERRORS, 102);
    // The next automatic re-login uses the new token at once: after an expiry while RECONNECTING
    // that login is the only way the renewal can reach the server. A refused token is dropped.
    const previous = this.core.token;
    this.core.token = token;
    const logouts = this.logouts;
    try {
      await invoke(this.core, Op.RenewToken, { token }, RENEW_TOKEN_ERRORS, 20_000, RenewTokenError.FAILURE);
    } catch (e) {
      if (this.core.token === token) this.core.token = previous;
      // A logout() while the renewal waited ends it as Agora's does: ABORTED_BY_LOGOUT, not 102.
      if (this.logouts !== logouts && (e as { code?: number }).code === NOT_LOGGED_IN)
        throw errorFrom(RENEW_TOKEN_ERRORS, RenewTokenError.ABORTED_BY_LOGOUT);
      throw e;
    }
  }

  // ---- peer messages ----

  /** Also rebuilds an image or file message from its media id (1.4.x): `{ mediaId, messageType }`. */
  createMessage<T extends RtmMessage>(message: Partial<T>): T {
    const m = message as Partial<RtmImageMessage>;
    if ((m?.messageType === 'IMAGE' || m?.messageType === 'FILE') && typeof m.mediaId === 'string')
      return Object.assign(mediaMessage(m.messageType, { ...m, mediaId: m.mediaId }), m) as T;
    return message as T;
  }

  // ---- image and file messages (1.4.x, docs/media.md) ----

  /**
   * Uploads `payload` (≤ 30 MB) and resolves with the image or file message that carries its
   * media id, to send with sendMessageToPeer or channel.sendMessage. `transHandler` (or `params`,
   * as Agora's guide does) may carry a `cancelSignal`; `onOperationProgress` is told the bytes sent.
   */
  createMediaMessageByUploading(
    payload: Blob,
    params?: MediaMessageParams,
    transHandler?: MediaTransferHandler,
  ): Promise<RtmImageMessage | RtmFileMessage> {
    return this.media.upload(payload, params, transHandler);
  }

  /** Downloads the bytes of a media id this app uploaded in the last 7 days. */
  downloadMedia(mediaId: string, transHandler?: MediaTransferHandler): Promise<Blob> {
    return this.media.download(mediaId, transHandler);
  }

  /**
   * Sends a peer message. Resolves `{ hasPeerReceived: true }` once the peer's SDK acknowledged it,
   * `false` when the peer is offline or did not ack in time.
   *
   * With `{ enableOfflineMessaging: true }` (1.4.x) a message the peer does not take live is
   * stored for its next login (`isOfflineMessage: true`). `hasPeerReceived: false` then means
   * "stored now" (`CACHED_BY_SERVER` in Agora's Java SDK), not "will be delivered": a receiver
   * keeps at most 200 messages (`--offline-max-per-user`) for 7 days, the oldest dropped first,
   * and nobody is told of a drop (the server counts them in `parley_offline_dropped_total`).
   * When a storage quota of the server is reached the message is not stored: the send rejects
   * with code 1 (the app's offline storage is full) or 5 (this sender's offline messages per hour)
   * unless the peer took it live.
   *
   * With `{ enableHistoricalMessaging: true }` the server records the message in the app's
   * message history (Agora's REST history query reads it) before it answers; the send rejects
   * with code 1 if that record could not be written.
   */
  async sendMessageToPeer(
    message: RtmMessage,
    peerId: string,
    options?: SendMessageOptions,
  ): Promise<PeerMessageSendResult> {
    if (!this.core.loggedIn) throw errorFrom(PEER_MESSAGE_ERRORS, 102);
    if (!isValidUserId(peerId)) throw errorFrom(PEER_MESSAGE_ERRORS, PeerMessageError.INVALID_USERID);
    const reading = readThumbnail(message);
    if (reading) await reading;
    const limits = this.core.limits!;
    const c = checkMessage(message, limits.messageBytes);
    if ('problem' in c) {
      if (c.problem === 'too_large')
        throw new PEER_MESSAGE_TOO_LARGE[0](PeerMessageError.INVALID_MESSAGE, PEER_MESSAGE_TOO_LARGE[1]);
      throw errorFrom(PEER_MESSAGE_ERRORS, PeerMessageError.INVALID_MESSAGE);
    }
    if (!this.budget.take(limits)) throw errorFrom(PEER_MESSAGE_ERRORS, PeerMessageError.TOO_OFTEN);
    const r = await invoke<PeerSendResponse>(
      this.core,
      Op.PeerSend,
      {
        to: peerId,
        msg: c.wire,
        offline: options?.enableOfflineMessaging === true ? true : undefined,
        historical: options?.enableHistoricalMessaging === true ? true : undefined,
        key: this.core.newSendKey(),
      },
      PEER_MESSAGE_ERRORS,
      MESSAGE_TIMEOUT_MS,
      PeerMessageError.TIMEOUT,
    );
    return { hasPeerReceived: r.received };
  }

  /** @internal shared by channel.sendMessage */
  takeSendBudget(): boolean {
    return this.core.limits ? this.budget.take(this.core.limits) : true;
  }

  // ---- presence ----

  queryPeersOnlineStatus(peerIds: string[]): Promise<{ [peerId: string]: boolean }> {
    return this.presence.queryPeersOnlineStatus(peerIds);
  }
  subscribePeersOnlineStatus(peerIds: string[]): Promise<void> {
    return this.presence.subscribePeersOnlineStatus(peerIds);
  }
  unsubscribePeersOnlineStatus(peerIds: string[]): Promise<void> {
    return this.presence.unsubscribePeersOnlineStatus(peerIds);
  }
  queryPeersBySubscriptionOption(option: PeerSubscriptionOption): Promise<string[]> {
    return this.presence.queryPeersBySubscriptionOption(option);
  }

  // ---- user attributes ----

  setLocalUserAttributes(attributes: AttributesMap): Promise<void> {
    return this.userAttrs.setLocalUserAttributes(attributes);
  }
  addOrUpdateLocalUserAttributes(attributes: AttributesMap): Promise<void> {
    return this.userAttrs.addOrUpdateLocalUserAttributes(attributes);
  }
  deleteLocalUserAttributesByKeys(attributeKeys: string[]): Promise<void> {
    return this.userAttrs.deleteLocalUserAttributesByKeys(attributeKeys);
  }
  clearLocalUserAttributes(): Promise<void> {
    return this.userAttrs.clearLocalUserAttributes();
  }
  getUserAttributes(userId: string): Promise<AttributesMap> {
    return this.userAttrs.getUserAttributes(userId);
  }
  getUserAttributesByKeys(userId: string, attributeKeys: string[]): Promise<AttributesMap> {
    return this.userAttrs.getUserAttributesByKeys(userId, attributeKeys);
  }

  // ---- channels ----

  createChannel(channelId: string): RtmChannel {
    return this.channels.createChannel(channelId);
  }
  getChannelMemberCount(channelIds: string[]): Promise<{ [channelId: string]: number }> {
    return this.channels.getChannelMemberCount(channelIds);
  }
  setChannelAttributes(
    channelId: string,
    attributes: AttributesMap,
    options?: ChannelAttributeOptions,
  ): Promise<void> {
    return this.channelAttrs.setChannelAttributes(channelId, attributes, options);
  }
  addOrUpdateChannelAttributes(
    channelId: string,
    attributes: AttributesMap,
    options?: ChannelAttributeOptions,
  ): Promise<void> {
    return this.channelAttrs.addOrUpdateChannelAttributes(channelId, attributes, options);
  }
  deleteChannelAttributesByKeys(
    channelId: string,
    attributeKeys: string[],
    options?: ChannelAttributeOptions,
  ): Promise<void> {
    return this.channelAttrs.deleteChannelAttributesByKeys(channelId, attributeKeys, options);
  }
  clearChannelAttributes(channelId: string, options?: ChannelAttributeOptions): Promise<void> {
    return this.channelAttrs.clearChannelAttributes(channelId, options);
  }
  getChannelAttributes(channelId: string): Promise<ChannelAttributes> {
    return this.channelAttrs.getChannelAttributes(channelId);
  }
  getChannelAttributesByKeys(channelId: string, attributeKeys: string[]): Promise<ChannelAttributes> {
    return this.channelAttrs.getChannelAttributesByKeys(channelId, attributeKeys);
  }

  // ---- invitations ----

  createLocalInvitation(calleeId: string): LocalInvitation {
    return this.invitations.createLocalInvitation(calleeId);
  }

  private callManager: RtmCallManager | null = null;
  /** Java-style call manager (`RtmCallManager`), layered on the same invitation objects. */
  getRtmCallManager(): RtmCallManager {
    this.callManager ??= new RtmCallManager(this.invitations);
    return this.callManager;
  }

  // ---- config / lifecycle ----

  updateConfig(config: RtmConfig): void {
    this.config = { ...this.config, ...config };
  }
  /** @deprecated since 1.4.2: use updateConfig */
  setParameters(config: RtmConfig): void {
    this.updateConfig(config);
  }

  /** Parley extra (Java's release()): closes the connection and drops all listeners. */
  release(): void {
    this.core.destroy();
    for (const m of this.modules) m.onReset?.();
    this.removeAllListeners();
  }

  // ---- internals ----

  private onState(state: ConnectionState, reason: ConnectionChangeReason): void {
    if (state === CS.ABORTED || state === CS.DISCONNECTED) for (const m of this.modules) m.onReset?.();
    this.emit(
      'ConnectionStateChanged',
      asEnum<S.ConnectionState>(state),
      asEnum<S.ConnectionChangeReason>(reason),
    );
  }

  private onEvent(op: number, body: unknown): void {
    if (op === Op.PeerMessage) {
      const ev = body as PeerMessageEvent;
      if (!this.peerInbox.accept(this.core, ev)) return;
      this.emit('MessageFromPeer', fromWire(ev.msg), ev.from, receivedProps(ev.ts, ev.offline));
      return;
    }
    for (const m of this.modules) if (m.onEvent(op, body)) return;
  }
}
