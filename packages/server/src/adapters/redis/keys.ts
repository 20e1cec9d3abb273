/**
 * Redis key and channel names. Everything lives under one configurable prefix (one per deployment,
 * one per test run), then per app. Keys carry a Redis Cluster hash tag (`{...}`) so all keys of one
 * user land in one slot, all keys of one channel in another, and the node registry in a third:
 * multi-key scripts stay inside one slot and the data spreads over the cluster by user and channel.
 *
 *   <p>:{a:<app>:u:<uid>}:<part>   per user (session, attributes, subscriptions, inbox)
 *   <p>:{a:<app>:c:<cid>}:<part>   per channel (members, attributes, history)
 *   <p>:{a:<app>:v:<id>}:<part>    per invitation
 *   <p>:{a:<app>}:<part>           per app (usage counters of per-app caps)
 *   <p>:{a:<app>}:hist:<part>      per app: the message history (one slot, so its cap is one script)
 *   <p>:{history}:apps             which apps hold message history (sweeps)
 *   <p>:{nodes}:<part>             node registry: heartbeats, per-node session index, reaper locks
 *   <p>:{offline}:inboxes          which offline inboxes hold messages, oldest first (purges)
 *   <p>:bus:<topic>                pub/sub channels (not keys)
 *
 * User and channel ids may contain `{`, `}` and `:`. That is safe: the fixed part before the id is
 * the same for every key of one user (so its hash tag is too), and the part after the last `}:` is
 * one of our fixed names, so two different ids never produce the same key.
 */
export class RedisKeys {
  readonly bus: string;
  private readonly nodesTag: string;

  constructor(readonly prefix: string) {
    if (!/^[\w.:-]{1,64}$/.test(prefix))
      throw new Error(
        `redis prefix ${JSON.stringify(prefix)}: use 1-64 characters of [A-Za-z0-9_.:-] (no braces)`,
      );
    this.bus = `${prefix}:bus:`;
    this.nodesTag = `${prefix}:{nodes}:`;
  }

  /** A key of one user of one app. */
  user(appId: string, uid: string, part: string): string {
    return `${this.prefix}:{a:${appId}:u:${uid}}:${part}`;
  }

  /** A key of one channel of one app. */
  channel(appId: string, channelId: string, part: string): string {
    return `${this.prefix}:{a:${appId}:c:${channelId}}:${part}`;
  }

  /** A key of one app as a whole (counters of per-app caps). */
  app(appId: string, part: string): string {
    return `${this.prefix}:{a:${appId}}:${part}`;
  }

  /**
   * A key of an app's message history: `t`, `e`, `n`, `bytes`, or an index (`s:<src>`,
   * `d:<dst>`, `p:<src bytes>:<src>:<dst>`): the id comes last, after a fixed name.
   */
  history(appId: string, part: string): string {
    return `${this.prefix}:{a:${appId}}:hist:${part}`;
  }

  /** Set of the apps that hold message history, for sweeps. */
  get historyApps(): string {
    return `${this.prefix}:{history}:apps`;
  }

  /** A key of one invitation. */
  invitation(appId: string, id: string, part: string): string {
    return `${this.prefix}:{a:${appId}:v:${id}}:${part}`;
  }

  /** Sorted set of the offline inboxes (`<appId><uid>`) by the time of their oldest message, for purges. */
  get inboxes(): string {
    return `${this.prefix}:{offline}:inboxes`;
  }

  /** Sorted set: node id → last heartbeat (Redis clock, ms). */
  get nodes(): string {
    return `${this.nodesTag}alive`;
  }

  /** Set of the sessions a node holds: `<appId>:<sessionId>:<uid>`. */
  nodeSessions(nodeId: string): string {
    return `${this.nodesTag}idx:${nodeId}`;
  }

  /** Lock a survivor takes to clean up a dead node. */
  reapLock(nodeId: string): string {
    return `${this.nodesTag}reap:${nodeId}`;
  }

  /** Pub/sub channel of a Bus topic. */
  topic(topic: string): string {
    return this.bus + topic;
  }

  /** SCAN pattern matching every key and nothing outside the prefix (tests clean up with it). */
  get pattern(): string {
    return `${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}:*`;
  }
}

/** A member of a node's session index. The uid goes last: it is the only part that may hold `:`. */
export function sessionMember(appId: string, sessionId: string, uid: string): string {
  return `${appId}:${sessionId}:${uid}`;
}

export function parseSessionMember(m: string): { appId: string; sessionId: string; uid: string } | null {
  const a = m.indexOf(':');
  const b = a < 0 ? -1 : m.indexOf(':', a + 1);
  if (b < 0) return null;
  return { appId: m.slice(0, a), sessionId: m.slice(a + 1, b), uid: m.slice(b + 1) };
}
