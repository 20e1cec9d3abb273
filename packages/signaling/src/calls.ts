import {
  InvitationApiCallError,
  InvitationOp,
  SignalingCode as Code,
  SignalingOp,
  endCallMessage,
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
  type SigInviteEndedEvent,
  type SigInviteMsgEvent,
  type SigInviteRequest,
} from '@parley/protocol';
import type { ICallBack } from './callbacks.js';
import { RecentIds } from '@parley/sdk/core';
import { NOT_LOGGED_IN, TIMEOUT, generalCode, type Reply } from './request.js';

/** What the call manager needs from the API object. */
export interface CallsHost {
  isLoggedIn(): boolean;
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
  /** the invitation id (null while the caller's send is unanswered) */
  id: string | null;
  /** sent: not acknowledged yet; received: acknowledged (caller) or shown (callee); accepting:
   *  the callee accepted, unconfirmed; established: accepted, the invitation is over */
  phase: 'sent' | 'received' | 'accepting' | 'established';
  /** channelInviteEnd before the send was answered: cancel as soon as the id is known */
  endWith: string | null;
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
/** Server events of a caller's invitation, which name it by the id the invite's answer carries. */
const CALLER_OPS: ReadonlySet<number> = new Set([
  InvitationOp.ReceivedByPeer,
  InvitationOp.Accepted,
  InvitationOp.Refused,
  InvitationOp.LocalFailure,
  SignalingOp.InviteEnded,
]);
/** Caller events held for ids not known yet (while an invite is unanswered); more is not a race. */
const EARLY_EVENTS = 256;
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
  private readonly byKey = new Map<string, Call>();
  private readonly byId = new Map<string, Call>();
  private seen = new RecentIds(1024);
  /** invites sent and not answered yet */
  private unanswered = 0;
  /**
   * Caller events for ids not known yet, kept while an invite is unanswered: its answer is
   * processed after events read with it (the answer resolves a promise, events apply at once),
   * or a server may send them first. Applied once the answer names their id.
   */
  private early: Array<{ op: number; body: unknown }> = [];

  constructor(private readonly host: CallsHost) {}

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
    const call: Call = { role: 'caller', channelId, peer: account, id: null, phase: 'sent', endWith: null };
    this.byKey.set(k, call);
    const body: SigInviteRequest = { to: account, channelId, extra, ...extraOptions(extra) };
    this.unanswered++;
    void h.request(SignalingOp.Invite, body).then((r) => {
      this.unanswered--;
      if (r.code !== 0) {
        this.dropEarly();
        if (this.byKey.get(k) === call) this.byKey.delete(k);
        // Ended by the app meanwhile: it already got onInviteEndByMyself.
        if (call.endWith !== null) return;
        const [ecode, reason] =
          r.code === Code.INVITE_E_PEEROFFLINE
            ? [r.code, 'PEER_OFFLINE']
            : r.code === TIMEOUT || r.code === NOT_LOGGED_IN
              ? [Code.INVITE_E_NET, r.code === TIMEOUT ? 'TIMEOUT' : 'NOT_LOGGEDIN']
              : [Code.INVITE_E_OTHER, 'UNKNOWN'];
        h.fire('onInviteFailed', channelId, account, 0, ecode, reasonJson(reason));
        return;
      }
      call.id = (r.body as InvitationSendResponse).id;
      if (call.endWith !== null) void h.request(InvitationOp.Cancel, { id: call.id, content: call.endWith });
      else this.byId.set(call.id, call);
      this.applyEarly(call.id);
    });
  }

  /** The invite that got `id` was answered: its early events apply now, in their order. */
  private applyEarly(id: string): void {
    const mine = this.early.filter((e) => (e.body as InvitationIdBody).id === id);
    if (mine.length > 0) this.early = this.early.filter((e) => (e.body as InvitationIdBody).id !== id);
    for (const e of mine) this.apply(e.op, e.body);
    this.dropEarly();
  }

  /** No invite is left unanswered: what is still held belongs to no call of ours. */
  private dropEarly(): void {
    if (this.unanswered === 0) this.early = [];
  }

  // ---- callee ----

  accept(channelId: string, account: string, extra: string): void {
    const call = this.answerable('channelInviteAccept', channelId, account, extra);
    if (!call) return;
    call.phase = 'accepting';
    void this.host.request(InvitationOp.Accept, { id: call.id, response: extra }).then((r) => {
      // A refused accept is explained by the event that ended the invitation (canceled, failed),
      // which normally came first; if not, say so.
      if (r.code !== 0 && this.byId.get(call.id!) === call) {
        this.forget(call);
        this.host.fire(
          'onInviteFailed',
          channelId,
          account,
          0,
          Code.INVITE_E_OTHER,
          reasonJson('ACCEPT_FAILURE'),
        );
      }
    });
  }

  refuse(channelId: string, account: string, extra: string): void {
    const call = this.answerable('channelInviteRefuse', channelId, account, extra);
    if (!call) return;
    this.forget(call);
    void this.host.request(InvitationOp.Refuse, { id: call.id, response: extra });
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
    if (call?.role !== 'callee' || call.phase !== 'received' || call.id === null) {
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
    if (call?.role === 'caller' && call.phase !== 'established') {
      if (call.id === null) call.endWith = extra;
      else
        void h.request(InvitationOp.Cancel, { id: call.id, content: extra }).then((r) => {
          // Accepted meanwhile: the call exists now, so hang it up.
          if (r.code === InvitationApiCallError.ALREADY_END) hangUp();
        });
    } else if (call?.role === 'callee' && call.phase === 'received' && call.id !== null) {
      void h.request(SignalingOp.InviteEnd, { id: call.id, extra }).then((r) => {
        if (r.code !== 0) hangUp();
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
    if (CALLER_OPS.has(op) && this.unanswered > 0) {
      const id = (body as InvitationIdBody | null)?.id;
      if (typeof id === 'string' && !this.byId.has(id)) {
        if (this.early.length >= EARLY_EVENTS) this.early.shift();
        this.early.push({ op, body });
        return true;
      }
    }
    return this.apply(op, body);
  }

  private apply(op: number, body: unknown): boolean {
    const h = this.host;
    switch (op) {
      case InvitationOp.Received: {
        const ev = body as InvitationReceivedEvent;
        if (this.seen.add(ev.id)) {
          const call: Call = {
            role: 'callee',
            channelId: ev.channelId,
            peer: ev.from,
            id: ev.id,
            phase: 'received',
            endWith: null,
          };
          // Signaling keys calls by channel and peer: a newer invitation of the pair replaces the older.
          const old = this.byKey.get(key(call.channelId, call.peer));
          if (old) this.forget(old);
          this.byKey.set(key(call.channelId, call.peer), call);
          this.byId.set(ev.id, call);
          h.fire('onInviteReceived', ev.channelId, ev.from, 0, ev.content);
        }
        // Acknowledge after the app saw it (again for a re-delivery: the server may have missed it).
        void h.request(InvitationOp.ReceivedAck, { id: ev.id });
        return true;
      }
      case InvitationOp.ReceivedByPeer: {
        const call = this.byId.get((body as InvitationIdBody).id);
        if (call?.role === 'caller') this.receivedByPeer(call);
        return true;
      }
      case InvitationOp.Accepted: {
        const { id, response } = body as InvitationAnsweredEvent;
        const call = this.byId.get(id);
        if (call?.role !== 'caller') return true;
        this.receivedByPeer(call);
        this.byId.delete(id);
        call.phase = 'established';
        h.fire('onInviteAcceptedByPeer', call.channelId, call.peer, 0, response ?? '');
        // Confirm after the app saw it, so the callee's accept completes.
        void h.request(InvitationOp.AcceptAck, { id });
        return true;
      }
      case InvitationOp.Refused: {
        const { id, response } = body as InvitationAnsweredEvent;
        const call = this.byId.get(id);
        if (call?.role !== 'caller') return true;
        this.receivedByPeer(call);
        this.forget(call);
        h.fire('onInviteRefusedByPeer', call.channelId, call.peer, 0, response ?? '');
        return true;
      }
      case InvitationOp.LocalFailure:
      case InvitationOp.RemoteFailure: {
        const { id, reason } = body as InvitationLocalFailureEvent | InvitationRemoteFailureEvent;
        const call = this.byId.get(id);
        if (!call) return true;
        this.forget(call);
        h.fire(
          'onInviteFailed',
          call.channelId,
          call.peer,
          0,
          FAILURE_CODE[reason] ?? Code.INVITE_E_OTHER,
          reasonJson(reason),
        );
        return true;
      }
      case InvitationOp.Canceled: {
        const { id, content } = body as InvitationCanceledEvent;
        const call = this.byId.get(id);
        if (call?.role !== 'callee') return true;
        this.forget(call);
        h.fire('onInviteEndByPeer', call.channelId, call.peer, 0, content ?? '');
        return true;
      }
      case InvitationOp.AcceptConfirmed: {
        const call = this.byId.get((body as InvitationIdBody).id);
        if (call?.role !== 'callee') return true;
        this.byId.delete(call.id!);
        call.phase = 'established';
        return true;
      }
      case SignalingOp.InviteEnded: {
        // The callee ended it before answering; the Refused that follows finds no call.
        const { id, extra } = body as SigInviteEndedEvent;
        const call = this.byId.get(id);
        if (call?.role !== 'caller') return true;
        this.forget(call);
        h.fire('onInviteEndByPeer', call.channelId, call.peer, 0, extra ?? '');
        return true;
      }
      case SignalingOp.InviteMsgReceived: {
        const ev = body as SigInviteMsgEvent;
        h.fire('onInviteMsg', ev.channelId, ev.from, 0, ev.msgType, ev.msgData, ev.extra);
        return true;
      }
    }
    return false;
  }

  private receivedByPeer(call: Call): void {
    if (call.phase !== 'sent') return;
    call.phase = 'received';
    this.host.fire('onInviteReceivedByPeer', call.channelId, call.peer, 0);
  }

  private forget(call: Call): void {
    const k = key(call.channelId, call.peer);
    if (this.byKey.get(k) === call) this.byKey.delete(k);
    if (call.id !== null && this.byId.get(call.id) === call) this.byId.delete(call.id);
  }

  /** The session was lost and replaced: the server ended its invitations; established calls stay. */
  sessionLost(): void {
    this.early = [];
    const open = [...this.byKey.values()].filter((c) => c.phase !== 'established');
    for (const c of open) this.forget(c);
    this.seen = new RecentIds(1024);
    for (const c of open)
      this.host.fire('onInviteFailed', c.channelId, c.peer, 0, Code.INVITE_E_NET, reasonJson('NOT_LOGGEDIN'));
  }

  /** Logout, kicked, destroy: nothing survives. */
  reset(): void {
    this.early = [];
    this.byKey.clear();
    this.byId.clear();
    this.seen = new RecentIds(1024);
  }
}

/** Method names reported by onError for call misuse. */
const CALL_NAMES = { channelInviteAccept: 1, channelInviteRefuse: 1 } as const;
