import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { ClusterHooks } from '../ports/cluster.js';
import type { NodeRegistry } from '../ports/node-registry.js';
import type { SessionStore } from '../ports/session-store.js';

export interface NodeLivenessOptions {
  nodeId: string;
  /** heartbeat period, ms; a node is dead after 3 periods without one */
  heartbeatMs: number;
  /** the session grace period, ms: a dead node's sessions end this long after its last beat */
  sessionGraceMs: number;
}

/** Sessions a reaper claims and ends at once. */
const REAP_BATCH = 100;

/**
 * Node liveness and dead-node cleanup over the NodeRegistry port.
 *
 * Every node writes a heartbeat (the registry's clock) each `heartbeatMs`. A node with no beat
 * for 3 periods is dead. A survivor claims the cleanup (`lockCleanup`), marks the dead node's
 * sessions UNREACHABLE, waits for the grace period (from now), checks the node is still silent,
 * then ends each session listed in the dead node's index: it moves the entry into its own index
 * (`move` is atomic: one survivor gets each entry, and if that survivor dies too the entry is in
 * its index and is reaped with it), runs the session-end path (`endForeign`), and removes the
 * entry. The dead node leaves the registry when its index is empty.
 *
 * A node that finds it was presumed dead (its entry gone, or older than the dead threshold) evicts
 * the local sessions the survivors ended. A node that finds the registry lost its data (the epoch
 * changed) writes its sessions back.
 */
export class NodeLiveness {
  private readonly deadMs: number;
  /** A new random epoch: whoever finds the epoch gone (the registry lost its data) sets one. */
  private get epochCandidate(): string {
    return randomBytes(8).toString('hex');
  }
  private epoch: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** a heartbeat write is in flight */
  private beating = false;
  /** the work heartbeats call for (write-back, reconcile, dead-node cleanup) is running */
  private maintaining = false;
  /** the registry's epoch changed (it lost its data): this node's sessions are being written back */
  private lostEpoch: string | null = null;
  private hooks: ClusterHooks | null = null;
  /** local time since which every heartbeat succeeded (null: the last one failed) */
  private healthySince: number | null = null;
  private beatFailing = false;
  /** beats left on which to look for local sessions the survivors ended */
  private evictChecks = 0;
  /** dead nodes this node is cleaning up */
  private readonly reaping = new Map<string, NodeJS.Timeout | null>();
  private stopped = false;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly sessions: Pick<SessionStore, 'setState'>,
    private readonly opts: NodeLivenessOptions,
    private readonly log: Logger,
  ) {
    this.deadMs = opts.heartbeatMs * 3;
  }

  /**
   * Registers this node (waiting up to two dead periods if a node with the same id still beats:
   * a restart right after a crash) and starts heartbeating and watching the other nodes.
   */
  async start(hooks: ClusterHooks): Promise<void> {
    this.hooks = hooks;
    const { nodeId } = this.opts;
    const deadline = Date.now() + 2 * this.deadMs + this.opts.heartbeatMs;
    for (;;) {
      const ghost = `${nodeId}~${Date.now().toString(36)}`;
      const { status, ageMs, epoch } = await this.registry.join(
        nodeId,
        this.deadMs,
        ghost,
        this.epochCandidate,
      );
      if (status === 1)
        this.log.warn(
          { node: nodeId, ghost },
          'sessions of a previous run of this node id are left; they will be ended',
        );
      if (status !== -1) {
        this.epoch = epoch;
        break;
      }
      if (Date.now() > deadline)
        throw new Error(`node id ${nodeId} is in use: a node with this id heartbeated ${ageMs} ms ago`);
      await new Promise((r) => setTimeout(r, this.opts.heartbeatMs));
    }
    this.healthySince = Date.now();
    this.timer = setInterval(() => this.tick(), this.opts.heartbeatMs);
    this.timer.unref();
  }

  /** Stops heartbeating; leaves the registry when no session is left to clean up (graceful stop). */
  async stop(): Promise<void> {
    this.halt();
    await this.registry
      .leave(this.opts.nodeId)
      .catch((e) => this.log.warn({ err: e }, 'could not leave the node registry; survivors will clean up'));
  }

  /** Stops heartbeating and cleaning up at once, without leaving the registry (as a crash would). */
  halt(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const t of this.reaping.values()) if (t) clearTimeout(t);
    this.reaping.clear();
  }

  /**
   * Each period: the heartbeat, and (separately) the work it may call for. A heartbeat never waits
   * for that work: a survivor marking a dead node's thousands of sessions UNREACHABLE, or a node
   * reconciling its own after a silence, takes seconds under load, and a node that did not beat
   * meanwhile would itself be taken for dead by the others (a cascade seen in
   * `npm run bench -- scale`).
   */
  private tick(): void {
    if (this.stopped) return;
    void this.beatOnce();
    void this.maintain();
  }

  private async beatOnce(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      await this.beat();
    } catch (e) {
      if (!this.beatFailing) this.log.error({ err: e }, 'node heartbeat failed');
      this.beatFailing = true;
      this.healthySince = null;
    } finally {
      this.beating = false;
    }
  }

  private async beat(): Promise<void> {
    const { ageMs: age, epoch } = await this.registry.beat(this.opts.nodeId, this.epochCandidate);
    if (this.beatFailing) this.log.warn('node heartbeat restored');
    this.beatFailing = false;
    this.healthySince ??= Date.now();
    if (epoch !== this.epoch) {
      if (this.lostEpoch !== epoch)
        this.log.warn(
          'Redis lost its data (restart without persistence?): writing this node’s sessions back',
        );
      this.lostEpoch = epoch;
    } else if (age === -1 || age >= this.deadMs) {
      this.log.warn(
        { silentMs: age },
        'this node was silent long enough to be presumed dead; reconciling its sessions with the survivors',
      );
      // Check again on the next periods too: a survivor that began its cleanup just before this
      // beat may still be ending sessions.
      this.evictChecks = 3;
    }
  }

  /** What the heartbeats called for: sessions written back or reconciled, dead nodes cleaned up. */
  private async maintain(): Promise<void> {
    if (this.maintaining || this.stopped) return;
    this.maintaining = true;
    try {
      const lost = this.lostEpoch;
      if (lost !== null) {
        await this.restoreSessions();
        // Only once all are back: the shards of a Redis Cluster return one by one, and a
        // write-back that failed is tried again in the next period (the writes are idempotent).
        if (this.lostEpoch === lost) this.lostEpoch = null;
        this.epoch = lost;
      }
      if (this.evictChecks > 0) {
        this.evictChecks--;
        await this.reconcileAfterSilence();
      }
      if (this.healthySince !== null && Date.now() - this.healthySince >= this.deadMs) await this.findDead();
    } catch (e) {
      this.log.warn({ err: e }, 'node liveness upkeep failed; tried again next period');
    } finally {
      this.maintaining = false;
    }
  }

  private async restoreSessions(): Promise<void> {
    const { nodeId } = this.opts;
    const ops: Promise<void>[] = [];
    for (const s of this.hooks?.localSessions() ?? [])
      ops.push(
        this.registry.restore(s.appId, s.uid, {
          nodeId,
          sessionId: s.sessionId,
          state: s.online ? 'ONLINE' : 'UNREACHABLE',
        }),
      );
    await Promise.all(ops);
  }

  /**
   * After this node was silent past the dead threshold: drops the local sessions a survivor
   * already ended (their index entries are gone) and restores the registry state of the others.
   */
  private async reconcileAfterSilence(): Promise<void> {
    const local = [...(this.hooks?.localSessions() ?? [])];
    if (local.length === 0) return;
    const present = await this.registry.contains(this.opts.nodeId, local);
    const kept: Promise<boolean>[] = [];
    local.forEach((s, i) => {
      if (!present[i]) this.hooks?.evict(s.appId, s.uid, s.sessionId);
      // A survivor that found this node dead marked its sessions UNREACHABLE: put their state back.
      else
        kept.push(this.sessions.setState(s.appId, s.uid, s.sessionId, s.online ? 'ONLINE' : 'UNREACHABLE'));
    });
    await Promise.all(kept);
  }

  private async findDead(): Promise<void> {
    const { now, nodes } = await this.registry.dead(this.deadMs);
    for (const { nodeId: node, lastSeen } of nodes) {
      if (node === this.opts.nodeId || this.reaping.has(node)) continue;
      await this.claim(node, lastSeen, now);
    }
  }

  /** Takes the cleanup of a dead node if no other survivor has it, and schedules it. */
  private async claim(node: string, lastSeen: number, now: number): Promise<void> {
    // The grace period counts from when the node was found dead: never earlier than a dropped
    // socket's grace on a live node would end (its sockets died at most 3 heartbeats before).
    const delay = this.opts.sessionGraceMs;
    const lease = delay + 10 * this.opts.heartbeatMs + 10_000;
    if (!(await this.registry.lockCleanup(node, this.opts.nodeId, lease))) return;
    this.log.warn(
      { node, silentMs: now - lastSeen, endInMs: delay },
      'node is dead; its sessions end after the grace period',
    );
    this.reaping.set(node, null);
    await this.markUnreachable(node).catch((e) =>
      this.log.warn({ err: e, node }, 'could not mark sessions of a dead node unreachable'),
    );
    const t = setTimeout(() => {
      this.reap(node).then(
        () => this.reaping.delete(node),
        (e) => {
          // The lock expires; this node or another retries.
          this.log.error({ err: e, node }, 'cleanup of a dead node failed');
          this.reaping.delete(node);
        },
      );
    }, delay);
    t.unref();
    this.reaping.set(node, t);
  }

  private async markUnreachable(node: string): Promise<void> {
    for await (const batch of this.registry.entries(node, REAP_BATCH)) {
      await Promise.all(
        batch.map((m) => {
          const p = this.registry.parse(m);
          if (!p) return undefined;
          return this.sessions
            .setState(p.appId, p.uid, p.sessionId, 'UNREACHABLE')
            .then((changed) =>
              changed ? this.hooks?.detachForeign(p.appId, p.uid, p.sessionId) : undefined,
            );
        }),
      );
    }
  }

  private async reap(node: string): Promise<void> {
    if (this.stopped) return;
    const age = await this.registry.age(node);
    if (age !== -1 && age < this.deadMs) {
      this.log.warn({ node }, 'node came back before its sessions ended; cleanup cancelled');
      await this.registry.unlockCleanup(node);
      return;
    }
    const mine = this.opts.nodeId;
    let ended = 0;
    for (;;) {
      if (this.stopped) return;
      const batch = await this.registry.someEntries(node, REAP_BATCH);
      if (batch.length === 0) break;
      await this.registry.extendCleanup(node, 10 * this.opts.heartbeatMs + 10_000);
      await Promise.all(
        batch.map(async (m) => {
          // The move is the claim: exactly one survivor moves each entry.
          if (!(await this.registry.move(node, mine, m))) return;
          const p = this.registry.parse(m);
          if (p) {
            await this.hooks
              ?.endForeign(p.appId, p.uid, p.sessionId)
              .catch((e) => this.log.error({ err: e, node }, 'ending a session of a dead node failed'));
            ended++;
          }
          await this.registry.remove(mine, m);
        }),
      );
    }
    await this.registry.forget(node, this.deadMs);
    this.log.warn({ node, sessions: ended }, 'sessions of a dead node ended');
  }
}
