/**
 * A small browser-safe EventEmitter with Node's method names and semantics (on/once/off/
 * removeAllListeners/listeners/rawListeners/listenerCount), typed by an event map.
 */
// biome-ignore lint/suspicious/noExplicitAny: listener maps are contravariant by nature
export type EventMap<E> = { [K in keyof E]: (...args: any[]) => void };
// biome-ignore lint/suspicious/noExplicitAny: agora-rtm-sdk types off() this loosely, and so do we
type AnyListener = (...args: any[]) => unknown;

/**
 * A listener's parameters, declared as agora-rtm-sdk 1.5.x's `index.d.ts` declares them (same
 * condition), so that Parley's objects are assignable where its `RtmClient`, `RtmChannel`, …
 * are expected. Agora's non-function branch (`[T] extends [void] ? [] : [T]`) is `never` here:
 * every event of ours is a function type, and `never` keeps TypeScript from requiring our event
 * map to be assignable to Agora's one (it is not: our `RemoteInvitation` is a class).
 */
// biome-ignore lint/suspicious/noExplicitAny: matches agora-rtm-sdk's declaration
export type ListenerType<T> = [T] extends [(...args: infer U) => any] ? U : never;
// biome-ignore lint/suspicious/noExplicitAny: a listener's return value is ignored, as agora-rtm-sdk declares it
type Listener<F> = (...args: ListenerType<F>) => any;

type Wrapped = ((...a: unknown[]) => void) & { listener?: (...a: unknown[]) => void };

export class TypedEventEmitter<E extends EventMap<E>> {
  private readonly _events = new Map<keyof E, Wrapped[]>();

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    this.list(event).push(listener as unknown as Wrapped);
    return this;
  }
  addListener<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    return this.on(event, listener);
  }
  /** Adds a listener that is removed before its first call (rawListeners shows the wrapper). */
  once<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const w: Wrapped = (...a: unknown[]) => {
      this.removeExact(event, w);
      (listener as unknown as (...a: unknown[]) => void)(...a);
    };
    w.listener = listener as unknown as (...a: unknown[]) => void;
    this.list(event).push(w);
    return this;
  }
  /** Removes the most recently added instance of `listener` (added with on or once), as Node does. */
  off<K extends keyof E>(event: K, listener: E[K] | AnyListener): this {
    const l = this._events.get(event);
    if (!l) return this;
    for (let i = l.length - 1; i >= 0; i--) {
      const x = l[i]!;
      if (x === (listener as unknown) || x.listener === (listener as unknown)) {
        l.splice(i, 1);
        break;
      }
    }
    if (l.length === 0) this._events.delete(event);
    return this;
  }
  removeListener<K extends keyof E>(event: K, listener: E[K] | AnyListener): this {
    return this.off(event, listener);
  }
  removeAllListeners<K extends keyof E>(event?: K): this {
    if (event === undefined) this._events.clear();
    else this._events.delete(event);
    return this;
  }
  /** The listeners of `event`, once-wrappers unwrapped. */
  listeners<K extends keyof E>(event: K): E[K][] {
    return (this._events.get(event) ?? []).map((w) => (w.listener ?? w) as unknown as E[K]);
  }
  /** The listeners of `event` as stored: once-listeners appear as wrappers with a `listener` property. */
  rawListeners<K extends keyof E>(event: K): E[K][] {
    return [...(this._events.get(event) ?? [])] as unknown as E[K][];
  }
  listenerCount<K extends keyof E>(event: K): number {
    return this._events.get(event)?.length ?? 0;
  }
  /**
   * @internal Calls the listeners registered when the event fires, in order. A listener that
   * throws does not stop the others nor break the SDK: its error is rethrown asynchronously
   * (an uncaught error the app sees, as in a browser's event dispatch).
   */
  emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): boolean {
    const l = this._events.get(event);
    if (!l || l.length === 0) return false;
    for (const fn of [...l]) {
      try {
        fn(...(args as unknown[]));
      } catch (e) {
        setTimeout(() => {
          throw e;
        });
      }
    }
    return true;
  }

  private removeExact(event: keyof E, w: Wrapped): void {
    const l = this._events.get(event);
    if (!l) return;
    const i = l.indexOf(w);
    if (i >= 0) l.splice(i, 1);
    if (l.length === 0) this._events.delete(event);
  }

  private list(event: keyof E): Wrapped[] {
    let l = this._events.get(event);
    if (!l) this._events.set(event, (l = []));
    return l;
  }
}
