const settled: Promise<unknown> = Promise.resolve();

/** Runs operations one after another, each starting once every one queued before it settled. */
export class SerialQueue {
  private tail: Promise<unknown> = settled;

  /** Runs `op` after every operation queued before it; a failure does not stop the ones after. */
  run<T>(op: () => T | Promise<T>): Promise<T> {
    const p = this.tail.then(op);
    this.tail = p.catch(() => undefined);
    return p;
  }
}

/** Where a keyed queue keeps each key's last operation: a Map, or a WeakMap for object keys. */
interface TailMap<K> {
  get(key: K): Promise<unknown> | undefined;
  set(key: K, tail: Promise<unknown>): unknown;
  delete(key: K): unknown;
}

/**
 * A serial queue per key (a session, a sender, a user): operations of one key run one after
 * another, different keys independently. A key's entry goes once its last operation settled, so
 * idle keys hold nothing. Pass a WeakMap for object keys whose operations may never settle.
 */
export class KeyedSerialQueue<K> {
  constructor(private readonly tails: TailMap<K> = new Map<K, Promise<unknown>>()) {}

  /** Runs `op` after every operation queued for `key` before it; failures do not stop later ones. */
  run<T>(key: K, op: () => T | Promise<T>): Promise<T> {
    const p = (this.tails.get(key) ?? settled).then(op);
    this.track(key, p);
    return p;
  }

  /**
   * Queues `p` (already started) as the last operation of `key`: later ones wait for it. For work
   * that must start at once but finish in order (a store write, then the hand-off behind it).
   */
  push<T>(key: K, p: Promise<T>): Promise<T> {
    this.track(key, p);
    return p;
  }

  /** The last operation of `key` not yet settled (it never rejects), if any. */
  tail(key: K): Promise<unknown> | undefined {
    return this.tails.get(key);
  }

  /** Resolves when every operation queued so far has settled (Map keys only; shutdown). */
  async drain(): Promise<void> {
    const tails = this.tails;
    if (!(tails instanceof Map)) return;
    while (tails.size) await Promise.all([...tails.values()]);
  }

  private track(key: K, p: Promise<unknown>): void {
    const done = p.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, done);
    void done.then(() => {
      if (this.tails.get(key) === done) this.tails.delete(key);
    });
  }
}
