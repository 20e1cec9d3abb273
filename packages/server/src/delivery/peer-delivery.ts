import {
  Op,
  encodeEvent,
  type PeerMessageEvent,
  type PeerSendResponse,
  type WireMessage,
} from '@parley/protocol';
import type { AppQuotas, QuotasOf, ServerConfig } from '../config.js';
import { crashPoint } from '../crash-points.js';
import { MessageIds } from '../kernel/ids.js';
import { KeyedSerialQueue } from '../kernel/serial-queue.js';
import type { ActivityFeed } from '../kernel/activity-feed.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { OfflineStore, PriorSend } from '../ports/offline-store.js';
import { HistoryWriteFailed, MessageHistory } from './message-history.js';
import type { HandOff } from './peer-receiver.js';
import type { UserDelivery } from './user-delivery.js';

const HOUR_MS = 3_600_000;

/**
 * An offline message a quota kept out of the inbox, whose receiver did not take it live either:
 * the app's offline bytes are at their cap, or the sender cached its hourly allowance already.
 */
export interface OfflineRefused {
  refused: 'offline_app_bytes' | 'offline_sender_hourly';
}

/** What the inbox write did: kept out by a quota, or found a first send with the same key. */
interface Committed {
  refused: OfflineRefused | null;
  prior: PriorSend | null;
}

/** A send answered without a delivery (a retry whose first send is settled). */
interface Answer {
  answer: PeerSendResponse;
}

/** What the peer send path uses. */
export interface PeerDeliveryDeps {
  config: ServerConfig;
  /** the per-app quotas, resolved once in createServer */
  quotas: QuotasOf;
  offline: OfflineStore;
  metrics: Metrics;
  log: Logger;
  users: UserDelivery;
  /** peer messages, for webhooks and the console */
  activity: ActivityFeed;
  history: MessageHistory;
}

/**
 * The send path of peer messages, shared by the peer feature (PeerSend) and the REST API: stamps
 * a message with an id and serverReceivedTs, delivers it to the receiver's session wherever it
 * lives and resolves once the receiver's SDK acknowledged it (or did not in time).
 *
 * Offline messages are written to the offline inbox BEFORE anything else happens to them, then
 * delivered live if the peer has a session. The inbox copy goes when the peer's SDK acks;
 * otherwise it waits for the peer's next login. So a message the sender was told about is either
 * acked by the peer's SDK (`received: true`) or stored durably (`cached: true`), never neither.
 */
export class PeerDelivery {
  private readonly ids: MessageIds;
  /**
   * Per sender: the hand-off of its last offline message still waiting for its commit. Later
   * messages of that sender queue behind it, so send order holds across the commit wait.
   */
  private readonly senderTail = new KeyedSerialQueue<object>(new WeakMap());

  constructor(private readonly ctx: PeerDeliveryDeps) {
    this.ids = new MessageIds(`${ctx.config.nodeId}.`, '-p');
  }

  /**
   * Sends `msg` (valid and normalized) from `from` to `to`. `sender` keys the order of one
   * sender's messages (its session); null for a sender with no order to keep (a REST request).
   * `historical` (enableHistoricalMessaging): recorded in the message history before anything
   * else is done with it (after the inbox write of an offline message, so a retry is recorded
   * once). Resolves null when an offline message or its history entry could not be stored
   * (logged), and an OfflineRefused when a quota kept it from being stored and the receiver did
   * not take it live.
   */
  async send(
    sender: object | null,
    appId: string,
    from: string,
    to: string,
    msg: WireMessage,
    offline: boolean,
    key?: string,
    historical = false,
  ): Promise<PeerSendResponse | OfflineRefused | null> {
    const { ctx } = this;
    ctx.metrics.messagesIn.inc({ kind: 'peer' });
    const id = this.ids.next();
    const ts = Date.now();
    // `key` travels to the receiver: its SDK drops a second message with the same sender and key.
    const ev: PeerMessageEvent = key === undefined ? { id, from, msg, ts } : { id, from, msg, ts, key };
    const event = encodeEvent(Op.PeerMessage, ev);
    if (ctx.activity.watched('message.peer'))
      ctx.activity.emit({ type: 'message.peer', appId, from, to, id, ts, msg });
    const tail = sender ? this.senderTail.tail(sender) : undefined;

    if (!offline && !historical) {
      // Common case first: a local receiver and nothing to wait for, written synchronously.
      const local = tail ? undefined : ctx.users.local(appId, to);
      let h = local
        ? ctx.users.receiver.deliver(local, id, event, false)
        : tail
          ? tail.then(() => this.ctx.users.handOff(appId, to, id, event, false))
          : this.ctx.users.handOff(appId, to, id, event, false);
      if (h instanceof Promise) h = await h;
      return { id, ts, received: await h.acked, cached: false };
    }

    const quotas = ctx.quotas(appId);
    const written = offline
      ? this.store(appId, from, to, ev, key, quotas)
      : Promise.resolve<Committed>({ refused: null, prior: null });
    const committed = written.then(async (c) => {
      if (!historical || c.prior) return c;
      try {
        await ctx.history.record(appId, MessageHistory.entry('peer', id, from, to, ts, msg));
      } catch (e) {
        // The sender is told the send failed: the inbox copy must not reach the receiver later.
        if (offline && !c.refused) await ctx.offline.remove(appId, to, [id]).catch(() => undefined);
        throw e;
      }
      return c;
    });
    // Refused by a quota: still delivered live if the receiver takes it, only never stored.
    const handed = (tail ? tail.then(() => committed) : committed).then(async (c) => {
      crashPoint('peer-stored');
      const h = c.prior
        ? await this.again(appId, to, c.prior, ev)
        : await this.ctx.users.handOff(appId, to, id, event, offline && c.refused === null);
      return { ...c, h };
    });
    // Later messages of this sender wait behind the commit, so send order holds.
    if (sender) this.senderTail.push(sender, handed);
    let r: Committed & { h: HandOff | Answer };
    try {
      r = await handed;
    } catch (e) {
      if (!(e instanceof HistoryWriteFailed))
        ctx.log.error({ err: e }, 'offline message could not be stored');
      return null;
    }
    const { h } = r;
    if ('answer' in h) return h.answer;
    const received = await h.acked;
    if (!offline) return { id, ts, received, cached: false };
    if (r.refused) return received ? { id, ts, received, cached: false } : r.refused;
    if (!received) ctx.users.redeliverStored(appId, to);
    // A retry answered from its first send was counted then.
    if (!received && !r.prior && quotas.offlineMaxPerSenderPerHour > 0)
      await ctx.offline.senderCount(appId, from, HOUR_MS, true).catch((e) => {
        ctx.log.warn({ err: e }, 'could not count an offline message against its sender');
      });
    return { id: h.id ?? id, ts: h.ts ?? ts, received, cached: !received };
  }

  /**
   * The inbox write of an offline message, once the app's and the sender's quotas admit it. The
   * quota reads of one sender resolve in call order (one store connection, FIFO), so its writes
   * keep send order. With a key, the store checks it in the same transaction: a retry of a
   * stored message is not stored again, and is answered from the first send.
   */
  private store(
    appId: string,
    from: string,
    to: string,
    ev: PeerMessageEvent,
    key: string | undefined,
    quotas: AppQuotas,
  ): Promise<Committed> {
    const { ctx } = this;
    const stored = encodeEvent(Op.PeerMessage, { ...ev, offline: true } satisfies PeerMessageEvent);
    const record = { id: ev.id, from, ts: ev.ts, event: stored };
    const max = ctx.config.offlineMaxPerUser;
    return this.admit(appId, from, quotas).then(async (refused): Promise<Committed> => {
      if (refused) return { refused, prior: null };
      const r =
        key === undefined
          ? { prior: null, dropped: await ctx.offline.put(appId, to, record, max) }
          : await ctx.offline.putOnce(appId, to, record, key, max, ctx.config.sendKeyTtlMs);
      // Agora's policy (the oldest go first), but their senders were told `cached`: count it.
      if (r.dropped > 0) ctx.metrics.offlineDropped.inc({ reason: 'inbox_full' }, r.dropped);
      return { refused: null, prior: r.prior };
    });
  }

  /**
   * Signaling's peer send (answered once the server has the message, not on the peer's ack; it
   * delivers through UserDelivery.fromSender): with `historical`, the entry is written first and
   * the send waits for its commit, behind the sender's earlier sends waiting for theirs.
   * Undefined when there is nothing to wait for. Rejects with HistoryWriteFailed.
   */
  signalingHistory(
    appId: string,
    from: string,
    to: string,
    ev: Pick<PeerMessageEvent, 'id' | 'ts' | 'msg'>,
    historical: boolean,
  ): Promise<void> | undefined {
    return this.ctx.history.turn('peer', appId, from, to, ev, historical);
  }

  /**
   * A retry of an offline message the store already has (same sender, receiver and key): answered
   * as the first send, never stored twice. Still in the inbox: handed to the receiver again under
   * its first id (its SDK drops what it has seen; the ack removes the inbox copy); acked already:
   * received; gone otherwise (cap, expiry): cached, as the first answer was.
   */
  private async again(
    appId: string,
    to: string,
    prior: PriorSend,
    ev: PeerMessageEvent,
  ): Promise<HandOff | Answer> {
    this.ctx.metrics.sendRetries.inc({ kind: 'peer-offline' });
    const { id, ts } = prior;
    if (prior.acked) return { answer: { id, ts, received: true, cached: false } };
    if (!prior.stored) return { answer: { id, ts, received: false, cached: true } };
    const event = encodeEvent(Op.PeerMessage, { ...ev, id, ts } satisfies PeerMessageEvent);
    const h = await this.ctx.users.handOff(appId, to, id, event, true);
    return { acked: h.acked, id, ts };
  }

  /**
   * Whether the app's and the sender's quotas admit one more cached message; resolves with the
   * refusal (counted in /metrics) if not. A store that cannot answer admits it: the quota is a
   * guard against growth, not a reason to lose a message.
   */
  private async admit(appId: string, from: string, q: AppQuotas): Promise<OfflineRefused | null> {
    const { ctx } = this;
    if (q.offlineMaxBytes <= 0 && q.offlineMaxPerSenderPerHour <= 0) return null;
    try {
      const [usage, sent] = await Promise.all([
        q.offlineMaxBytes > 0 ? ctx.offline.usage(appId) : null,
        q.offlineMaxPerSenderPerHour > 0 ? ctx.offline.senderCount(appId, from, HOUR_MS, false) : 0,
      ]);
      let quota: OfflineRefused['refused'] | null = null;
      if (usage && usage.bytes >= q.offlineMaxBytes) quota = 'offline_app_bytes';
      else if (q.offlineMaxPerSenderPerHour > 0 && sent >= q.offlineMaxPerSenderPerHour)
        quota = 'offline_sender_hourly';
      if (!quota) return null;
      ctx.metrics.quotaRefusals.inc({ quota });
      return { refused: quota };
    } catch (e) {
      ctx.log.warn({ err: e }, 'offline quotas could not be read; message admitted');
      return null;
    }
  }
}
