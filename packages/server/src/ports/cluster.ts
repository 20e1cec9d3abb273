/**
 * Cluster mode's node liveness, as the server sees it: the adapter heartbeats this node, finds
 * dead nodes and ends their sessions through these hooks (cluster/node-liveness.ts, over the
 * NodeRegistry port: Redis in cluster mode, in memory for multi-node tests).
 */

/** What the node registry needs from the session layer (wired in server.ts). */
export interface ClusterHooks {
  /**
   * Ends a session that lived on a dead node: runs its sessionEnd hooks on this node. Called
   * exactly once per session cluster-wide (each session is claimed with an atomic SMOVE).
   */
  endForeign(appId: string, uid: string, sessionId: string): Promise<void>;
  /**
   * A session of a node just found dead is now UNREACHABLE in the registry: runs its
   * sessionDetached hooks on this node (presence tells its watchers), as a dropped socket would.
   */
  detachForeign(appId: string, uid: string, sessionId: string): Promise<void>;
  /** This node's live sessions, to put back into Redis after it lost its data. */
  localSessions(): Iterable<{ appId: string; uid: string; sessionId: string; online: boolean }>;
  /** Forgets a local session the survivors already ended (this node had been presumed dead). */
  evict(appId: string, uid: string, sessionId: string): void;
}

/** Cluster-mode duties beyond the two ports: liveness of nodes and signals for health and metrics. */
export interface ClusterAgent {
  /** Starts heartbeating and cleaning up after dead nodes (call once the node serves). */
  start(hooks: ClusterHooks): Promise<void>;
  /** Stops heartbeating and leaves the node registry (after the local sessions ended). */
  stop(): Promise<void>;
  /** Stops heartbeating at once and stays in the registry: a test's simulated crash of this node. */
  halt(): void;
  /** Called when the bus becomes able (true) or unable (false) to carry messages. */
  onBusReady(fn: (ready: boolean) => void): void;
  /** Called after the bus re-subscribed its topics following a reconnect to Redis. */
  onResubscribed(fn: (topics: number) => void): void;
}
