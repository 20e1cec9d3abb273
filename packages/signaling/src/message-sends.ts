import {
  DEFAULT_LIMITS,
  Op,
  SignalingCode as Code,
  SignalingOp,
  isValidUserId,
  utf8Length,
} from '@parley/protocol';
import type { CallsHost } from './calls.js';
import type { SignalingChannel } from './channel.js';
import { TIMEOUT, type Reply } from './request.js';

export type MessageSendsHost = Pick<CallsHost, 'isLoggedIn' | 'core' | 'request' | 'fire' | 'later'>;

/**
 * Options of Parley's Signaling sends (an extension: legacy Signaling had no history). The name
 * is RTM's: `{ enableHistoricalMessaging: true }` records the message in the app's message
 * history before the server answers (docs/history.md).
 */
export interface SignalingSendOptions {
  enableHistoricalMessaging?: boolean;
}
/** The wire flag of the options (absent unless set, as older servers expect). */
const historical = (o: SignalingSendOptions | null | undefined) =>
  o?.enableHistoricalMessaging === true ? true : undefined;

/**
 * Signaling's message sends (peer, channel, channel without joining): each is answered with
 * onMessageSendSuccess(msgID) once the server has the message (Signaling semantics: not when the
 * peer received it), else onMessageSendError(msgID, code). The Web API takes the codes directly.
 */
export class MessageSends {
  private msgSeq = 0;

  constructor(
    private readonly host: MessageSendsHost,
    private readonly channel: SignalingChannel,
  ) {}

  /** messageInstantSend: an empty `msgID` gets one from the SDK. */
  peer(account: string, msg: string, msgID: string, options?: SignalingSendOptions | null): void {
    const id = msgID || this.newMsgId();
    void this.toPeer(account, msg, options).then((code) => this.report(id, code));
  }

  /** messageChannelSend */
  channelMessage(channelID: string, msg: string, msgID: string, options?: SignalingSendOptions | null): void {
    const id = msgID || this.newMsgId();
    void this.toChannel(channelID, msg, options).then((code) => this.report(id, code));
  }

  /** messageChannelSendForce: to a channel this client is not in. */
  channelForce(channelID: string, msg: string, msgID: string, options?: SignalingSendOptions | null): void {
    const id = msgID || this.newMsgId();
    if (!this.sendable(msg)) {
      this.host.later('onMessageSendError', id, Code.SENDMESSAGE_E_OTHER);
      return;
    }
    void this.host
      .request(SignalingOp.ChannelSendForce, {
        channelId: channelID,
        text: msg,
        historical: historical(options),
      })
      .then((r) => this.report(id, sendCode(r)));
  }

  /** A peer message: resolves 0 once the server has it, else SENDMESSAGE_E_OTHER / _TIMEOUT. */
  async toPeer(account: string, msg: string, options?: SignalingSendOptions | null): Promise<number> {
    if (!isValidUserId(account) || !this.sendable(msg)) return Code.SENDMESSAGE_E_OTHER;
    // The idempotency key rides along every re-send of the request (docs/protocol.md, "Exactly once").
    const key = this.host.core()?.newSendKey();
    return sendCode(
      await this.host.request(SignalingOp.PeerSend, {
        to: account,
        text: msg,
        historical: historical(options),
        key,
      }),
    );
  }

  /** A channel message, answered as {@link toPeer}. */
  async toChannel(channelID: string, msg: string, options?: SignalingSendOptions | null): Promise<number> {
    if (!this.sendable(msg)) return Code.SENDMESSAGE_E_OTHER;
    const key = this.host.core()?.newSendKey();
    // Sent right after channelJoin: it goes out once the join is done, as the app meant.
    const r = await this.channel.afterJoin(channelID, () =>
      this.host.request(Op.ChannelSend, {
        channelId: channelID,
        msg: { type: 'TEXT', text: msg },
        historical: historical(options),
        key,
      }),
    );
    return sendCode(r);
  }

  private newMsgId(): string {
    return `parley-${Date.now().toString(36)}-${++this.msgSeq}`;
  }

  /** What every send needs: logged in, a string within the size limit. */
  private sendable(msg: unknown): boolean {
    const limit = this.host.core()?.limits?.messageBytes ?? DEFAULT_LIMITS.messageBytes;
    return this.host.isLoggedIn() && typeof msg === 'string' && utf8Length(msg) <= limit;
  }

  private report(id: string, code: number): void {
    if (code === 0) this.host.fire('onMessageSendSuccess', id);
    else this.host.fire('onMessageSendError', id, code);
  }
}

/** A send's reply as onMessageSendError's code (0: the server has the message). */
function sendCode(r: Reply): number {
  if (r.code === 0) return 0;
  return r.code === TIMEOUT ? Code.SENDMESSAGE_E_TIMEOUT : Code.SENDMESSAGE_E_OTHER;
}
