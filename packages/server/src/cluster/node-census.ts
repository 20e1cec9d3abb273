import type { Unsubscribe } from '../ports/bus.js';
import type { Logger } from '../logger.js';
import type { NodeMesh } from './node-mesh.js';

/** Every node listens here; a census question is one publish on it. */
const TOPIC = 'census';

type Answerer = (payload: unknown) => unknown;

interface Waiting {
  answers: Map<string, unknown>;
  /** answers expected from other nodes (known once the publish counted its receivers) */
  expected: number | null;
  done: (answers: Map<string, unknown>) => void;
  timer: NodeJS.Timeout;
}

/**
 * Asks every node of the cluster the same question and gathers their answers (the web console's
 * cluster overview and event tail). Nodes are not listed anywhere: the question is one publish
 * on a topic every node listens on, whose receiver count says how many answers to wait for;
 * each node answers the asker directly over the mesh. A node that does not answer in time is
 * left out (it is dead or cut off).
 */
export class NodeCensus {
  private readonly answerers = new Map<string, Answerer>();
  private readonly waiting = new Map<number, Waiting>();
  private nextQ = 1;
  private unsub: Unsubscribe | null = null;

  constructor(
    private readonly mesh: NodeMesh,
    private readonly log: Logger,
  ) {
    mesh.on('census.answer', (p, from) => {
      const w = this.waiting.get(p.q);
      if (!w) return;
      w.answers.set(from, p.v);
      this.settleIfComplete(p.q, w);
    });
  }

  /** How this node answers questions of `kind` (also when it asks them itself). */
  answer(kind: string, fn: Answerer): void {
    if (this.answerers.has(kind)) throw new Error(`census question ${kind} answered twice`);
    this.answerers.set(kind, fn);
  }

  async start(): Promise<void> {
    if (!this.mesh.clustered) return;
    this.unsub = await this.mesh.listen(TOPIC, (m, from) => {
      if (m.type !== 'census.ask') return;
      const { q, k, p } = m.payload;
      Promise.resolve()
        .then(() => this.local(k, p))
        .then((v) => this.mesh.send(from, 'census.answer', { q, v }))
        .catch((err) => this.log.warn({ err, kind: k }, 'census answer failed'));
    });
  }

  /** Every node's answer to `kind`, by node id (this node's included), within `timeoutMs`. */
  async ask(kind: string, payload: unknown, timeoutMs: number): Promise<Map<string, unknown>> {
    const own = await this.local(kind, payload);
    if (!this.mesh.clustered) return new Map([[this.mesh.nodeId, own]]);
    const q = this.nextQ++;
    const all = await new Promise<Map<string, unknown>>((resolve) => {
      const w: Waiting = {
        answers: new Map(),
        expected: null,
        done: resolve,
        timer: setTimeout(() => this.settle(q, w), timeoutMs),
      };
      this.waiting.set(q, w);
      this.mesh.publish(TOPIC, 'census.ask', { n: this.mesh.nodeId, q, k: kind, p: payload }).then(
        (receivers) => {
          // The count includes this node's own subscription, which never hears its own publish.
          w.expected = Math.max(0, receivers - 1);
          this.settleIfComplete(q, w);
        },
        () => this.settle(q, w),
      );
    });
    all.set(this.mesh.nodeId, own);
    return all;
  }

  private local(kind: string, payload: unknown): Promise<unknown> {
    const fn = this.answerers.get(kind);
    return fn ? Promise.resolve(fn(payload)) : Promise.reject(new Error(`no census answer for ${kind}`));
  }

  private settleIfComplete(q: number, w: Waiting): void {
    if (w.expected !== null && w.answers.size >= w.expected) this.settle(q, w);
  }

  private settle(q: number, w: Waiting): void {
    if (!this.waiting.delete(q)) return;
    clearTimeout(w.timer);
    w.done(w.answers);
  }

  async close(): Promise<void> {
    for (const [q, w] of this.waiting) this.settle(q, w);
    await this.unsub?.();
  }
}
