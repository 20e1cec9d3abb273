import type { Cluster } from 'ioredis';
import type { Logger } from '../../logger.js';
import type { Bus, BusHandler, Unsubscribe } from '../../ports/bus.js';
import type { RedisConn } from './connection.js';
import type { RedisKeys } from './keys.js';

/** How many channels one SUBSCRIBE carries when re-subscribing (keeps each command small). */
const RESUBSCRIBE_BATCH = 1000;
/** Redis Cluster: how often the bus checks, after a lost shard, whether its masters answer again, ms. */
const SHARD_CHECK_MS = 1000;
/** Redis Cluster: checks finding no sharded subscriber after a full outage before the client is replaced. */
const RENEW_AFTER_CHECKS = 5;
/** A batch of one topic is published at once when it reaches this size, bytes. */
const MAX_BATCH_BYTES = 256 * 1024;

/** Payloads published to one topic in one event-loop turn: they travel as one Redis message. */
interface Batch {
  parts: Buffer[];
  bytes: number;
  /** settles with PUBLISH's reply: how many subscriber connections got the batch */
  done: Promise<number>;
  resolve: (receivers: number) => void;
  reject: (e: unknown) => void;
}

export interface RedisBusEvents {
  /** the bus became able (true) or unable (false) to carry messages */
  onReady?: (ready: boolean) => void;
  /** the bus re-subscribed `topics` topics after a reconnect to Redis */
  onResubscribed?: (topics: number) => void;
}

/**
 * Bus over Redis pub/sub. Publishes go through the node's command connection; what one
 * event-loop turn publishes to one topic is coalesced into one PUBLISH (payloads framed with a
 * 4-byte length each, split again on the receiving node), and the PUBLISHes of one turn leave as
 * one pipelined write. Subscriptions use one subscriber connection per node, whatever the number
 * of topics, with handlers multiplexed here. Order per topic is kept: one connection publishes,
 * one connection receives, batches are flushed in order.
 *
 * After a Redis restart the subscriber connection comes back empty; the bus re-subscribes every
 * topic it holds before it reports ready again, logs it and tells `onResubscribed` (metrics).
 * Messages published while a node was cut off are lost (pub/sub keeps nothing): callers that need
 * delivery confirm it end to end (peer messages wait for the receiver's ack).
 *
 * On a Redis Cluster the bus uses sharded pub/sub: SPUBLISH goes to the master that owns the
 * topic's slot and SSUBSCRIBE is held on that master (ioredis keeps one subscriber connection per
 * master), so a message crosses one shard, not the whole Redis Cluster. When a shard's subscriber
 * connection is lost (its master died) the bus logs it but stays ready: the other shards still
 * carry their topics, and a node that reported itself down would be taken out of a load
 * balancer for a failure of one shard. ioredis subscribes again on the shard's new master once
 * the slot map shows it; the bus reports that like a reconnect (log, `onResubscribed`) once every
 * master answers.
 */
export class RedisBus implements Bus {
  /** Redis channel → handlers */
  private readonly handlers = new Map<string, Set<BusHandler>>();
  /** Redis channel → its SUBSCRIBE in flight; later subscribers wait for the same reply */
  private readonly pending = new Map<string, Promise<void>>();
  /** the subscriber connection has been up before: a later 'up' is a reconnect */
  private wasUp = false;
  private resubscribing = false;
  private lastReady = false;
  private closed = false;
  /** Redis channel → payloads waiting for the end of this event-loop turn */
  private readonly outbox = new Map<string, Batch>();
  private flushScheduled = false;
  private badFrames = 0;
  /** Redis Cluster: SPUBLISH / SSUBSCRIBE instead of PUBLISH / SUBSCRIBE */
  private readonly sharded: boolean;
  /** Redis Cluster: a shard's subscriber connection was lost and is not known to be back */
  private shardDown = false;
  private shardCheck: NodeJS.Timeout | null = null;
  private checking = false;
  /** consecutive checks that found ioredis without a sharded subscriber */
  private stuckChecks = 0;

  constructor(
    private readonly cmd: RedisConn,
    private readonly sub: RedisConn,
    private readonly keys: RedisKeys,
    private readonly log: Logger,
    readonly events: RedisBusEvents = {},
  ) {
    this.sharded = sub.sharded;
    if (this.sharded) {
      this.attachSharded(sub.redis as Cluster);
      sub.onRenew((client) => this.attachSharded(client));
    } else
      sub.redis.on('messageBuffer', (channel: Buffer, message: Buffer) => this.dispatch(channel, message));
    sub.onChange((up) => {
      if (up && this.wasUp) {
        // A Redis Cluster client re-subscribes by itself (per master): the bus waits for it.
        if (this.sharded) this.awaitShards();
        else void this.resubscribe();
      }
      if (up) this.wasUp = true;
      this.report();
    });
    cmd.onChange(() => this.report());
    this.wasUp = sub.isUp;
    this.lastReady = this.ready;
  }

  readonly shared = true;

  get ready(): boolean {
    return !this.closed && this.cmd.isUp && this.sub.isUp && !this.resubscribing;
  }

  /** Number of topics with local handlers. */
  get topicCount(): number {
    return this.handlers.size;
  }

  publish(topic: string, payload: Uint8Array): Promise<number> {
    const ch = this.keys.topic(topic);
    let b = this.outbox.get(ch);
    if (!b) {
      let resolve!: (receivers: number) => void;
      let reject!: (e: unknown) => void;
      const done = new Promise<number>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.outbox.set(ch, (b = { parts: [], bytes: 0, done, resolve, reject }));
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    }
    const buf = Buffer.isBuffer(payload)
      ? payload
      : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    b.parts.push(buf);
    b.bytes += 4 + buf.byteLength;
    const done = b.done;
    if (b.bytes >= MAX_BATCH_BYTES) this.send(ch, b);
    return done;
  }

  /** Publishes every waiting batch, in the order their topics were first published to. */
  private flush(): void {
    this.flushScheduled = false;
    for (const [ch, b] of this.outbox) this.send(ch, b);
  }

  private send(ch: string, b: Batch): void {
    this.outbox.delete(ch);
    const frame = Buffer.allocUnsafe(b.bytes);
    let off = 0;
    for (const p of b.parts) {
      frame.writeUInt32BE(p.byteLength, off);
      p.copy(frame, off + 4);
      off += 4 + p.byteLength;
    }
    // SPUBLISH answers, like PUBLISH, how many subscriber connections (of that shard) got it.
    const sent = this.sharded
      ? (this.cmd.redis.spublish(ch, frame) as Promise<number>)
      : this.cmd.redis.publish(ch, frame);
    sent.then(b.resolve, b.reject);
  }

  async subscribe(topic: string, handler: BusHandler): Promise<Unsubscribe> {
    const ch = this.keys.topic(topic);
    let hs = this.handlers.get(ch);
    if (!hs) {
      this.handlers.set(ch, (hs = new Set()));
      const p = (this.sharded ? this.sub.redis.ssubscribe(ch) : this.sub.redis.subscribe(ch)).then(
        () => undefined,
      );
      this.pending.set(ch, p);
      p.finally(() => {
        if (this.pending.get(ch) === p) this.pending.delete(ch);
      }).catch(() => undefined);
    }
    hs.add(handler);
    const p = this.pending.get(ch);
    if (p) {
      try {
        await p;
      } catch (e) {
        void this.drop(ch, handler);
        throw e;
      }
    }
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      await this.drop(ch, handler);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopShardCheck();
    this.handlers.clear();
  }

  /** Resolves once Redis confirmed the UNSUBSCRIBE (when this was the topic's last handler). */
  private async drop(ch: string, handler: BusHandler): Promise<void> {
    const hs = this.handlers.get(ch);
    if (!hs?.delete(handler) || hs.size > 0) return;
    this.handlers.delete(ch);
    // Redis orders UNSUBSCRIBE after a SUBSCRIBE still in flight on the same connection.
    if (!this.sub.isUp) return;
    await (this.sharded ? this.sub.redis.sunsubscribe(ch) : this.sub.redis.unsubscribe(ch)).catch(
      () => undefined,
    );
  }

  private dispatch(channel: Buffer, message: Buffer): void {
    const hs = this.handlers.get(channel.toString());
    if (!hs) return;
    for (let off = 0; off < message.byteLength; ) {
      const len = off + 4 <= message.byteLength ? message.readUInt32BE(off) : -1;
      if (len < 0 || off + 4 + len > message.byteLength) {
        // Not ours (another publisher on our prefix) or cut short: drop the rest.
        if (this.badFrames++ % 1000 === 0)
          this.log.error({ channel: channel.toString() }, 'malformed bus message dropped');
        return;
      }
      const payload = message.subarray(off + 4, off + 4 + len);
      off += 4 + len;
      for (const h of hs) {
        try {
          h(payload);
        } catch (e) {
          this.log.error({ err: e }, 'bus handler failed');
        }
      }
    }
  }

  /** Subscribes again to every topic with handlers, after the subscriber connection came back. */
  private async resubscribe(): Promise<void> {
    if (this.resubscribing) return;
    this.resubscribing = true;
    this.report();
    const channels = [...this.handlers.keys()];
    try {
      for (let i = 0; i < channels.length; i += RESUBSCRIBE_BATCH)
        await this.sub.redis.subscribe(...channels.slice(i, i + RESUBSCRIBE_BATCH));
      this.log.warn({ topics: channels.length }, 'bus re-subscribed after a Redis reconnect');
      this.events.onResubscribed?.(channels.length);
    } catch (e) {
      // The connection dropped again; the next 'ready' runs this again.
      this.log.error({ err: e }, 'bus re-subscribe failed; retrying when Redis is back');
    } finally {
      this.resubscribing = false;
      this.report();
    }
  }

  private attachSharded(cluster: Cluster): void {
    cluster.on('smessageBuffer', (channel: Buffer, message: Buffer) => this.dispatch(channel, message));
    // The sharded-subscriber group names the node (the pool's own '-node' does not).
    cluster.on('-node', (_redis: unknown, nodeKey?: string) => {
      if (nodeKey !== undefined) this.lostShard(nodeKey);
    });
    cluster.on('subscribersReady', () => void this.checkShards());
  }

  /**
   * Redis Cluster: the client lost every node and is back. ioredis subscribes every topic again
   * on its own; like after a single Redis' restart, the bus is not ready until that is done.
   */
  private awaitShards(): void {
    this.resubscribing = true;
    this.shardDown = true;
    this.shardCheck ??= setInterval(() => void this.checkShards(), SHARD_CHECK_MS).unref();
    void this.checkShards();
  }

  /** Redis Cluster: the subscriber connection of one master ended. */
  private lostShard(nodeKey: string): void {
    if (this.closed) return;
    if (!this.shardDown)
      this.log.error(
        { node: nodeKey, topics: this.handlers.size },
        'bus lost a Redis Cluster shard; its topics miss messages until the shard has a master again',
      );
    this.shardDown = true;
    // ioredis says when it set up its subscribers again ('subscribersReady'); checked each second
    // too, in case the master it tried then was not up yet and no later topology change says so.
    this.shardCheck ??= setInterval(() => void this.checkShards(), SHARD_CHECK_MS).unref();
  }

  /**
   * Redis Cluster: after a lost shard, whether ioredis' per-master subscribers are back. Its
   * 'subscribersReady' also comes when a master it tried is still unreachable, so the bus checks
   * that every slot has a master and that every topic's SSUBSCRIBE
   * is confirmed before it reports the shard back.
   */
  private async checkShards(): Promise<void> {
    if (!this.shardDown || this.closed || this.checking) return;
    this.checking = true;
    try {
      if (!this.slotsCovered()) return;
      // ioredis re-issues SSUBSCRIBE without waiting for the replies, and drops an error (e.g.
      // CLUSTERDOWN from a master that is not serving yet): the bus subscribes every topic again
      // and waits for each reply (a no-op where ioredis' own got through). ioredis then lists
      // the channel twice; it subscribes and unsubscribes both at once, so that is harmless.
      const channels = [...this.handlers.keys()];
      for (let i = 0; i < channels.length; i += RESUBSCRIBE_BATCH)
        await Promise.all(
          channels.slice(i, i + RESUBSCRIBE_BATCH).map((ch) => this.sub.redis.ssubscribe(ch)),
        );
    } catch (e) {
      // A shard is still not back: the next check tries again. After every master was lost,
      // ioredis 6 may be left without any sharded subscriber for good (its subscriber group
      // waits on a connect that was cut): the node is not ready anyway, so after a few such
      // checks the bus replaces the subscriber client, which subscribes everything afresh.
      const stuck = /No sharded subscriber/.test((e as Error).message);
      if (this.resubscribing && stuck && ++this.stuckChecks >= RENEW_AFTER_CHECKS) {
        this.stuckChecks = 0;
        this.log.warn('bus: the Redis Cluster subscriber client did not recover; replacing it');
        void this.sub.renew().catch(() => undefined);
      }
      return;
    } finally {
      this.checking = false;
    }
    if (!this.shardDown || this.closed) return;
    this.shardDown = false;
    this.stuckChecks = 0;
    this.stopShardCheck();
    this.log.warn({ topics: this.handlers.size }, 'bus re-subscribed after a Redis Cluster shard or outage');
    this.events.onResubscribed?.(this.handlers.size);
    if (this.resubscribing) {
      this.resubscribing = false;
      this.report();
    }
  }

  /** Whether the subscriber client's slot map gives every slot a master. */
  private slotsCovered(): boolean {
    const slots = (this.sub.redis as Cluster).slots;
    for (let slot = 0; slot < 16384; slot++) if (!slots[slot]?.[0]) return false;
    return true;
  }

  private stopShardCheck(): void {
    if (this.shardCheck) clearInterval(this.shardCheck);
    this.shardCheck = null;
  }

  private report(): void {
    const r = this.ready;
    if (r === this.lastReady) return;
    this.lastReady = r;
    this.events.onReady?.(r);
  }
}
