import {
  ChannelMessageError,
  GetChannelMemberCountError,
  GetMembersError,
  JoinChannelError,
  LeaveChannelError,
  Op,
  isValidChannelId,
  type AttributesUpdatedEvent,
  type ChannelMessageEvent,
  type GetMemberCountResponse,
  type GetMembersResponse,
  type JoinResponse,
  type Limits,
  type MemberCountEvent,
  type MemberEvent,
} from '@parley/protocol';
import { RtmInvalidArgumentError as Arg, errorFrom } from './errors.js';
import {
  CHANNEL_MESSAGE_ERRORS,
  CHANNEL_MESSAGE_TOO_LARGE,
  GET_CHANNEL_MEMBER_COUNT_ERRORS,
  GET_MEMBERS_ERRORS,
  JOIN_CHANNEL_ERRORS,
  LEAVE_CHANNEL_ERRORS,
} from './channel-errors.js';
import type { RtmChannelEvents } from './events.js';
import { invoke, type ClientInternals, type ClientModule } from './invoke.js';
import { checkMessage, fromWire, readThumbnail, receivedProps } from './messages.js';
import { TrackedChannel, rejoin } from './session/channels.js';
import { attrsFromWire, define } from './channel-attrs.js';
import { TypedEventEmitter } from './typed-emitter.js';
import type { RtmMessage, SendMessageOptions } from './types.js';

/** Agora: 10 s to send a channel message. */
const MESSAGE_TIMEOUT_MS = 10_000;
/** Java/C++ docs: 5 s to join; Parley uses it for the other channel calls too. */
const JOIN_TIMEOUT_MS = 5_000;
const CALL_TIMEOUT_MS = 5_000;
/** Agora: while RECONNECTING a message send waits up to 9 s for the link */
const RECONNECT_WAIT_MS = 9_000;
/** member notices remembered per channel to drop duplicates (channels above 512 members send none) */
const NOTICES_KEPT = 1024;

type JoinState = 'idle' | 'joining' | 'joined';

/** @internal What the SDK tracks per channel instance, beyond the core's cursor and seen messages. */
class ChannelState extends TrackedChannel {
  state: JoinState = 'idle';
  count: number | null = null;
  /** last member notice per uid: true = joined (drops repeated notices) */
  notices = new Map<string, boolean>();
  /** the join request in flight */
  pendingJoin: Promise<unknown> | null = null;
  /** leave() was called while joining: the join rejects with ABORTED_BY_LEAVE */
  abort = false;

  override reset(): void {
    super.reset();
    this.count = null;
    this.notices.clear();
    this.abort = false;
  }
}

/**
 * A channel instance (agora-rtm-sdk RtmChannel): `join()`, `leave()`, `sendMessage()`,
 * `getMembers()` and the events ChannelMessage, MemberJoined, MemberLeft, MemberCountUpdated and
 * AttributesUpdated. Create it with `client.createChannel(id)`.
 *
 * @example
 * const channel = client.createChannel('lobby');
 * channel.on('ChannelMessage', (msg, memberId) => console.log(memberId, msg.text));
 * await channel.join();
 * await channel.sendMessage({ text: 'hello' });
 */
export class RtmChannel extends TypedEventEmitter<RtmChannelEvents> {
  /** @internal */ readonly st = new ChannelState();

  constructor(
    readonly channelId: string,
    /** @internal */ private readonly api: ChannelsApi,
  ) {
    super();
  }
  join(): Promise<void> {
    return this.api.join(this);
  }
  leave(): Promise<void> {
    return this.api.leave(this);
  }
  /**
   * Sends to the channel's members. With `{ enableHistoricalMessaging: true }` the server also
   * records the message in the app's message history (read back through Agora's REST history
   * query) before it answers; the send rejects with code 1 if that record could not be written.
   */
  sendMessage(message: RtmMessage, options?: SendMessageOptions): Promise<void> {
    return this.api.sendMessage(this, message, options);
  }
  getMembers(): Promise<string[]> {
    return this.api.getMembers(this);
  }
}

/**
 * Channels, member counts and channel attributes: the client module behind RtmChannel and the
 * channel methods of RtmClient. After a re-login (the session was lost) it joins its channels
 * again, passing the last message seen, so the server replays what the channel said meanwhile.
 */
export class ChannelsApi implements ClientModule {
  /** the instance that joined (or is joining) each channel id */
  private readonly channels = new Map<string, RtmChannel>();
  /** calls waiting for the link to come back (resumed, or re-logged in and channels rejoined) */
  private linkWaiters: Array<(up: boolean) => void> = [];

  constructor(
    private readonly c: ClientInternals,
    /** takes one send from the client's shared 180 / 3 s budget; false when over */
    private readonly takeSendBudget: () => boolean = () => true,
  ) {}

  createChannel(channelId: string): RtmChannel {
    if (!isValidChannelId(channelId)) throw new Arg(1, 'The channel ID is invalid.');
    return new RtmChannel(channelId, this);
  }

  private get limits(): Limits {
    return this.c.core.limits!;
  }

  // ---- membership ----

  async join(ch: RtmChannel): Promise<void> {
    const st = ch.st;
    if (!this.c.core.loggedIn) throw errorFrom(JOIN_CHANNEL_ERRORS, 102);
    if (st.state !== 'idle') throw errorFrom(JOIN_CHANNEL_ERRORS, JoinChannelError.ALREADY_JOINED);
    const holder = this.channels.get(ch.channelId);
    if (holder && holder !== ch)
      throw errorFrom(JOIN_CHANNEL_ERRORS, JoinChannelError.ALREADY_JOINED_CHANNEL_OF_SAME_ID);
    if (this.channels.size >= this.limits.maxJoinedChannels)
      throw errorFrom(JOIN_CHANNEL_ERRORS, JoinChannelError.EXCEED_LIMIT);
    st.reset();
    st.state = 'joining';
    this.channels.set(ch.channelId, ch);
    const p = invoke<JoinResponse>(
      this.c.core,
      Op.Join,
      { channelId: ch.channelId },
      JOIN_CHANNEL_ERRORS,
      JOIN_TIMEOUT_MS,
      JoinChannelError.TIMEOUT,
    );
    st.pendingJoin = p;
    let r: JoinResponse;
    try {
      r = await p;
    } catch (e) {
      this.drop(ch);
      throw st.abort ? errorFrom(JOIN_CHANNEL_ERRORS, JoinChannelError.ABORTED_BY_LEAVE) : e;
    } finally {
      st.pendingJoin = null;
    }
    if (st.abort) {
      // leave() sends the Leave once it sees this join succeeded.
      this.drop(ch);
      throw errorFrom(JOIN_CHANNEL_ERRORS, JoinChannelError.ABORTED_BY_LEAVE);
    }
    st.state = 'joined';
    st.joinedAt(r.ts);
  }

  async leave(ch: RtmChannel): Promise<void> {
    const st = ch.st;
    if (!this.c.core.loggedIn) throw errorFrom(LEAVE_CHANNEL_ERRORS, 102);
    if (st.state === 'joining' && st.pendingJoin) {
      st.abort = true;
      const joined = await st.pendingJoin.then(
        () => true,
        () => false,
      );
      if (joined) await this.sendLeave(ch.channelId);
      return;
    }
    if (st.state !== 'joined') throw errorFrom(LEAVE_CHANNEL_ERRORS, LeaveChannelError.NOT_IN_CHANNEL);
    try {
      await this.sendLeave(ch.channelId);
    } catch (e) {
      // The server does not have us in the channel: neither do we.
      if ((e as { code?: number }).code === LeaveChannelError.NOT_IN_CHANNEL) this.drop(ch);
      throw e;
    }
    this.drop(ch);
  }

  private sendLeave(channelId: string): Promise<unknown> {
    return invoke(
      this.c.core,
      Op.Leave,
      { channelId },
      LEAVE_CHANNEL_ERRORS,
      CALL_TIMEOUT_MS,
      LeaveChannelError.FAILURE,
    );
  }

  /** Forgets a channel instance's membership. */
  private drop(ch: RtmChannel): void {
    ch.st.state = 'idle';
    if (this.channels.get(ch.channelId) === ch) this.channels.delete(ch.channelId);
  }

  // ---- messages and members ----

  async sendMessage(ch: RtmChannel, message: RtmMessage, options?: SendMessageOptions): Promise<void> {
    if (!this.c.core.loggedIn) throw errorFrom(CHANNEL_MESSAGE_ERRORS, 102);
    const reading = readThumbnail(message);
    if (reading) await reading;
    const c = checkMessage(message, this.limits.messageBytes);
    if ('problem' in c) {
      if (c.problem === 'too_large')
        throw new CHANNEL_MESSAGE_TOO_LARGE[0](
          ChannelMessageError.INVALID_MESSAGE,
          CHANNEL_MESSAGE_TOO_LARGE[1],
        );
      throw errorFrom(CHANNEL_MESSAGE_ERRORS, ChannelMessageError.INVALID_MESSAGE);
    }
    if (ch.st.state !== 'joined') throw errorFrom(CHANNEL_MESSAGE_ERRORS, ChannelMessageError.NOT_IN_CHANNEL);
    if (!this.takeSendBudget()) throw errorFrom(CHANNEL_MESSAGE_ERRORS, ChannelMessageError.TOO_OFTEN);
    // Agora: while reconnecting a send waits up to 9 s of its 10 s for the link.
    if (!(await this.linked(RECONNECT_WAIT_MS)))
      throw errorFrom(CHANNEL_MESSAGE_ERRORS, this.c.core.loggedIn ? ChannelMessageError.TIMEOUT : 102);
    if (ch.st.state !== 'joined') throw errorFrom(CHANNEL_MESSAGE_ERRORS, ChannelMessageError.NOT_IN_CHANNEL);
    await invoke(
      this.c.core,
      Op.ChannelSend,
      {
        channelId: ch.channelId,
        msg: c.wire,
        historical: options?.enableHistoricalMessaging === true ? true : undefined,
        key: this.c.core.newSendKey(),
      },
      CHANNEL_MESSAGE_ERRORS,
      MESSAGE_TIMEOUT_MS,
      ChannelMessageError.TIMEOUT,
    );
  }

  async getMembers(ch: RtmChannel): Promise<string[]> {
    if (!this.c.core.loggedIn) throw errorFrom(GET_MEMBERS_ERRORS, 102);
    if (ch.st.state !== 'joined') throw errorFrom(GET_MEMBERS_ERRORS, GetMembersError.NOT_IN_CHANNEL);
    if (!(await this.linked(CALL_TIMEOUT_MS)))
      throw errorFrom(GET_MEMBERS_ERRORS, this.c.core.loggedIn ? GetMembersError.TIMEOUT : 102);
    if (ch.st.state !== 'joined') throw errorFrom(GET_MEMBERS_ERRORS, GetMembersError.NOT_IN_CHANNEL);
    const r = await invoke<GetMembersResponse>(
      this.c.core,
      Op.GetMembers,
      { channelId: ch.channelId },
      GET_MEMBERS_ERRORS,
      CALL_TIMEOUT_MS,
      GetMembersError.TIMEOUT,
    );
    return r.members;
  }

  async getChannelMemberCount(channelIds: string[]): Promise<{ [channelId: string]: number }> {
    const E = GetChannelMemberCountError;
    if (!this.c.core.loggedIn) throw errorFrom(GET_CHANNEL_MEMBER_COUNT_ERRORS, 102);
    if (!Array.isArray(channelIds)) throw errorFrom(GET_CHANNEL_MEMBER_COUNT_ERRORS, E.INVALID_ARGUMENT);
    if (channelIds.length === 0 || channelIds.length > this.limits.maxChannelsPerCountCall)
      throw errorFrom(GET_CHANNEL_MEMBER_COUNT_ERRORS, E.EXCEED_LIMIT);
    if (!channelIds.every(isValidChannelId))
      throw errorFrom(GET_CHANNEL_MEMBER_COUNT_ERRORS, E.INVALID_ARGUMENT);
    const ids = [...channelIds];
    const r = await invoke<GetMemberCountResponse>(
      this.c.core,
      Op.GetMemberCount,
      { channelIds: ids },
      GET_CHANNEL_MEMBER_COUNT_ERRORS,
      CALL_TIMEOUT_MS,
      E.TIMEOUT,
    );
    const out: { [channelId: string]: number } = {};
    ids.forEach((id, i) => {
      const n = r.counts[i] ?? 0;
      define(out, id, n);
      // As in Agora's SDK, a count of a joined channel also feeds its MemberCountUpdated.
      const ch = this.channels.get(id);
      if (ch?.st.state === 'joined') this.countUpdated(ch, n);
    });
    return out;
  }

  /**
   * Resolves true at once while CONNECTED; while RECONNECTING, when the session is back (after
   * the channels were rejoined, if it had to log in again), or false after `ms`. Calls that need a
   * joined channel wait here instead of in the core's queue: queued requests go out before the
   * rejoin requests on a new session, and would find the channel not joined yet.
   */
  private linked(ms: number): Promise<boolean> {
    if (this.c.core.state === 'CONNECTED') return Promise.resolve(true);
    if (this.c.core.state !== 'RECONNECTING') return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (up: boolean) => {
        clearTimeout(timer);
        this.linkWaiters = this.linkWaiters.filter((w) => w !== done);
        resolve(up);
      };
      const timer = setTimeout(() => done(false), ms);
      this.linkWaiters.push(done);
    });
  }

  private wakeLinkWaiters(up: boolean): void {
    for (const w of [...this.linkWaiters]) w(up);
  }

  // ---- events and lifecycle ----

  onEvent(op: number, body: unknown): boolean {
    switch (op) {
      case Op.ChannelMessage: {
        const ev = body as ChannelMessageEvent;
        const ch = this.channels.get(ev.channelId);
        if (!ch?.st.accept(ev)) return true;
        ch.emit('ChannelMessage', fromWire(ev.msg), ev.from, receivedProps(ev.ts, false));
        return true;
      }
      case Op.MemberJoined:
      case Op.MemberLeft: {
        const ev = body as MemberEvent;
        const ch = this.channels.get(ev.channelId);
        const joined = op === Op.MemberJoined;
        if (!ch || ev.memberId === this.c.core.uid || ch.st.notices.get(ev.memberId) === joined) return true;
        const notices = ch.st.notices;
        notices.delete(ev.memberId);
        notices.set(ev.memberId, joined);
        if (notices.size > NOTICES_KEPT) notices.delete(notices.keys().next().value as string);
        if (joined) ch.emit('MemberJoined', ev.memberId);
        else ch.emit('MemberLeft', ev.memberId);
        return true;
      }
      case Op.MemberCountUpdated: {
        const ev = body as MemberCountEvent;
        const ch = this.channels.get(ev.channelId);
        if (ch) this.countUpdated(ch, ev.count);
        return true;
      }
      case Op.AttributesUpdated: {
        const ev = body as AttributesUpdatedEvent;
        this.channels.get(ev.channelId)?.emit('AttributesUpdated', attrsFromWire(ev.attrs));
        return true;
      }
    }
    return false;
  }

  /** Emits MemberCountUpdated only when the count changed (as Agora's SDK does). */
  private countUpdated(ch: RtmChannel, count: number): void {
    if (ch.st.count === count) return;
    ch.st.count = count;
    ch.emit('MemberCountUpdated', count);
  }

  /** The session was lost and the client logged in again: join every joined channel again. */
  onRelogged(): void {
    for (const ch of this.channels.values()) {
      if (ch.st.state !== 'joined') continue;
      void rejoin(this.c.core, Op.Join, ch.channelId, ch.st.cursor, JOIN_TIMEOUT_MS).then((o) => {
        if (o === 'refused') this.drop(ch);
      });
    }
    // The rejoin requests are written; waiting sends may go out behind them now.
    this.wakeLinkWaiters(true);
  }

  onResumed(): void {
    this.wakeLinkWaiters(true);
  }

  /** Logout or ABORTED: no channel is joined any more. */
  onReset(): void {
    for (const ch of this.channels.values()) ch.st.state = 'idle';
    this.channels.clear();
    this.wakeLinkWaiters(false);
  }
}
