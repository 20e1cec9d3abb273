import type { Bus, BusHandler, Unsubscribe } from '../../ports/bus.js';

/**
 * In-process Bus. Delivery is asynchronous (a microtask), like a network bus, so code written
 * against it does not come to rely on synchronous delivery. One MemoryBus may be shared by several
 * servers in one process to test multi-node behaviour without Redis.
 */
export class MemoryBus implements Bus {
  private readonly topics = new Map<string, Set<BusHandler>>();
  readonly ready = true;
  /** true when several servers share this bus (multi-node tests), false for a lone server */
  readonly shared: boolean;

  constructor(opts: { shared?: boolean } = {}) {
    this.shared = opts.shared ?? false;
  }

  async publish(topic: string, payload: Uint8Array): Promise<number> {
    const hs = this.topics.get(topic);
    if (!hs || hs.size === 0) return 0;
    const list = [...hs];
    queueMicrotask(() => {
      for (const h of list) h(payload);
    });
    return list.length;
  }

  async subscribe(topic: string, handler: BusHandler): Promise<Unsubscribe> {
    let hs = this.topics.get(topic);
    if (!hs) this.topics.set(topic, (hs = new Set()));
    hs.add(handler);
    return async () => {
      const cur = this.topics.get(topic);
      if (!cur) return;
      cur.delete(handler);
      if (cur.size === 0) this.topics.delete(topic);
    };
  }

  /** Number of topics with subscribers (tests check subscriptions are released). */
  get topicCount(): number {
    return this.topics.size;
  }

  async close(): Promise<void> {
    this.topics.clear();
  }
}
