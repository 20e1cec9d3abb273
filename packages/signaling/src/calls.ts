import {
  InvitationApiCallError,
  SignalingCode as Code,
  SignalingOp,
  endCallMessage,
  isValidChannelId,
  isValidUserId,
  utf8Length,
  type InvitationReceivedEvent,
  type SigInviteMsgEvent,
  type SigInviteRequest,
} from '@parley/protocol';
import { type Core, InvitationEngine, type SendOutcome } from '@parley/sdk/core';
import type { ICallBack } from './callbacks.js';
import { NOT_LOGGED_IN, TIMEOUT, generalCode, type Reply } from './request.js';

/** What the call manager needs from the API object. */
export interface CallsHost {
  isLoggedIn(): boolean;
  /** the core to send on, null when not logged in */
  core(): Core | null;
  /** limits.invitationContentBytes in force */
  extraLimit(): number;
  request(op: number, body: unknown): Promise<Reply>;
  fire<K extends keyof ICallBack>(name: K, ...args: Parameters<ICallBack[K]>): void;
  /** fires asynchronously (for failures detected before anything was sent) */
  later<K extends keyof ICallBack>(name: K, ...args: Parameters<ICallBack[K]>): void;
}

/**
 * One call as this client sees it. Signaling names a call by channel and peer (it has no call id);
 * Parley's invitations have ids, so the pair maps to the live invitation's id.
 */
interface Call {
  role: 'caller' | 'callee';
  channelId: string;
  peer: string;
  /** sent: not acknowledged yet; received: acknowledged (caller) or shown (callee); accepting:
   *  the callee accepted, unconfirmed; established: accepted, the invitation is over */
  phase: 'sent' | 'received' | 'accepting' | 'established';
  /** channelInviteEnd before the send was answered (the engine cancels it once it has the id) */
  endedEarly: boolean;
  /** the caller's extra */
  extra: string;
}

/** RTM failure reasons → Signaling INVITE_E_* codes. */
const FAILURE_CODE: Record<string, number> = {
  PEER_OFFLINE: Code.INVITE_E_PEEROFFLINE,
  PEER_NO_RESPONSE: Code.INVITE_E_TIMEOUT,
  INVITATION_EXPIRE: Code.INVITE_E_TIMEOUT,
  NOT_LOGGEDIN: Code.INVITE_E_NET,
  ACCEPT_FAILURE: Code.INVITE_E_OTHER,
  UNKNOWN: Code.INVITE_E_OTHER,
};
const reasonJson = (reason: string) => JSON.stringify({ reason });
const key = (channelId: string, peer: string) => `${channelId}\u0000${peer}`;

/** The options Signaling reads from `extra` (spec signaling-api.md §3). */
function extraOptions(extra: string): Pick<SigInviteRequest, 'requireOnline' | 'timeoutMs'> {
  if (extra === '') return {};
  let o: unknown;
  try {
    o = JSON.parse(extra);
  } catch {
    return {}; // not JSON: passed on as it is, without options
  }
  if (typeof o !== 'object' || o === null) return {};
  const { _require_peer_online: online, _timeout: timeout } = o as Record<string, unknown>;
  const seconds = typeof timeout === 'number' ? timeout : typeof timeout === 'string' ? Number(timeout) : 0;
  return {
    requireOnline: online === 1 || online === true || online === '1' ? true : undefined,
    timeoutMs: Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : undefined,
  };
}

/**
 * Signaling call invitations on Parley's invitation protocol, so RTM and Signaling users call each
 * other: `extra` travels as the invitation's content (caller) or response (callee), the channel as
 * its `channelId`. A call that is already established (accepted) is ended with RTM's end-call
 * peer message (`AgoraRTMLegacyEndcallCompatibleMessagePrefix_<channel>_<extra>`), as Agora's
 * interop does. Event mapping: docs/signaling.md "Call invitations".
 */
export class Calls {
  /** the live call of each channel and peer (Signaling has no call ids) */
  private readonly byKey = new Map<string, Call>();
  private readonly engine: InvitationEngine<Call, Call>;

  constructor(private readonly host: CallsHost) {
    const fire = host.fire.bind(host);
    this.engine = new InvitationEngine<Call, Call>(() => host.core(), {
      incoming: (ev) => this.incoming(ev),
      shown: (c) => fire('onInviteReceived', c.channelId, c.peer, 0, c.extra),
      receivedByPeer: (c) => this.receivedByPeer(c),
      answered: (c, accepted, response) => {
        this.receivedByPeer(c);
        if (accepted) {
          c.phase = 'established';
          fire('onInviteAcceptedByPeer', c.channelId, c.peer, 0, response);
        } else {
          this.forget(c);
          fire('onInviteRefusedByPeer', c.channelId, c.peer, 0, response);
        }
        return true;
      },
      callerFailed: (c, reason) => this.failed(c, reason),
      calleeFailed: (c, reason) => this.failed(c, reason),
      canceled: (c, content) => this.endedByOther(c, content),
      endedByCallee: (c, extra) => this.endedByOther(c, extra),
      confirmed: (c) => {
        c.phase = 'established';
        return true;
      },
    });
  }

  // ---- caller ----

  invite(channelId: string, account: string, extra: string): void {
    const h = this.host;
    const failed = (code: number, reason: string) =>
      h.later('onInviteFailed', channelId, account, 0, code, reasonJson(reason));
    if (!h.isLoggedIn()) {
      failed(Code.INVITE_E_OTHER, 'NOT_LOGGEDIN');
      return;
    }
    if (!isValidChannelId(channelId) || !isValidUserId(account) || typeof extra !== 'string') {
      failed(Code.INVITE_E_OTHER, 'INVALID_ARGUMENT');
      return;
    }
    if (utf8Length(extra) > h.extraLimit()) {
      failed(Code.INVITE_E_OTHER, 'EXTRA_TOO_LONG');
      return;
    }
    const k = key(channelId, account);
    const live = this.byKey.get(k);
    if (live && live.phase !== 'established') {
      failed(Code.INVITE_E_REINVITE, 'REINVITE');
      return;
    }
    const call: Call = { role: 'caller', channelId, peer: account, phase: 'sent', endedEarly: false, extra };
    this.byKey.set(k, call);
    const body: SigInviteRequest = { to: account, channelId, extra, ...extraOptions(extra) };
    this.engine.send(call, SignalingOp.Invite, body, (o) => this.sendFailed(call, o));
  }

  private sendFailed(call: Call, o: SendOutcome): void {
    if ('id' in o) return;
    const k = key(call.channelId, call.peer);
    if (this.byKey.get(k) === call) this.byKey.delete(k);
    // Ended by the app meanwhile: it already got onInviteEndByMyself.
    if (call.endedEarly) return;
    const code = o.failed.code;
    const [ecode, reason] =
      code === Code.INVITE_E_PEEROFFLINE
        ? [code, 'PEER_OFFLINE']
        : code === TIMEOUT || code === NOT_LOGGED_IN
          ? [Code.INVITE_E_NET, code === TIMEOUT ? 'TIMEOUT' : 'NOT_LOGGEDIN']
          : [Code.INVITE_E_OTHER, 'UNKNOWN'];
    this.host.fire('onInviteFailed', call.channelId, call.peer, 0, ecode, reasonJson(reason));
  }

  // ---- callee ----

  accept(channelId: string, account: string, extra: string): void {
    const call = this.answerable('channelInviteAccept', channelId, account, extra);
    if (!call) return;
    call.phase = 'accepting';
    // A refused accept is explained by the event that ended the invitation (canceled, failed),
    // which normally came first; if not, the engine fails it (ACCEPT_FAILURE).
    this.engine.accept(call, extra);
  }

  refuse(channelId: string, account: string, extra: string): void {
    const call = this.answerable('channelInviteRefuse', channelId, account, extra);
    if (!call) return;
    this.forget(call);
    this.engine.refuse(call, extra);
  }

  private answerable(
    name: keyof typeof CALL_NAMES,
    channelId: string,
    account: string,
    extra: string,
  ): Call | null {
    const h = this.host;
    if (!h.isLoggedIn()) {
      h.later('onError', name, Code.GENERAL_E_NOT_LOGIN, 'not logged in');
      return null;
    }
    if (typeof extra !== 'string') {
      h.later('onError', name, Code.GENERAL_E_WRONG_PARAM, 'extra must be a string');
      return null;
    }
    if (utf8Length(extra) > h.extraLimit()) {
      h.later('onError', name, Code.GENERAL_E_LARGE_PARAM, 'extra is too long');
      return null;
    }
    const call = this.byKey.get(key(channelId, account));
    if (call?.role !== 'callee' || call.phase !== 'received') {
      h.later(
        'onError',
        name,
        Code.GENERAL_E_FAILED,
        'no unanswered invitation from this account on this channel',
      );
      return null;
    }
    return call;
  }

  /** channelInviteDTMF: an in-call message to the peer (its onInviteMsg). */
  dtmf(channelId: string, peer: string, dtmf: string): void {
    const h = this.host;
    const name = 'channelInviteDTMF';
    if (!h.isLoggedIn()) {
      h.later('onError', name, Code.GENERAL_E_NOT_LOGIN, 'not logged in');
      return;
    }
    if (!isValidUserId(peer) || typeof dtmf !== 'string' || !/^[0-9A-D*#]{1,256}$/i.test(dtmf)) {
      h.later('onError', name, Code.GENERAL_E_WRONG_PARAM, 'DTMF digits are 0-9, A-D, * and #');
      return;
    }
    const extra = JSON.stringify({ msgtype: 'dtmf', msgdata: dtmf });
    void h
      .request(SignalingOp.InviteMsg, { to: peer, channelId, msgType: 'dtmf', msgData: dtmf, extra })
      .then((r) => {
        if (r.code !== 0)
          h.fire(
            'onError',
            name,
            generalCode(r),
            r.code === Code.INVITE_E_PEEROFFLINE ? 'peer offline' : r.reason,
          );
      });
  }

  // ---- either side ----

  /**
   * channelInviteEnd, usable at any time (Signaling): a caller's unanswered invitation is
   * canceled, a callee's unanswered one is ended, an established call (or an unknown one) is
   * ended with the end-call message. onInviteEndByMyself fires at once, as in Signaling.
   */
  end(channelId: string, account: string, extra: string): void {
    const h = this.host;
    if (!h.isLoggedIn()) {
      h.later('onError', 'channelInviteEnd', Code.GENERAL_E_NOT_LOGIN, 'not logged in');
      return;
    }
    const call = this.byKey.get(key(channelId, account));
    if (call) this.forget(call);
    const hangUp = () => {
      if (isValidUserId(account))
        void h.request(SignalingOp.PeerSend, { to: account, text: endCallMessage(channelId, extra) });
    };
    const id = call ? this.engine.idOf(call) : null;
    if (call?.role === 'caller' && call.phase !== 'established') {
      call.endedEarly = id === null;
      void this.engine.cancel(call, extra).then((code) => {
        // Accepted meanwhile: the call exists now, so hang it up.
        if (code === InvitationApiCallError.ALREADY_END) hangUp();
      });
    } else if (call?.role === 'callee' && call.phase === 'received' && id !== null) {
      void this.engine.request(SignalingOp.InviteEnd, { id, extra }).then((code) => {
        if (code !== 0) hangUp();
      });
    } else hangUp();
    h.fire('onInviteEndByMyself', channelId, account, 0);
  }

  /** A peer's end-call message: the peer hung up. */
  endedByPeer(channelId: string, peer: string, extra: string): void {
    const call = this.byKey.get(key(channelId, peer));
    if (call) this.forget(call);
    this.host.fire('onInviteEndByPeer', channelId, peer, 0, extra);
  }

  // ---- server events ----

  onEvent(op: number, body: unknown): boolean {
    if (op === SignalingOp.InviteMsgReceived) {
      const ev = body as SigInviteMsgEvent;
      this.host.fire('onInviteMsg', ev.channelId, ev.from, 0, ev.msgType, ev.msgData, ev.extra);
      return true;
    }
    return this.engine.onEvent(op, body);
  }

  /** An invitation arrived: a newer invitation of the same channel and peer replaces the older. */
  private incoming(ev: InvitationReceivedEvent): Call {
    const call: Call = {
      role: 'callee',
      channelId: ev.channelId,
      peer: ev.from,
      phase: 'received',
      endedEarly: false,
      extra: ev.content,
    };
    const old = this.byKey.get(key(call.channelId, call.peer));
    if (old) this.forget(old);
    this.byKey.set(key(call.channelId, call.peer), call);
    return call;
  }

  private receivedByPeer(call: Call): void {
    if (call.phase !== 'sent') return;
    call.phase = 'received';
    this.host.fire('onInviteReceivedByPeer', call.channelId, call.peer, 0);
  }

  private failed(call: Call, reason: string): void {
    this.forget(call);
    this.host.fire(
      'onInviteFailed',
      call.channelId,
      call.peer,
      0,
      FAILURE_CODE[reason] ?? Code.INVITE_E_OTHER,
      reasonJson(reason),
    );
  }

  /** The other side ended the call before it was established (canceled, or ended unanswered). */
  private endedByOther(call: Call, extra: string): void {
    this.forget(call);
    this.host.fire('onInviteEndByPeer', call.channelId, call.peer, 0, extra);
  }

  private forget(call: Call): void {
    const k = key(call.channelId, call.peer);
    if (this.byKey.get(k) === call) this.byKey.delete(k);
    this.engine.forget(call);
  }

  /** The session was lost and replaced: the server ended its invitations; established calls stay. */
  sessionLost(): void {
    this.engine.clear(false);
    const open = [...this.byKey.values()].filter((c) => c.phase !== 'established');
    for (const c of open) this.forget(c);
    for (const c of open)
      this.host.fire('onInviteFailed', c.channelId, c.peer, 0, Code.INVITE_E_NET, reasonJson('NOT_LOGGEDIN'));
  }

  /** Logout, kicked, destroy: nothing survives. */
  reset(): void {
    this.engine.clear(true);
    this.byKey.clear();
  }
}

/** Method names reported by onError for call misuse. */
const CALL_NAMES = { channelInviteAccept: 1, channelInviteRefuse: 1 } as const;
