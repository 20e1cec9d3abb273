import type { Logger } from '../../logger.js';
import type { Bus, BusHandler, Unsubscribe } from '../../ports/bus.js';
import type { RedisConn } from './connection.js';
import type { RedisKeys } from './keys.js';

/** How many channels one SUBSCRIBE carries when re-subscribing (keeps each command small). */
const RESUBSCRIBE_BATCH = 1000;

export interface RedisBusEvents {
  /** the bus became able (true) or unable (false) to carry messages */
  onReady?: (ready: boolean) => void;
  /** the bus re-subscribed `topics` topics after a reconnect to Redis */
  onResubscribed?: (topics: number) => void;
}

/**
 * Bus over Redis pub/sub. Publishes go through the node's command connection (auto-pipelined:
 * what one tick publishes leaves as one write); subscriptions use one subscriber connection per
 * node, whatever the number of topics, with handlers multiplexed here.
 *
 * After a Redis restart the subscriber connection comes back empty; the bus re-subscribes every
 * topic it holds before it reports ready again, logs it and tells `onResubscribed` (metrics).
 * Messages published while a node was cut off are lost (pub/sub keeps nothing): callers that need
 * delivery confirm it end to end (peer messages wait for the receiver's ack).
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

  constructor(
    private readonly cmd: RedisConn,
    private readonly sub: RedisConn,
    private readonly keys: RedisKeys,
    private readonly log: Logger,
    readonly events: RedisBusEvents = {},
  ) {
    sub.redis.on('messageBuffer', (channel: Buffer, message: Buffer) => this.dispatch(channel, message));
    sub.onChange((up) => {
      if (up && this.wasUp) void this.resubscribe();
      if (up) this.wasUp = true;
      this.report();
    });
    cmd.onChange(() => this.report());
    this.wasUp = sub.isUp;
    this.lastReady = this.ready;
  }

  get ready(): boolean {
    return !this.closed && this.cmd.isUp && this.sub.isUp && !this.resubscribing;
  }

  /** Number of topics with local handlers. */
  get topicCount(): number {
    return this.handlers.size;
  }

  async publish(topic: string, payload: Uint8Array): Promise<void> {
    const buf = Buffer.isBuffer(payload)
      ? payload
      : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    await this.cmd.redis.publish(this.keys.topic(topic), buf);
  }

  async subscribe(topic: string, handler: BusHandler): Promise<Unsubscribe> {
    const ch = this.keys.topic(topic);
    let hs = this.handlers.get(ch);
    if (!hs) {
      this.handlers.set(ch, (hs = new Set()));
      const p = this.sub.redis.subscribe(ch).then(() => undefined);
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
        this.drop(ch, handler);
        throw e;
      }
    }
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      this.drop(ch, handler);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
  }

  private drop(ch: string, handler: BusHandler): void {
    const hs = this.handlers.get(ch);
    if (!hs?.delete(handler) || hs.size > 0) return;
    this.handlers.delete(ch);
    // Redis orders UNSUBSCRIBE after a SUBSCRIBE still in flight on the same connection.
    if (this.sub.isUp) this.sub.redis.unsubscribe(ch).catch(() => undefined);
  }

  private dispatch(channel: Buffer, message: Buffer): void {
    const hs = this.handlers.get(channel.toString());
    if (!hs) return;
    for (const h of hs) {
      try {
        h(message);
      } catch (e) {
        this.log.error({ err: e }, 'bus handler failed');
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

  private report(): void {
    const r = this.ready;
    if (r === this.lastReady) return;
    this.lastReady = r;
    this.events.onReady?.(r);
  }
}
