import {
  Op,
  encodeEvent,
  type ChannelMessageEvent,
  type ChannelSendResponse,
  type MemberCountEvent,
  type MemberEvent,
  type WireMessage,
} from '@parley/protocol';
import type { TopicMessages } from '../cluster/mesh-messages.js';
import type { NodeMesh } from '../cluster/node-mesh.js';
import type { ServerConfig } from '../config.js';
import { SequenceIds } from '../kernel/ids.js';
import type { ActivityFeed } from '../kernel/activity-feed.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Unsubscribe } from '../ports/bus.js';
import type { HistoryRetention } from '../ports/channel-history-store.js';
import type { Store } from '../ports/store.js';
import type { MessageHistory } from './message-history.js';
import type { Recipient } from './recipient.js';

/** What channel delivery uses: the mesh, membership counts and history, and its settings. */
export interface RoomsDeps {
  config: Pick<ServerConfig, 'nodeId' | 'historyMessages' | 'historyMs'>;
  mesh: NodeMesh;
  store: Pick<Store, 'channels' | 'history'>;
  metrics: Metrics;
  log: Logger;
  /** the message history of messages sent with enableHistoricalMessaging */
  messageHistory: MessageHistory;
  /** membership changes and channel messages, for webhooks, event reads and the console */
  activity: ActivityFeed;
}

/** A message waiting for a member whose history replay is still running. */
interface Held {
  id: string | null;
  bytes: Uint8Array;
}

/** A session of this node that is a member of a room. */
export interface LocalMember {
  readonly uid: string;
  readonly session: Recipient;
  readonly room: Room;
  /** while a rejoin replays history, live messages wait here (null otherwise) */
  held: Held[] | null;
}

/**
 * The members of one channel that live on this node, and the channel's MemberCountUpdated
 * throttle on this node (one timer per channel, armed only while a count change is pending).
 */
export class Room {
  /** dense array: the fan-out loop walks it without allocating */
  readonly members: LocalMember[] = [];
  /**
   * Cluster mode: this node's subscription to the channel's topic, where the other nodes publish
   * for this node's members (null: not clustered; resolves to null while a failed one is retried)
   */
  listening: Promise<Unsubscribe | null> | null = null;
  /** the room was emptied and dropped: stop listening, no retries */
  closed = false;
  countTimer: NodeJS.Timeout | null = null;
  countDirty = false;
  lastCountAt = 0;
  lastCount = 0;

  constructor(
    readonly appId: string,
    readonly channelId: string,
    readonly key: string,
  ) {}
}

/** A handler of messages other nodes publish on a channel's topic, for this node's room. */
export type TopicHandler<T extends ChannelTopicType> = (room: Room, payload: TopicMessages[T]) => void;

/** Bus topic of a channel: the nodes serving its members listen there (App IDs contain no `:`). */
const topicOf = (appId: string, channelId: string) => `channel:${appId}:${channelId}`;
/** Wait before re-trying a channel subscription that failed (Redis unreachable), ms. */
const RELISTEN_MS = 1000;

type DeliverPayload = TopicMessages['ch.deliver'];
type MemberPayload = TopicMessages['ch.member'];
/** The message types on a channel's topic. */
type ChannelTopicType = 'ch.deliver' | 'ch.member' | 'sig.bykind';

/** A metric child with its labels bound. */
type Counter = ReturnType<Metrics['messagesIn']['labels']>;

const roomKey = (appId: string, channelId: string) => `${appId}\u0000${channelId}`;

/**
 * Channel delivery on this node and to the other nodes. An event is encoded once; the same bytes
 * go to every local member (`session.send`, which the transport batches per socket per tick) and,
 * in cluster mode, as one message on the channel's topic to every other node serving members:
 * a node listens on a channel's topic while it has a room for it (DESIGN §6), so a send costs one
 * PUBLISH whatever the number of nodes, and no lookup of which nodes those are.
 */
export class ChannelRooms {
  private readonly rooms = new Map<string, Room>();
  // Metric children bound once: no label object per message.
  private readonly channelIn: Counter;
  private readonly channelOut: Counter;
  private readonly retention: HistoryRetention;
  private readonly ids: SequenceIds;

  constructor(private readonly ctx: RoomsDeps) {
    this.ids = new SequenceIds(`${ctx.config.nodeId}.`, '-c');
    this.channelIn = ctx.metrics.messagesIn.labels({ kind: 'channel' });
    this.channelOut = ctx.metrics.messagesOut.labels({ kind: 'channel' });
    this.retention = { maxMessages: ctx.config.historyMessages, maxAgeMs: ctx.config.historyMs };
    this.onTopic('ch.deliver', (room, d) => {
      const n = this.deliverLocal(room, d.b, d.x, d.i);
      if (n > 0 && d.i !== null) this.channelOut.inc(n);
    });
    this.onTopic('ch.member', (_room, m) => {
      this.applyMemberChange(m.a, m.c, m.u, m.j, m.e);
    });
  }

  private readonly topicHandlers = new Map<string, (room: Room, payload: never) => void>();

  /** Registers the handler of one message type on channel topics (channels, Signaling). */
  onTopic<T extends ChannelTopicType>(type: T, handler: TopicHandler<T>): void {
    if (this.topicHandlers.has(type)) throw new Error(`channel topic handler ${type} registered twice`);
    this.topicHandlers.set(type, handler);
  }

  /**
   * Sends `payload` to this channel's rooms on every other node (one publish; nothing when this
   * node is alone). Failures are logged: pub/sub keeps nothing, as for any cross-node delivery.
   */
  async publish<T extends ChannelTopicType>(
    appId: string,
    channelId: string,
    type: T,
    payload: TopicMessages[T],
  ): Promise<void> {
    if (!this.ctx.mesh.clustered) return;
    await this.ctx.mesh.publish(topicOf(appId, channelId), type, payload).catch(this.meshFailed);
  }

  /** Resolves once this node receives what other nodes publish for the room's channel. */
  async listening(room: Room): Promise<void> {
    await room.listening;
  }

  private listen(room: Room): void {
    const topic = topicOf(room.appId, room.channelId);
    room.listening = this.ctx.mesh
      .listen(topic, (m) => {
        if (room.closed) return;
        const h = this.topicHandlers.get(m.type);
        if (h) h(room, m.payload as never);
        else this.ctx.log.warn({ type: m.type }, 'channel topic message of unknown type');
      })
      .then(
        (unsub) => {
          if (room.closed) void unsub();
          return unsub;
        },
        (e) => {
          this.ctx.log.warn(
            { err: e, channel: room.channelId },
            'channel subscription failed; members on other nodes are not heard until it is retried',
          );
          const t = setTimeout(() => {
            if (!room.closed) this.listen(room);
          }, RELISTEN_MS);
          t.unref();
          return null;
        },
      );
  }

  private unlisten(room: Room): void {
    room.closed = true;
    void room.listening?.then((unsub) => unsub?.()).catch(this.meshFailed);
  }

  get(appId: string, channelId: string): Room | undefined {
    return this.rooms.get(roomKey(appId, channelId));
  }

  /** Adds a local session to a channel's room; `hold` buffers live messages until `release`. */
  add(session: Recipient, channelId: string, hold: boolean): LocalMember {
    const k = roomKey(session.appId, channelId);
    let room = this.rooms.get(k);
    if (!room) {
      this.rooms.set(k, (room = new Room(session.appId, channelId, k)));
      if (this.ctx.mesh.clustered) this.listen(room);
    }
    const m: LocalMember = { uid: session.uid, session, room, held: hold ? [] : null };
    room.members.push(m);
    return m;
  }

  remove(m: LocalMember): void {
    const list = m.room.members;
    const i = list.indexOf(m);
    if (i < 0) return;
    // Swap-remove: order among members does not matter, each gets every message.
    list[i] = list[list.length - 1]!;
    list.pop();
    if (list.length === 0) {
      if (m.room.countTimer) clearTimeout(m.room.countTimer);
      m.room.countTimer = null;
      if (this.rooms.get(m.room.key) === m.room) this.rooms.delete(m.room.key);
      this.unlisten(m.room);
    }
  }

  /** Ends a member's history replay: sends what waited, minus ids the replay already sent. */
  release(m: LocalMember, replayed: ReadonlySet<string>): void {
    const held = m.held;
    m.held = null;
    if (!held) return;
    for (const h of held) if (h.id === null || !replayed.has(h.id)) m.session.send(h.bytes);
  }

  /**
   * Writes `bytes` to every local member of `room` except uid `except`. The hot path of channel
   * messages: no allocation per recipient beyond what the send itself needs.
   */
  deliverLocal(room: Room, bytes: Uint8Array, except: string | null, id: string | null): number {
    const list = room.members;
    let n = 0;
    let stale = false;
    for (let i = 0; i < list.length; i++) {
      const m = list[i]!;
      if (m.uid === except) continue;
      if (m.session.phase === 'ended') {
        stale = true;
        continue;
      }
      if (m.held) m.held.push({ id, bytes });
      else m.session.send(bytes);
      n++;
    }
    if (stale) this.dropEnded(room);
    return n;
  }

  /**
   * Removes members whose session ended without our sessionEnd hook (cluster: a node presumed
   * dead had its sessions ended by a survivor, which also updated the store; SessionManager.evict).
   */
  private dropEnded(room: Room): void {
    for (const m of room.members.filter((x) => x.session.phase === 'ended')) this.remove(m);
  }

  /** Sends `bytes` to the channel's members on the other nodes (one message on its topic). */
  deliverRemote(
    appId: string,
    channelId: string,
    bytes: Uint8Array,
    except: string | null,
    id: string | null,
  ): Promise<void> {
    const payload: DeliverPayload = { a: appId, c: channelId, x: except, i: id, b: bytes };
    return this.publish(appId, channelId, 'ch.deliver', payload);
  }

  /**
   * Stamps a channel message (id, serverReceivedTs) from `from` and sends it to every member except
   * uid `except`: local members at once (nothing is awaited before but a history write of this
   * sender's, so one channel's messages keep their order), the other nodes' members with one
   * message on the channel's topic; and appends it to the channel's history for resumed sessions
   * (not waited for). The one send path of channel messages, Signaling's send-from-outside and
   * the REST API. `msg` must be valid and normalized. `historical` (enableHistoricalMessaging):
   * recorded in the message history first (rejects with HistoryWriteFailed, nothing sent).
   */
  async sendMessage(
    appId: string,
    channelId: string,
    from: string,
    msg: WireMessage,
    except: string | null,
    room: Room | undefined = this.get(appId, channelId),
    key?: string,
    historical = false,
  ): Promise<ChannelSendResponse> {
    this.channelIn.inc();
    const id = this.ids.next();
    const ts = Date.now();
    // A sender's later messages wait behind its message waiting for its history commit.
    const wait = this.ctx.messageHistory.turn('channel', appId, from, channelId, { id, ts, msg }, historical);
    if (wait) await wait;
    // With the sender's key, members drop a re-send of this message (docs/protocol.md, "Exactly once").
    const ev: ChannelMessageEvent =
      key === undefined ? { channelId, id, from, msg, ts } : { channelId, id, from, msg, ts, key };
    const bytes = encodeEvent(Op.ChannelMessage, ev);
    const n = room ? this.deliverLocal(room, bytes, except, id) : 0;
    if (n > 0) this.channelOut.inc(n);
    if (this.ctx.activity.watched('message.channel'))
      this.ctx.activity.emit({ type: 'message.channel', appId, channelId, from, id, ts, msg });
    // History only fills a rejoining member's gap: the sender does not wait for it to be written.
    const entry = key === undefined ? { id, ts, from, msg } : { id, ts, from, msg, key };
    this.ctx.store.history.append(appId, channelId, entry, this.retention).catch(this.historyFailed);
    await this.deliverRemote(appId, channelId, bytes, except, id);
    return { id, ts };
  }

  /** Sends `bytes` to every member of the channel on any node, except uid `except`. */
  async broadcast(appId: string, channelId: string, bytes: Uint8Array, except: string | null): Promise<void> {
    const room = this.get(appId, channelId);
    if (room) this.deliverLocal(room, bytes, except, null);
    await this.deliverRemote(appId, channelId, bytes, except, null);
  }

  /**
   * `uid` joined or left the channel: members on every node get MemberJoined/MemberLeft (when
   * `notify`; never the member itself) and a MemberCountUpdated within the throttle interval.
   * Call after the store change (the count read later must include it), with the store's count
   * after it.
   */
  async memberChanged(
    appId: string,
    channelId: string,
    uid: string,
    joined: boolean,
    notify: boolean,
    count: number,
  ): Promise<void> {
    this.applyMemberChange(appId, channelId, uid, joined, notify);
    const type = joined ? 'channel.member_joined' : 'channel.member_left';
    if (this.ctx.activity.watched(type))
      this.ctx.activity.emit({ type, appId, channelId, uid, ts: Date.now(), count });
    const payload: MemberPayload = { a: appId, c: channelId, u: uid, j: joined, e: notify };
    // Not awaited: the joiner's answer must not wait for Redis, or this node's count update (its
    // timer may fire meanwhile) could reach the joiner before the answer to its join.
    void this.publish(appId, channelId, 'ch.member', payload);
  }

  private applyMemberChange(
    appId: string,
    channelId: string,
    uid: string,
    joined: boolean,
    notify: boolean,
  ): void {
    const room = this.get(appId, channelId);
    if (!room) return;
    if (notify) {
      const ev: MemberEvent = { channelId, memberId: uid };
      this.deliverLocal(room, encodeEvent(joined ? Op.MemberJoined : Op.MemberLeft, ev), uid, null);
    }
    this.countChanged(room);
  }

  /**
   * Schedules a MemberCountUpdated for the room's local members: at once if none went out in the
   * last interval, else at the end of it, so changes coalesce. The interval is 1 s, or 3 s above
   * `memberEventsMaxMembers` (Agora's rule). The count is read from the store when it fires, so
   * changes arriving out of order from several nodes cannot leave a stale count behind.
   */
  countChanged(room: Room): void {
    room.countDirty = true;
    if (room.countTimer) return;
    const big =
      room.lastCount > (room.members[0]?.session.limits.memberEventsMaxMembers ?? Number.POSITIVE_INFINITY);
    const wait = Math.max(0, room.lastCountAt + (big ? 3000 : 1000) - Date.now());
    room.countTimer = setTimeout(() => void this.flushCount(room), wait);
  }

  private async flushCount(room: Room): Promise<void> {
    room.countTimer = null;
    if (!room.countDirty || room.members.length === 0) return;
    room.countDirty = false;
    room.lastCountAt = Date.now();
    try {
      const [count] = await this.ctx.store.channels.counts(room.appId, [room.channelId]);
      room.lastCount = count ?? 0;
    } catch (e) {
      this.ctx.log.warn({ err: e, channel: room.channelId }, 'member count read failed');
      this.countChanged(room);
      return;
    }
    if (room.members.length === 0) return;
    const ev: MemberCountEvent = { channelId: room.channelId, count: room.lastCount };
    this.deliverLocal(room, encodeEvent(Op.MemberCountUpdated, ev), null, null);
  }

  private readonly historyFailed = (e: unknown): void => {
    this.ctx.log.warn({ err: e }, 'channel history append failed');
  };

  private readonly meshFailed = (e: unknown): void => {
    this.ctx.log.warn({ err: e }, 'channel fan-out to a node failed');
  };

  close(): void {
    for (const r of this.rooms.values()) if (r.countTimer) clearTimeout(r.countTimer);
    this.rooms.clear();
  }
}
