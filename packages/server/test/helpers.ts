import AgoraRTM, { type RtmChannel, type RtmClient, type RtmConfig } from '@parley/sdk';
import type { ParleyServer } from '@parley/server/testing';
import type { ServerConfig } from '../src/config.js';
import { type NodeOptions, startNodes } from './cluster/nodes.js';

export const APP_ID = '0123456789abcdef0123456789abcdef';

/** A history query for every entry, oldest first (issue 15 tests). */
export const WHOLE_HISTORY = {
  startMs: 0,
  endMs: Number.MAX_SAFE_INTEGER,
  offset: 0,
  limit: 1000,
  order: 'asc' as const,
};
/** The send option that records a message in the history. */
export const WITH_HISTORY = { enableHistoricalMessaging: true };

/**
 * A real server on port 0 plus a factory for real SDK clients; `cleanup()` closes everything.
 * Several nodes: `{ cluster: true | N }` or env PARLEY_TEST_CLUSTER=1 (N nodes sharing Redis at
 * REDIS_URL, a unique key prefix per setup; skipped loudly without Redis unless
 * PARLEY_REQUIRE_REDIS=1), or `{ nodes: N }` (N nodes sharing in-memory adapters). Clients are
 * spread over the nodes round-robin in creation order; `server` is the first node.
 */
export async function setup(options: Partial<ServerConfig> & NodeOptions = {}) {
  const { cluster, nodes: nodeCount, ...cfg } = options;
  const nodes = await startNodes(cfg, { cluster, nodes: nodeCount });
  const servers = nodes.servers;
  const server = servers[0]!;
  const clients: RtmClient[] = [];
  const client = (opts: RtmConfig = {}, appId = APP_ID): RtmClient => {
    const node = servers[clients.length % servers.length]!;
    const c = AgoraRTM.createInstance(appId, { serverUrl: node.wsUrl, ...opts });
    clients.push(c);
    return c;
  };
  /** creates a client and logs it in */
  const login = async (uid: string, opts: RtmConfig = {}, token?: string): Promise<RtmClient> => {
    const c = client(opts);
    await c.login({ uid, token });
    return c;
  };
  const cleanup = async () => {
    for (const c of clients) c.release();
    await nodes.close();
  };
  /** The user's live session on whichever node holds it (several nodes: clients are spread). */
  const sessionOf = (uid: string, appId = APP_ID) => {
    for (const n of servers) {
      const s = n.sessions.local(appId, uid);
      if (s) return s;
    }
    return undefined;
  };
  /** logs a client in and joins it to `channelId` */
  const joined = async (uid: string, channelId: string): Promise<[RtmClient, RtmChannel]> => {
    const c = await login(uid);
    const channel = c.createChannel(channelId);
    await channel.join();
    return [c, channel];
  };
  return {
    server,
    servers,
    mode: nodes.mode,
    prefix: nodes.prefix,
    client,
    login,
    joined,
    sessionOf,
    cleanup,
  };
}

/** alice then bob logged in, each with channel `room` joined (alice first). */
export async function twoInRoom(env: { login(uid: string): Promise<RtmClient> }) {
  const alice = await env.login('alice');
  const bob = await env.login('bob');
  const ca = alice.createChannel('room');
  const cb = bob.createChannel('room');
  await ca.join();
  await cb.join();
  return { alice, bob, ca, cb };
}

/** Resolves with the arguments of the next `event` on `emitter` (rejects after `ms`). */
export function next<A extends unknown[]>(
  emitter: { once(e: string, fn: (...a: never[]) => void): unknown },
  event: string,
  ms = 5000,
): Promise<A> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), ms);
    emitter.once(event, ((...a: A) => {
      clearTimeout(t);
      resolve(a);
    }) as never);
  });
}

/** Collects every emission of `event` into an array. */
export function collect<A extends unknown[]>(
  emitter: { on(e: string, fn: (...a: never[]) => void): unknown },
  event: string,
): A[] {
  const out: A[] = [];
  emitter.on(event, ((...a: A) => out.push(a)) as never);
  return out;
}

/** Polls `cond` until true (rejects after `ms`). For waiting on state, never for timing. */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export type { ParleyServer };
