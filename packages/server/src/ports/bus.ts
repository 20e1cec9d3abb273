/**
 * Bus: delivery between nodes. Topics are strings (`node:<id>`, `channel:<app>:<id>`), payloads
 * opaque bytes. Embedded mode uses MemoryBus (in-process); cluster mode uses RedisBus.
 */
export type BusHandler = (payload: Uint8Array) => void;
export type Unsubscribe = () => Promise<void>;

export interface Bus {
  /**
   * Publishes to every subscriber of `topic` on any node. Resolves once the bus accepted it, with
   * the number of subscriber connections it reached (0: nobody listens, e.g. a dead node's topic).
   */
  publish(topic: string, payload: Uint8Array): Promise<number>;
  /** Subscribes; resolves once the subscription is active (messages published after it arrive). */
  subscribe(topic: string, handler: BusHandler): Promise<Unsubscribe>;
  /** true while the bus can carry messages (Redis reachable). */
  readonly ready: boolean;
  /** Other nodes use this bus too (cluster mode); false for a lone node's in-process bus. */
  readonly shared: boolean;
  close(): Promise<void>;
}
