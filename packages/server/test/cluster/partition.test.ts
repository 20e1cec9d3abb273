import AgoraRTM, { type RtmChannel, type RtmClient } from '@parley/sdk';
import { startTestServer, type ParleyServer } from '@parley/server/testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ID, collect, until } from '../helpers.js';
import { startTcpProxy, type TcpProxy } from '../tcp-proxy.js';
import { REDIS_URL, cleanPrefix, redisReachable, skipWithoutRedis, uniquePrefix } from './nodes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Node A loses Redis while its clients stay connected to it (a TCP proxy between A and Redis is
 * cut); node B still sees Redis and finds A dead. Short of the grace period nothing ends; past it
 * B ends A's sessions once, and A, back, drops the sessions B ended so their clients log in again.
 */
describe('a node cut off from Redis (partition)', () => {
  let proxy: TcpProxy | null = null;
  let redis: Redis | null = null;
  const nodes: ParleyServer[] = [];
  const clients: RtmClient[] = [];
  let prefix = '';
  afterEach(async () => {
    for (const c of clients.splice(0)) c.release();
    proxy?.resume();
    await Promise.all(nodes.splice(0).map((n) => n.close()));
    await proxy?.close();
    proxy = null;
    redis?.disconnect();
    redis = null;
    if (prefix) await cleanPrefix(prefix);
  });

  async function start(graceMs: number, nodeHeartbeatMs = 100) {
    if (!(await redisReachable())) skipWithoutRedis();
    prefix = uniquePrefix();
    redis = new Redis(REDIS_URL);
    proxy = await startTcpProxy(Number(new URL(REDIS_URL).port || 6379), new URL(REDIS_URL).hostname);
    const cfg = { redisPrefix: prefix, nodeHeartbeatMs, sessionGraceMs: graceMs };
    nodes.push(await startTestServer({ ...cfg, nodeId: 'A', redisUrl: `redis://127.0.0.1:${proxy.port}` }));
    nodes.push(await startTestServer({ ...cfg, nodeId: 'B', redisUrl: REDIS_URL }));
    const member = async (node: number, uid: string): Promise<{ c: RtmClient; ch: RtmChannel }> => {
      const c = AgoraRTM.createInstance(APP_ID, {
        serverUrl: nodes[node]!.wsUrl,
        reconnect: { baseMs: 50, capMs: 200, floorMs: 20 },
      });
      clients.push(c);
      await c.login({ uid });
      const ch = c.createChannel('room');
      await ch.join();
      return { c, ch };
    };
    const alice = await member(0, 'alice');
    const bob = await member(1, 'bob');
    const entry = async () => (await redis!.get(`${prefix}:{a:${APP_ID}:u:alice}:sess`)) ?? '';
    const cut = () => {
      proxy!.pause('refuse');
      proxy!.dropAll();
    };
    return { alice, bob, entry, cut };
  }

  it('ends nothing when the node is back within the grace period', async () => {
    const { alice, bob, entry, cut } = await start(4000);
    const left = collect<[string]>(bob.ch, 'MemberLeft');
    const states = collect<[string, string]>(alice.c, 'ConnectionStateChanged');
    expect(await entry()).toMatch(/^O\|.*\|A$/);
    cut();
    // B finds A dead and marks its sessions UNREACHABLE...
    await untilAsync(async () => (await entry()).startsWith('U|'), 5000);
    proxy!.resume();
    // ...A comes back, writes its state back, and B cancels its cleanup (its lock goes).
    await untilAsync(async () => (await entry()).startsWith('O|'), 5000);
    await untilAsync(async () => (await redis!.exists(`${prefix}:{nodes}:reap:A`)) === 0, 5000);
    await sleep(200);
    expect(left).toEqual([]);
    expect(states).toEqual([]);
    expect((await bob.ch.getMembers()).sort()).toEqual(['alice', 'bob']);
  });

  it('past the grace period: the survivor ends its sessions once, the node drops them when back', async () => {
    const { alice, bob, cut } = await start(300);
    const left = collect<[string]>(bob.ch, 'MemberLeft');
    const joined = collect<[string]>(bob.ch, 'MemberJoined');
    const states = collect<[string, string]>(alice.c, 'ConnectionStateChanged');
    cut();
    await until(() => left.length >= 1, 10_000, 'MemberLeft(alice) from the survivor');
    proxy!.resume();
    // A drops alice's session (B ended it); her SDK logs in again and rejoins.
    await until(() => joined.length >= 1, 10_000, 'alice to rejoin');
    expect(states.map((s) => s.join(' '))).toContain('RECONNECTING INTERRUPTED');
    expect(alice.c.connectionState).toBe('CONNECTED');
    await sleep(200);
    expect(left.map((x) => x[0])).toEqual(['alice']);
    expect(joined.map((x) => x[0])).toEqual(['alice']);
    expect((await bob.ch.getMembers()).sort()).toEqual(['alice', 'bob']);
  });
  it('a stored peer message whose hop is lost in the cut still reaches its receiver, who stayed online, once', async () => {
    // Heartbeats far apart: nobody takes A for dead during the short cut. Before, the message
    // waited in the inbox for alice's next login; now her session gets the inbox again soon.
    const { alice, bob, cut } = await start(30_000, 2000);
    const got = collect<[{ text?: string }, string]>(alice.c, 'MessageFromPeer');
    const states = collect<[string, string]>(alice.c, 'ConnectionStateChanged');
    expect(await bob.c.sendMessageToPeer({ text: 'live' }, 'alice')).toEqual({ hasPeerReceived: true });
    // A's subscription to its node topic goes with the cut; alice's socket to A stays.
    cut();
    const r = await bob.c.sendMessageToPeer({ text: 'stored' }, 'alice', { enableOfflineMessaging: true });
    expect(r).toEqual({ hasPeerReceived: false });
    await sleep(1000);
    proxy!.resume();
    await until(() => got.some(([m]) => m.text === 'stored'), 15_000, 'the stored message to reach alice');
    await sleep(500);
    expect(got.map(([m]) => m.text)).toEqual(['live', 'stored']);
    expect(states).toEqual([]);
  });
});

async function untilAsync(cond: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
