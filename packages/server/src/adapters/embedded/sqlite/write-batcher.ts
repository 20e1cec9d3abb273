import type { Database } from 'better-sqlite3';

interface Batch {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface WriteBatcherOptions {
  /**
   * Commit this long after a batch's first write, ms, so writes of several turns share it (for
   * data whose writer does not wait for it). 0 (default): at the end of the event-loop turn.
   */
  delayMs?: number;
  /** Runs inside each batch's transaction after its writes (e.g. trimming what they touched). */
  afterBatch?: () => void;
}

/**
 * Groups the writes of one event-loop tick (or of `delayMs`) into one transaction (one commit,
 * one WAL sync), so a burst of messages costs a few commits instead of one each. Every write of a
 * batch shares one promise, settled when the transaction committed (or failed: then none of it
 * was written). Writes keep their call order. Reads call `flush()` first, so they see every
 * earlier write.
 */
export class WriteBatcher {
  private fns: Array<(arg: never) => void> = [];
  private args: unknown[] = [];
  private batch: Batch | null = null;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly tx: (fns: Array<(arg: never) => void>, args: unknown[]) => void;

  constructor(
    db: Database,
    private readonly opts: WriteBatcherOptions = {},
  ) {
    const after = opts.afterBatch;
    this.tx = db.transaction((fns: Array<(arg: never) => void>, args: unknown[]) => {
      for (let i = 0; i < fns.length; i++) fns[i]!(args[i] as never);
      after?.();
    });
  }

  /** Queues `fn(arg)` for this tick's transaction; resolves when it is committed. */
  enqueue<A>(fn: (arg: A) => void, arg: A): Promise<void> {
    if (this.closed) return Promise.reject(new Error('storage is closed'));
    this.fns.push(fn as (arg: never) => void);
    this.args.push(arg);
    if (!this.batch) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Callers that fire and forget must not turn a failed commit into an unhandled rejection.
      promise.catch(() => undefined);
      this.batch = { promise, resolve, reject };
      if (this.opts.delayMs) {
        this.timer = setTimeout(this.flush, this.opts.delayMs);
        // Close flushes what is left; a pending commit must not keep the process alive.
        this.timer.unref();
      } else setImmediate(this.flush);
    }
    return this.batch.promise;
  }

  /** Commits what is queued now (no-op when nothing is). */
  readonly flush = (): void => {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const b = this.batch;
    if (!b) return;
    const fns = this.fns;
    const args = this.args;
    this.batch = null;
    this.fns = [];
    this.args = [];
    try {
      this.tx(fns, args);
    } catch (e) {
      b.reject(e);
      return;
    }
    b.resolve();
  };

  /** Commits what is queued and refuses further writes. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
