/** A connection with messages queued for its next frame. */
export interface Flushable {
  flush(): void;
  terminate(): void;
}

/**
 * Connections with messages queued since the last flush, one queue per gateway. One setImmediate
 * per event-loop turn flushes all of them (rather than one per socket), after every I/O callback
 * of that turn ran, so everything queued for a socket in one turn still goes out as one frame.
 */
export class FlushQueue {
  private dirty: Flushable[] = [];
  private spare: Flushable[] = [];
  private scheduled = false;

  /** Flushes `c` at the end of this turn (call once per turn, when its first message is queued). */
  add(c: Flushable): void {
    this.dirty.push(c);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushAll);
    }
  }

  private readonly flushAll = (): void => {
    this.scheduled = false;
    const list = this.dirty;
    this.dirty = this.spare;
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      try {
        c.flush();
      } catch {
        // A socket that cannot take a frame is broken; the others still get theirs.
        c.terminate();
      }
    }
    list.length = 0;
    this.spare = list;
  };
}
