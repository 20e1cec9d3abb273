import { isValidChannelId } from '@parley/protocol';
import type { AgoraAPIOnlySignal } from '../api.js';
import type { SignalingSendOptions } from '../message-sends.js';
import { type WebCallback, answer, fire } from './callback.js';

/** The callbacks of a Web `Channel` (spec signaling-api.md §1.4). `uid` arguments are always 0. */
export interface ChannelCallbacks {
  onChannelJoined(): void;
  /** an error string, as on Web: `'wrong_param'` (invalid channel name) or `'failed'` (refused) */
  onChannelJoinFailed(ecode: string): void;
  /** `0`; `604` when the channel was lost with the session and could not be rejoined */
  onChannelLeaved(ecode: number): void;
  /** right after onChannelJoined: `[[account, 0], …]`, the latest ≤ 200 members, the joiner included */
  onChannelUserList(users: Array<[account: string, uid: number]>): void;
  onChannelUserJoined(account: string, uid: number): void;
  onChannelUserLeaved(account: string, uid: number): void;
  /** `type`: 'update' | 'del' | 'clear'; on join once per existing attribute with 'update' */
  onChannelAttrUpdated(name: string, value: string, type: string): void;
  /** every member's messages, the sender's own included (Signaling echoes) */
  onMessageChannelReceive(account: string, uid: number, msg: string): void;
}

/** What a channel asks of its session. */
export interface ChannelHost {
  /** sends a channel message; `done()` once it is answered, whatever the answer */
  send(channel: WebChannel, msg: string, done: () => void, options?: SignalingSendOptions | null): void;
  /** an `io.agora.signal.*` function (the channel attribute calls); `done()` whatever the answer */
  attr(func: string, args: Record<string, unknown>, done: () => void): void;
  leave(channel: WebChannel, cb: unknown): void;
}

/** The Web SDK's `Channel`, returned by `session.channelJoin(name)`. */
export class WebChannel {
  onChannelJoined?: WebCallback<ChannelCallbacks['onChannelJoined']> = '';
  onChannelJoinFailed?: WebCallback<ChannelCallbacks['onChannelJoinFailed']> = '';
  onChannelLeaved?: WebCallback<ChannelCallbacks['onChannelLeaved']> = '';
  onChannelUserList?: WebCallback<ChannelCallbacks['onChannelUserList']> = '';
  onChannelUserJoined?: WebCallback<ChannelCallbacks['onChannelUserJoined']> = '';
  onChannelUserLeaved?: WebCallback<ChannelCallbacks['onChannelUserLeaved']> = '';
  onChannelAttrUpdated?: WebCallback<ChannelCallbacks['onChannelAttrUpdated']> = '';
  onMessageChannelReceive?: WebCallback<ChannelCallbacks['onMessageChannelReceive']> = '';

  state: 'joining' | 'joined' | 'leaved' = 'joining';
  /** kept for compatibility (the Web SDK's channel message cursor); always 0 */
  m_channel_msgid = 0;

  constructor(
    readonly name: string,
    private readonly host: ChannelHost,
  ) {}

  /**
   * Sends to every member, this user included; `cb()` (no arguments) once answered, whatever the
   * result. Parley's extension: `{ enableHistoricalMessaging: true }` records it in the app's
   * message history.
   */
  messageChannelSend(msg: string, cb?: (() => void) | null, options?: SignalingSendOptions | null): void {
    this.host.send(this, msg, () => answer(cb), options);
  }

  /** Leaves: with `cb`, only `cb()` is called; without, onChannelLeaved(0). */
  channelLeave(cb?: (() => void) | null): void {
    this.host.leave(this, cb);
  }

  /** Members get onChannelAttrUpdated(name, value, 'update'); `cb()` once answered. */
  channelSetAttr(name: string, value: string, cb?: (() => void) | null): void {
    this.host.attr('channel_set_attr', { channel: this.name, name, value }, () => answer(cb));
  }

  /** Members get onChannelAttrUpdated(name, '', 'del'). */
  channelDelAttr(name: string, cb?: (() => void) | null): void {
    this.host.attr('channel_del_attr', { channel: this.name, name }, () => answer(cb));
  }

  /** Members get onChannelAttrUpdated('', '', 'clear'). */
  channelClearAttr(cb?: (() => void) | null): void {
    this.host.attr('channel_clear_attr', { channel: this.name }, () => answer(cb));
  }

  /** @internal */
  emit<K extends keyof ChannelCallbacks>(name: K, ...args: Parameters<ChannelCallbacks[K]>): void {
    fire(this, name, args);
  }
}

interface PendingLeave {
  channel: WebChannel;
  cb: unknown;
}

/**
 * Routes the facade's channel callbacks (named by channel ID, some not named at all) to the Web
 * `Channel` objects. The facade is in one channel at a time and runs joins and leaves in call
 * order, so: join results go to the oldest joining object of that name; member events to the
 * current channel (the latest joined, until it is left); a join's user list and attribute replay
 * to the object whose join just succeeded; leave results, in order, to the objects that asked.
 */
export class ChannelTable {
  /** joining or joined, oldest first */
  private live: WebChannel[] = [];
  /** the latest channelJoin, until its channelLeave: the facade's current channel */
  private current: WebChannel | null = null;
  /** the channel whose join callbacks are being reported right now */
  private reporting: WebChannel | null = null;
  private leaves: PendingLeave[] = [];

  constructor(private readonly api: AgoraAPIOnlySignal) {}

  join(channel: WebChannel): void {
    if (!isValidChannelId(channel.name)) {
      // Refused before anything is sent; the current channel stays, as in the facade.
      queueMicrotask(() => {
        channel.state = 'leaved';
        channel.emit('onChannelJoinFailed', 'wrong_param');
      });
      return;
    }
    this.live.push(channel);
    this.current = channel;
    this.api.channelJoin(channel.name);
  }

  leave(channel: WebChannel, cb: unknown): void {
    if (this.current?.name === channel.name) this.current = null;
    this.leaves.push({ channel, cb });
    this.api.channelLeave(channel.name);
  }

  // ---- facade callbacks ----

  joined(name: string): void {
    const ch = this.live.find((c) => c.state === 'joining' && c.name === name);
    if (!ch) return;
    ch.state = 'joined';
    // The user list and the attribute replay follow synchronously in the facade.
    this.reporting = ch;
    queueMicrotask(() => {
      if (this.reporting === ch) this.reporting = null;
    });
    ch.emit('onChannelJoined');
  }

  joinFailed(name: string): void {
    const ch = this.live.find((c) => c.state === 'joining' && c.name === name);
    if (!ch) return;
    this.drop(ch);
    ch.emit('onChannelJoinFailed', 'failed');
  }

  userList(accounts: string[]): void {
    this.reporting?.emit(
      'onChannelUserList',
      accounts.map((a): [string, number] => [a, 0]),
    );
  }

  memberJoined(account: string): void {
    this.current?.emit('onChannelUserJoined', account, 0);
  }

  memberLeft(account: string): void {
    this.current?.emit('onChannelUserLeaved', account, 0);
  }

  attrUpdated(name: string, key: string, value: string, type: string): void {
    this.named(name)?.emit('onChannelAttrUpdated', key, value, type);
  }

  message(name: string, account: string, msg: string): void {
    this.named(name)?.emit('onMessageChannelReceive', account, 0, msg);
  }

  /** A leave the app asked for, or the channel left because another was joined (or lost: 604). */
  leaved(name: string, ecode: number): void {
    const i = this.leaves.findIndex((l) => l.channel.name === name);
    if (i >= 0) {
      this.finishLeave(this.leaves.splice(i, 1)[0]!);
      return;
    }
    const ch = this.live.find((c) => c.state === 'joined' && c.name === name);
    if (!ch) return;
    this.drop(ch);
    ch.emit('onChannelLeaved', ecode);
  }

  /** The facade refused a leave (not in the channel, not logged in): Web completes it all the same. */
  leaveFailed(): void {
    const l = this.leaves.shift();
    if (l) this.finishLeave(l);
  }

  /** The session ended: channels are gone without callbacks, as on Web. */
  clear(): void {
    for (const c of this.live) c.state = 'leaved';
    this.live = [];
    this.leaves = [];
    this.current = null;
    this.reporting = null;
  }

  private finishLeave({ channel, cb }: PendingLeave): void {
    this.drop(channel);
    if (cb) answer(cb);
    else channel.emit('onChannelLeaved', 0);
  }

  private drop(ch: WebChannel): void {
    ch.state = 'leaved';
    this.live = this.live.filter((c) => c !== ch);
    if (this.current === ch) this.current = null;
  }

  private named(name: string): WebChannel | null {
    if (this.reporting?.name === name) return this.reporting;
    return this.current?.name === name ? this.current : null;
  }
}
