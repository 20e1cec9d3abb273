import { Packr } from 'msgpackr';
import type { Bus, Unsubscribe } from '../ports/bus.js';
import type { Logger } from '../logger.js';

import type { NodeMessages, TopicMessage, TopicMessageType, TopicMessages } from './mesh-messages.js';

type Handler = (payload: never, fromNode: string) => unknown;
/** What a handler returns: its answer (anything for a message answered with null: one-way). */
type HandlerResult<A> = [A] extends [null] ? unknown : A | Promise<A>;
/** A table of message types: each one's payload and answer (mesh-messages.ts has the real one). */
export type MessageTable<M> = { [T in keyof M]: { payload: unknown; answer: unknown } };

/** A mesh request whose target node has no subscriber on the bus: no answer can come. */
export class MeshUnreachableError extends Error {
  constructor(
    readonly nodeId: string,
    type: string,
  ) {
    super(`mesh request ${type}: node ${nodeId} is not listening`);
  }
}

const packr = new Packr({ useRecords: false });
const REPLY = '$r';

/**
 * Node-to-node messaging over the Bus: each node listens on `node:<id>`; `send` is one-way,
 * `request` waits for the handler's return value; `listen` / `publish` carry messages on shared
 * topics (a channel's) to every other node listening there. Cluster semantics are built once here, so a
 * Bus adapter only has to publish and subscribe.
 */
export class NodeMesh<M extends MessageTable<M> = NodeMessages> {
  private readonly handlers = new Map<string, Handler>();
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private nextRid = 1;
  private unsub: Unsubscribe | null = null;

  constructor(
    private readonly bus: Bus,
    readonly nodeId: string,
    private readonly log: Logger,
  ) {}

  static topic(nodeId: string): string {
    return `node:${nodeId}`;
  }

  async start(): Promise<void> {
    this.unsub = await this.bus.subscribe(NodeMesh.topic(this.nodeId), (bytes) => this.onMessage(bytes));
  }

  on<T extends keyof M & string>(
    type: T,
    handler: (payload: M[T]['payload'], fromNode: string) => HandlerResult<M[T]['answer']>,
  ): void {
    if (this.handlers.has(type)) throw new Error(`mesh handler ${type} registered twice`);
    this.handlers.set(type, handler);
  }

  /** One-way; resolves with the number of nodes that received it (0: `nodeId` is not listening). */
  send<T extends keyof M & string>(nodeId: string, type: T, payload: M[T]['payload']): Promise<number> {
    return this.bus.publish(NodeMesh.topic(nodeId), packr.pack([type, 0, this.nodeId, payload]));
  }

  request<T extends keyof M & string>(
    nodeId: string,
    type: T,
    payload: M[T]['payload'],
    timeoutMs: number,
  ): Promise<M[T]['answer']> {
    const rid = this.nextRid++;
    return new Promise<M[T]['answer']>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(new Error(`mesh request ${type} to ${nodeId} timed out`));
      }, timeoutMs);
      this.pending.set(rid, { resolve: resolve as (v: unknown) => void, reject, timer });
      const fail = (e: Error) => {
        if (!this.pending.delete(rid)) return;
        clearTimeout(timer);
        reject(e);
      };
      // Nobody subscribed to the node's topic: it is dead (or cut off from the bus), so no answer
      // can come; fail now rather than after the timeout (a login kicking a dead node's session).
      this.bus
        .publish(NodeMesh.topic(nodeId), packr.pack([type, rid, this.nodeId, payload]))
        .then((receivers) => {
          if (receivers === 0) fail(new MeshUnreachableError(nodeId, type));
        }, fail);
    });
  }

  private onMessage(bytes: Uint8Array): void {
    let msg: [string, number, string, unknown];
    try {
      msg = packr.unpack(bytes as Buffer) as [string, number, string, unknown];
    } catch (e) {
      this.log.error({ err: e }, 'undecodable mesh message');
      return;
    }
    const [type, rid, from, payload] = msg;
    if (type === REPLY) {
      const p = this.pending.get(rid);
      if (!p) return;
      this.pending.delete(rid);
      clearTimeout(p.timer);
      const [ok, value] = payload as [boolean, unknown];
      if (ok) p.resolve(value);
      else p.reject(new Error(String(value)));
      return;
    }
    const h = this.handlers.get(type);
    if (!h) {
      this.log.warn({ type, from }, 'mesh message of unknown type');
      return;
    }
    Promise.resolve()
      .then(() => (h as (p: unknown, from: string) => unknown)(payload, from))
      .then(
        (v) =>
          rid
            ? this.bus.publish(NodeMesh.topic(from), packr.pack([REPLY, rid, this.nodeId, [true, v ?? null]]))
            : undefined,
        (e: Error) => {
          this.log.error({ err: e, type }, 'mesh handler failed');
          return rid
            ? this.bus.publish(
                NodeMesh.topic(from),
                packr.pack([REPLY, rid, this.nodeId, [false, e.message]]),
              )
            : undefined;
        },
      )
      .catch((e) => this.log.error({ err: e }, 'mesh reply failed'));
  }

  /** Other nodes may be listening (cluster mode); false for a lone node. */
  get clustered(): boolean {
    return this.bus.shared;
  }

  /**
   * Listens on a shared topic (e.g. a channel's): `handler(type, payload, fromNode)` gets what
   * other nodes publish there with `publish`, never this node's own messages. Resolves once active.
   */
  listen(topic: string, handler: (msg: TopicMessage, from: string) => void): Promise<Unsubscribe> {
    return this.bus.subscribe(topic, (bytes) => {
      let msg: [string, number, string, unknown];
      try {
        msg = packr.unpack(bytes as Buffer) as [string, number, string, unknown];
      } catch (e) {
        this.log.error({ err: e, topic }, 'undecodable topic message');
        return;
      }
      // The sender's type names its payload (mesh-messages.ts); an unknown type is the handler's to drop.
      if (msg[2] !== this.nodeId) handler({ type: msg[0], payload: msg[3] } as TopicMessage, msg[2]);
    });
  }

  /**
   * One message to every other node listening on `topic`, whatever their number (one PUBLISH).
   * Resolves with how many subscriber connections got it (this node's own included).
   */
  publish<T extends TopicMessageType>(topic: string, type: T, payload: TopicMessages[T]): Promise<number> {
    return this.bus.publish(topic, packr.pack([type, 0, this.nodeId, payload]));
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('mesh closed'));
    }
    this.pending.clear();
    await this.unsub?.();
  }
}
