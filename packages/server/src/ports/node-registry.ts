import type { SessionRecord } from './session-store.js';

/** A session named by the registry's index of a node. */
export interface SessionRef {
  appId: string;
  uid: string;
  sessionId: string;
}

/**
 * The storage primitives of node liveness (cluster mode). Every time here is the registry's
 * own clock (so node clocks may differ). The logic over them is cluster/node-liveness.ts.
 * Entries of a node's session index are opaque strings; `parse` reads one.
 */
export interface NodeRegistry {
  /**
   * Registers `nodeId`. status -1: the id is in use by a node that beat less than `deadMs` ago
   * (`ageMs` ago); 1: the index of a previous run of this id was moved to `ghostId` (whose
   * sessions the reapers end); 0: clean. `epoch`: the registry's epoch (set to
   * `epochCandidate` if it had none: it lost its data).
   */
  join(
    nodeId: string,
    deadMs: number,
    ghostId: string,
    epochCandidate: string,
  ): Promise<{ status: -1 | 0 | 1; ageMs: number; epoch: string }>;
  /** A heartbeat: `ageMs` since the previous one (-1: `nodeId` was not registered). */
  beat(nodeId: string, epochCandidate: string): Promise<{ ageMs: number; epoch: string }>;
  /** Nodes without a beat for `deadMs`, and the registry's time now. */
  dead(deadMs: number): Promise<{ now: number; nodes: Array<{ nodeId: string; lastSeen: number }> }>;
  /** ms since `nodeId`'s last beat; -1 when it is not registered. */
  age(nodeId: string): Promise<number>;
  /** Removes a dead node whose index is empty and that is still silent; drops its cleanup lock. */
  forget(nodeId: string, deadMs: number): Promise<void>;
  /** Leaves the registry unless sessions are left in the node's index (graceful stop). */
  leave(nodeId: string): Promise<void>;
  /** Takes the cleanup of dead `nodeId` for `owner` for `leaseMs`; false if another node has it. */
  lockCleanup(nodeId: string, owner: string, leaseMs: number): Promise<boolean>;
  extendCleanup(nodeId: string, leaseMs: number): Promise<void>;
  unlockCleanup(nodeId: string): Promise<void>;
  /** The entries of a node's session index, in batches of about `batch`. */
  entries(nodeId: string, batch: number): AsyncIterable<string[]>;
  /** Up to `n` entries of a node's session index (any). */
  someEntries(nodeId: string, n: number): Promise<string[]>;
  /** Moves an entry from one node's index to another's; true for the one caller that moved it. */
  move(from: string, to: string, entry: string): Promise<boolean>;
  remove(nodeId: string, entry: string): Promise<void>;
  /** For each session: whether it is in `nodeId`'s index. */
  contains(nodeId: string, sessions: SessionRef[]): Promise<boolean[]>;
  parse(entry: string): SessionRef | null;
  /** Writes a session back into the session registry (after it lost its data). */
  restore(appId: string, uid: string, rec: SessionRecord): Promise<void>;
}
