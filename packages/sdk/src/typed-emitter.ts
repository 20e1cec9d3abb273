/**
 * A small browser-safe EventEmitter with Node's method names (on/once/off/removeAllListeners/
 * listeners/rawListeners/listenerCount), typed by an event map.
 */
// biome-ignore lint/suspicious/noExplicitAny: listener maps are contravariant by nature
export type EventMap<E> = { [K in keyof E]: (...args: any[]) => void };

type Wrapped = ((...a: unknown[]) => void) & { listener?: (...a: unknown[]) => void };

export class TypedEventEmitter<E extends EventMap<E>> {
  private readonly _events = new Map<keyof E, Wrapped[]>();

  on<K extends keyof E>(event: K, listener: E[K]): this {
    this.list(event).push(listener as unknown as Wrapped);
    return this;
  }
  addListener<K extends keyof E>(event: K, listener: E[K]): this {
    return this.on(event, listener);
  }
  once<K extends keyof E>(event: K, listener: E[K]): this {
    const w: Wrapped = (...a: unknown[]) => {
      this.off(event, listener);
      (listener as unknown as (...a: unknown[]) => void)(...a);
    };
    w.listener = listener as unknown as (...a: unknown[]) => void;
    this.list(event).push(w);
    return this;
  }
  off<K extends keyof E>(event: K, listener: E[K]): this {
    const l = this._events.get(event);
    if (!l) return this;
    const i = l.findIndex((x) => x === (listener as unknown) || x.listener === (listener as unknown));
    if (i >= 0) l.splice(i, 1);
    if (l.length === 0) this._events.delete(event);
    return this;
  }
  removeListener<K extends keyof E>(event: K, listener: E[K]): this {
    return this.off(event, listener);
  }
  removeAllListeners<K extends keyof E>(event?: K): this {
    if (event === undefined) this._events.clear();
    else this._events.delete(event);
    return this;
  }
  listeners<K extends keyof E>(event: K): E[K][] {
    return (this._events.get(event) ?? []).map((w) => (w.listener ?? w) as unknown as E[K]);
  }
  rawListeners<K extends keyof E>(event: K): E[K][] {
    return [...(this._events.get(event) ?? [])] as unknown as E[K][];
  }
  listenerCount<K extends keyof E>(event: K): number {
    return this._events.get(event)?.length ?? 0;
  }
  /** @internal Listener exceptions are reported, never allowed to break the SDK. */
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

  private list(event: keyof E): Wrapped[] {
    let l = this._events.get(event);
    if (!l) this._events.set(event, (l = []));
    return l;
  }
}
