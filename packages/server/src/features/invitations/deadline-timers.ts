import { TimerTable } from '../../kernel/timer-table.js';

/**
 * One timer per live invitation owned by this node, armed at the deadline of its current phase.
 * Invitations are rare next to messages, so a plain timer each is cheap; a timer that fires only
 * calls `due`, which re-reads the store and decides (a stale timer is harmless).
 */
export class DeadlineTimers {
  private readonly timers = new TimerTable();

  constructor(private readonly due: (appId: string, id: string) => void) {}

  /**
   * (Re)arms the timer of invitation `id` to fire at `deadline` (ms since epoch), unless it is
   * armed to fire earlier: `due` re-arms at the record's own deadline, so firing early costs one
   * read, while firing late (deadlines from several nodes arriving out of order) would delay an
   * outcome.
   */
  arm(appId: string, id: string, deadline: number): void {
    const at = this.timers.due(id);
    if (at !== undefined && at <= deadline) return;
    this.timers.arm(id, deadline, () => this.due(appId, id));
  }

  clear(id: string): void {
    this.timers.clear(id);
  }

  /** Number of armed timers (tests check nothing leaks). */
  get size(): number {
    return this.timers.size;
  }

  close(): void {
    this.timers.close();
  }
}
