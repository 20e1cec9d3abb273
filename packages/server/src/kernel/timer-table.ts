interface Entry {
  at: number;
  timer: NodeJS.Timeout;
}

/**
 * One timer per id (an invitation's deadline, a `_timeout`): arming an id again replaces its
 * timer, a timer that fired is gone, `close` stops them all and refuses new ones. Timers are
 * unref'd: they never keep the process alive.
 */
export class TimerTable<K = string> {
  private readonly timers = new Map<K, Entry>();
  private closed = false;

  /** Arms `id` to call `fire` at `at` (ms since epoch), replacing its timer if armed. */
  arm(id: K, at: number, fire: () => void): void {
    if (this.closed) return;
    this.clear(id);
    const timer = setTimeout(
      () => {
        this.timers.delete(id);
        fire();
      },
      Math.max(0, at - Date.now()),
    );
    timer.unref();
    this.timers.set(id, { at, timer });
  }

  /** When `id` fires (ms since epoch), or undefined when it is not armed. */
  due(id: K): number | undefined {
    return this.timers.get(id)?.at;
  }

  clear(id: K): void {
    const t = this.timers.get(id);
    if (!t) return;
    clearTimeout(t.timer);
    this.timers.delete(id);
  }

  /** Number of armed timers (tests check nothing leaks). */
  get size(): number {
    return this.timers.size;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
  }
}
