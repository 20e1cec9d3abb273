import {
  Op,
  SignalingCode as Code,
  SignalingOp,
  isValidChannelId,
  type AttributesUpdatedEvent,
  type ChannelMessageEvent,
  type MemberEvent,
  type SigChannelAttrEvent,
  type SigJoinResponse,
} from '@parley/protocol';
import { rejoin } from '@parley/sdk/core';
import type { CallsHost } from './calls.js';
import { type AttrChange, ChannelState } from './channel-state.js';
import { REQUEST_TIMEOUT_MS, generalCode } from './request.js';

/** What the channel needs from the API object. */
export type ChannelHost = Pick<CallsHost, 'isLoggedIn' | 'core' | 'request' | 'fire' | 'later'>;

/**
 * The one channel a Signaling client is in: joins and leaves in call order, the channel's events
 * as Signaling callbacks (those that arrive while joining come after onChannelJoined), and the
 * rejoin from the client core's cursor after a re-login.
 */
export class SignalingChannel {
  private channel: ChannelState | null = null;
  /** membership requests run in call order (a leave never overtakes its join) */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly host: ChannelHost) {}

  /**
   * Joins `channelID`, leaving the channel this client is in first (Signaling: one at a time):
   * onChannelLeaved(old, 0), onChannelJoined, onChannelUserList (latest ≤ 200), then one
   * onChannelAttrUpdated(…, 'update') per existing attribute. Failure: onChannelJoinFailed(ch, 300).
   */
  join(channelID: string): void {
    const h = this.host;
    if (!h.isLoggedIn() || !isValidChannelId(channelID)) {
      h.later('onChannelJoinFailed', channelID, Code.JOINCHANNEL_E_OTHER);
      return;
    }
    const ch = new ChannelState(channelID);
    this.channel = ch;
    this.queue = this.queue.then(async () => {
      const r = await h.request(SignalingOp.Join, { channelId: channelID });
      const left = ((r.body ?? {}) as { left?: string | null }).left ?? null;
      if (left !== null) h.fire('onChannelLeaved', left, 0);
      if (r.code !== 0) {
        if (this.channel === ch) this.channel = null;
        h.fire('onChannelJoinFailed', channelID, Code.JOINCHANNEL_E_OTHER);
        return;
      }
      const j = r.body as SigJoinResponse;
      const held = ch.held ?? [];
      ch.held = null;
      ch.state = 'joined';
      ch.joinedAt(j.ts);
      h.fire('onChannelJoined', channelID);
      h.fire(
        'onChannelUserList',
        j.members,
        j.members.map(() => 0),
      );
      for (const [k, v] of j.attrs) {
        ch.attrs.set(k, v);
        h.fire('onChannelAttrUpdated', channelID, k, v, 'update');
      }
      // What the channel said while the join was on its way, after the join's own callbacks.
      for (const [op, body] of held) if (this.channel === ch) this.applyEvent(ch, op, body, true);
    });
  }

  /** Leaves the channel: onChannelLeaved(ch, 0). */
  leave(channelID: string): void {
    const h = this.host;
    if (!h.isLoggedIn()) {
      h.later('onError', 'channelLeave', Code.GENERAL_E_NOT_LOGIN, 'not logged in');
      return;
    }
    if (this.channel?.id === channelID) this.channel = null;
    this.queue = this.queue.then(async () => {
      const r = await h.request(Op.Leave, { channelId: channelID });
      if (r.code === 0) h.fire('onChannelLeaved', channelID, 0);
      else h.fire('onError', 'channelLeave', generalCode(r), r.code === 3 ? 'not in the channel' : r.reason);
    });
  }

  /** Runs `send` now, or once the join is done if `channelID` is being joined (sent right after channelJoin). */
  afterJoin<T>(channelID: string, send: () => Promise<T>): Promise<T> {
    const joining = this.channel?.id === channelID && this.channel.state === 'joining';
    return joining ? this.queue.then(send) : send();
  }

  /** The session was lost and a new one logged in: join again from the last message seen. */
  rejoin(): void {
    const ch = this.channel;
    if (ch?.state !== 'joined') return;
    const since = ch.cursor;
    this.queue = this.queue.then(async () => {
      const core = this.host.core();
      const o = core ? await rejoin(core, SignalingOp.Join, ch.id, since, REQUEST_TIMEOUT_MS) : 'unanswered';
      // Refused: the channel is lost (no answer: the next re-login tries again).
      if (o === 'refused' && this.channel === ch) {
        this.channel = null;
        this.host.fire('onChannelLeaved', ch.id, Code.LEAVECHANNEL_E_DISCONN);
      }
    });
  }

  /** The session is gone (logout, kicked, destroy): so is the channel, without callbacks. */
  reset(): void {
    this.channel = null;
    this.queue = Promise.resolve();
  }

  /** A server event that may belong to the channel. */
  onEvent(op: number, body: unknown): void {
    const ch = this.channel;
    const channelId = (body as { channelId?: unknown } | null)?.channelId;
    if (!ch || channelId !== ch.id) return; // another channel (left, or being left): Signaling has one
    if (ch.held) ch.held.push([op, body]);
    else this.applyEvent(ch, op, body, false);
  }

  /** An event of the current channel; `replay`: held during the join (attributes: report changes only). */
  private applyEvent(ch: ChannelState, op: number, body: unknown, replay: boolean): void {
    const h = this.host;
    switch (op) {
      case Op.ChannelMessage: {
        const ev = body as ChannelMessageEvent;
        if (!ch.accept(ev)) return;
        if (ev.msg?.type === 'TEXT' && typeof ev.msg.text === 'string')
          h.fire('onMessageChannelReceive', ch.id, ev.from, 0, ev.msg.text);
        return;
      }
      case Op.MemberJoined:
      case Op.MemberLeft: {
        const { memberId } = body as MemberEvent;
        if (memberId === h.core()?.uid) return;
        h.fire(op === Op.MemberJoined ? 'onChannelUserJoined' : 'onChannelUserLeaved', memberId, 0);
        return;
      }
      case SignalingOp.ChannelAttrUpdated:
        this.attrChanged(ch, ch.applyTyped(body as SigChannelAttrEvent, replay));
        return;
      case Op.AttributesUpdated:
        // Written by an RTM client: tell the change, not the whole set.
        for (const c of ch.applyFullSet((body as AttributesUpdatedEvent).attrs)) this.attrChanged(ch, c);
        return;
    }
  }

  private attrChanged(ch: ChannelState, c: AttrChange | null): void {
    if (c) this.host.fire('onChannelAttrUpdated', ch.id, c.name, c.value, c.type);
  }
}
