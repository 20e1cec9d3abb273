import type { EventQueueKind, EventQueueStore, QueuedEvent } from '../../ports/event-queue-store.js';

/** EventQueueStore in process memory (embedded mode, in-process test nodes): one array per queue. */
export class MemoryEventQueueStore implements EventQueueStore {
  private readonly queues = new Map<string, QueuedEvent[]>();

  async push(appId: string, kind: EventQueueKind, event: QueuedEvent, max: number): Promise<number> {
    const k = `${kind}\u0000${appId}`;
    let q = this.queues.get(k);
    if (!q) this.queues.set(k, (q = []));
    q.push(event);
    const over = Math.max(0, q.length - max);
    if (over > 0) q.splice(0, over);
    return over;
  }

  async take(appId: string, kind: EventQueueKind, count: number): Promise<QueuedEvent[]> {
    const k = `${kind}\u0000${appId}`;
    const q = this.queues.get(k);
    if (!q) return [];
    const out = q.splice(0, count);
    // A drained queue holds no memory (development mode admits any App ID).
    if (q.length === 0) this.queues.delete(k);
    return out;
  }
}
