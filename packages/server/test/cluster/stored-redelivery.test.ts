import AgoraRTM, { type RtmClient } from '@parley/sdk';
import { type ParleyServer, startTestServer } from '@parley/server/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ID, collect, until } from '../helpers.js';
import { type TcpProxy, startTcpProxy } from '../tcp-proxy.js';
import { REDIS_URL, cleanPrefix, redisReachable, skipWithoutRedis, uniquePrefix } from './nodes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A stored (offline) peer message whose live hop is lost while its receiver stays online: the
 * receiver's node is cut off from Redis for a moment (its pub/sub subscription drops, its
 * clients stay connected), so the sender is answered `hasPeerReceived: false` (stored). The
 * receiver must still get it soon, without logging in again, once (the server sends its inbox
 * again a moment later; before, it waited for the receiver's next login).
 */
describe('a stored message whose live hand-off was lost', () => {
  let proxy: TcpProxy | null = null;
  const nodes: ParleyServer[] = [];
  const clients: RtmClient[] = [];
  let prefix = '';
  afterEach(async () => {
    for (const c of clients.splice(0)) c.release();
    proxy?.resume();
    await Promise.all(nodes.splice(0).map((n) => n.close()));
    await proxy?.close();
    proxy = null;
    if (prefix) await cleanPrefix(prefix);
  });

  it('reaches its receiver, who stayed online, once', async () => {
    if (!(await redisReachable())) skipWithoutRedis();
    prefix = uniquePrefix();
    proxy = await startTcpProxy(Number(new URL(REDIS_URL).port || 6379), new URL(REDIS_URL).hostname);
    // Heartbeats far apart: nobody takes the receiver's node for dead during the cut.
    const cfg = { redisPrefix: prefix, nodeHeartbeatMs: 2000, sessionGraceMs: 30_000 };
    nodes.push(await startTestServer({ ...cfg, nodeId: 'A', redisUrl: `redis://127.0.0.1:${proxy.port}` }));
    nodes.push(await startTestServer({ ...cfg, nodeId: 'B', redisUrl: REDIS_URL }));
    const login = async (node: number, uid: string) => {
      const c = AgoraRTM.createInstance(APP_ID, { serverUrl: nodes[node]!.wsUrl });
      clients.push(c);
      await c.login({ uid });
      return c;
    };
    const alice = await login(0, 'alice');
    const bob = await login(1, 'bob');
    const got = collect<[{ text?: string }, string]>(alice, 'MessageFromPeer');
    const states = collect<[string, string]>(alice, 'ConnectionStateChanged');
    expect(await bob.sendMessageToPeer({ text: 'live' }, 'alice')).toEqual({ hasPeerReceived: true });

    // A loses Redis: its subscription to its node topic is gone, alice's socket to A is not.
    proxy.pause('refuse');
    proxy.dropAll();
    const r = await bob.sendMessageToPeer({ text: 'stored' }, 'alice', { enableOfflineMessaging: true });
    expect(r).toEqual({ hasPeerReceived: false });
    await sleep(1000);
    proxy.resume();

    await until(() => got.some(([m]) => m.text === 'stored'), 15_000, 'the stored message to reach alice');
    await sleep(500);
    expect(got.map(([m]) => m.text)).toEqual(['live', 'stored']);
    // alice never logged in again: the message came to her session as it was
    expect(states).toEqual([]);
  });
});
