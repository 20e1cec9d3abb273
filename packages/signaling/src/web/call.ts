import type { AgoraAPIOnlySignal } from '../api.js';
import { type WebCallback, fire } from './callback.js';

/** The callbacks of a Web `Call`: each gets one string, `extra` (spec signaling-api.md §1.5). */
export interface CallCallbacks {
  /** the callee's SDK has the invitation; `extra` is always `''` */
  onInviteReceivedByPeer(extra: string): void;
  onInviteAcceptedByPeer(extra: string): void;
  onInviteRefusedByPeer(extra: string): void;
  /** `extra`: JSON `{"reason":"<RTM failure reason>"}` (`PEER_OFFLINE`, `INVITATION_EXPIRE`, …) */
  onInviteFailed(extra: string): void;
  onInviteEndByPeer(extra: string): void;
  /** fired at once by `channelInviteEnd`; `extra` is always `''` */
  onInviteEndByMyself(extra: string): void;
  /** DTMF: `extra` is `{"msgtype":"dtmf","msgdata":"<digits>"}` */
  onInviteMsg(extra: string): void;
}

/**
 * A call, as the Web SDK's `Call` object: returned by `session.channelInviteUser2` (caller) or
 * given to `session.onInviteReceived` (callee). `peer` is the other party. Made by the session.
 */
export class WebCall {
  onInviteReceivedByPeer?: WebCallback<CallCallbacks['onInviteReceivedByPeer']> = '';
  onInviteAcceptedByPeer?: WebCallback<CallCallbacks['onInviteAcceptedByPeer']> = '';
  onInviteRefusedByPeer?: WebCallback<CallCallbacks['onInviteRefusedByPeer']> = '';
  onInviteFailed?: WebCallback<CallCallbacks['onInviteFailed']> = '';
  onInviteEndByPeer?: WebCallback<CallCallbacks['onInviteEndByPeer']> = '';
  onInviteEndByMyself?: WebCallback<CallCallbacks['onInviteEndByMyself']> = '';
  onInviteMsg?: WebCallback<CallCallbacks['onInviteMsg']> = '';

  constructor(
    private readonly api: AgoraAPIOnlySignal,
    readonly channelName: string,
    readonly peer: string,
    /** the invitation's extra (callee: what the caller sent) */
    readonly extra: string,
  ) {}

  /** The callee accepts; the caller gets onInviteAcceptedByPeer(extra). */
  channelInviteAccept(extra?: string): void {
    this.api.channelInviteAccept(this.channelName, this.peer, 0, extra || '');
  }

  /** The callee refuses; the caller gets onInviteRefusedByPeer(extra). */
  channelInviteRefuse(extra?: string): void {
    this.api.channelInviteRefuse(this.channelName, this.peer, 0, extra || '');
  }

  /** DTMF digits (0-9, A-D, *, #) to the peer's onInviteMsg. */
  channelInviteDTMF(dtmf: string): void {
    this.api.channelInviteDTMF(this.channelName, this.peer, dtmf);
  }

  /**
   * Ends the call at any time (cancel, end before answering, hang up): onInviteEndByMyself('') at
   * once, the peer gets onInviteEndByPeer(extra).
   */
  channelInviteEnd(extra?: string): void {
    this.api.channelInviteEnd(this.channelName, this.peer, 0, extra || '');
  }

  /** @internal */
  emit<K extends keyof CallCallbacks>(name: K, ...args: Parameters<CallCallbacks[K]>): void {
    fire(this, name, args);
  }
}

/**
 * The session's live calls. Signaling names a call by channel and peer; when several calls share
 * the pair (a re-invite while one rings, a new call after an accepted one), events go to the
 * newest, and an older one is found again once the newest has ended.
 */
export class CallTable {
  private readonly byPair = new Map<string, WebCall[]>();

  add(call: WebCall): void {
    const k = pairKey(call.channelName, call.peer);
    const list = this.byPair.get(k);
    if (list) list.push(call);
    else this.byPair.set(k, [call]);
  }

  find(channelName: string, peer: string): WebCall | undefined {
    return this.byPair.get(pairKey(channelName, peer))?.at(-1);
  }

  remove(call: WebCall): void {
    const k = pairKey(call.channelName, call.peer);
    const list = this.byPair.get(k)?.filter((c) => c !== call) ?? [];
    if (list.length > 0) this.byPair.set(k, list);
    else this.byPair.delete(k);
  }

  clear(): void {
    this.byPair.clear();
  }
}

const pairKey = (channelName: string, peer: string) => `${channelName}\u0000${peer}`;
