import { type ConsoleEvent, TAILED } from '../http/console-services.js';
import type { ActivityEvent, ActivityFeed } from '../kernel/activity-feed.js';

/**
 * The last `capacity` tailed events of this node, numbered from 1, for the console's live tail
 * (each node keeps its own; a cluster tail reads every node's through the census). Messages are
 * not kept: their events are built only while someone watches them, and the tail is not the
 * place to read them.
 */
export class ActivityLog {
  private readonly ring: ConsoleEvent[] = [];
  private seq = 0;
  private readonly off: () => void;

  constructor(
    feed: ActivityFeed,
    private readonly nodeId: string,
    private readonly capacity = 500,
  ) {
    this.off = feed.on(TAILED, (e) => this.add(e));
  }

  private add(e: ActivityEvent): void {
    this.ring.push({ ...e, node: this.nodeId, seq: ++this.seq });
    if (this.ring.length > this.capacity) this.ring.shift();
  }

  /** Events with a seq above `after`, oldest first (at most the ring's capacity). */
  after(after: number): ConsoleEvent[] {
    // A seq above ours: this node restarted since the reader's last look; give it everything.
    const from = after > this.seq ? 0 : after;
    return this.ring.filter((e) => e.seq > from);
  }

  close(): void {
    this.off();
  }
}
