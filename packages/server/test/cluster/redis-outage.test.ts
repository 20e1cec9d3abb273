import { afterEach, describe, expect, it } from 'vitest';
import { collect, setup, until } from '../helpers.js';
import { redisReachable, skipWithoutRedis } from './nodes.js';
import { haveRedisServer, type PrivateRedis, startPrivateRedis } from './redis-server.js';

const health = async (url: string) => (await fetch(`${url}/healthz`)).status;
const metrics = async (url: string) => (await fetch(`${url}/metrics`)).text();
const metric = (text: string, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);

describe('Redis outage and restart (private redis-server)', () => {
  let redis: PrivateRedis | null = null;
  let t: Awaited<ReturnType<typeof setup>> | undefined;
  afterEach(async () => {
    await t?.cleanup().catch(() => undefined);
    t = undefined;
    await redis?.close();
    redis = null;
  });

  it('reports 503 while Redis is down, fails fast, re-subscribes, resumes delivery, loses nothing acknowledged', async () => {
    // The harness' Redis check stands for "this machine runs cluster tests"; the server used here
    // is private so the test may crash it.
    if (!haveRedisServer() || !(await redisReachable())) skipWithoutRedis();
    redis = await startPrivateRedis();
    // A reply lost with Redis ends a request at the ack timeout: keep it short.
    t = await setup({
      cluster: 2,
      redisUrl: redis.url,
      rateLimits: false,
      nodeHeartbeatMs: 200,
      peerAckTimeoutMs: 1000,
    });
    const [n1, n2] = t.servers;
    const alice = await t.login('alice');
    const bob = await t.login('bob');
    const got = collect<[{ text: string }]>(bob, 'MessageFromPeer');
    // Channel members on both nodes: each node listens on the channel's topic.
    const aliceRoom = alice.createChannel('room');
    const bobRoom = bob.createChannel('room');
    await aliceRoom.join();
    await bobRoom.join();
    const roomGot = collect<[{ text: string }]>(bobRoom, 'ChannelMessage');
    const aliceStates = collect<[string, string]>(alice, 'ConnectionStateChanged');
    const bobStates = collect<[string, string]>(bob, 'ConnectionStateChanged');

    // One message at a time, forever: each is acknowledged (hasPeerReceived), refused, or failed.
    const acked: string[] = [];
    let failed = 0;
    let stop = false;
    const sender = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await alice.sendMessageToPeer({ text: String(i) }, 'bob');
          if (r.hasPeerReceived) acked.push(String(i));
        } catch {
          failed++;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })();
    await until(() => acked.length >= 20);
    expect([await health(n1!.url), await health(n2!.url)]).toEqual([200, 200]);

    await redis.kill();
    const failedBefore = failed;
    await until(() => failed >= failedBefore + 3, 10_000, 'sends to fail while Redis is down');
    expect([await health(n1!.url), await health(n2!.url)]).toEqual([503, 503]);
    expect(metric(await metrics(n1!.url), 'parley_bus_ready')).toBe(0);

    await redis.restart();
    const ackedBefore = acked.length;
    await untilAsync(async () => (await health(n1!.url)) === 200 && (await health(n2!.url)) === 200, 10_000);
    const m = await metrics(n2!.url);
    expect(metric(m, 'parley_bus_ready')).toBe(1);
    expect(metric(m, 'parley_bus_resubscribes_total')).toBeGreaterThanOrEqual(1);
    await until(() => acked.length >= ackedBefore + 20, 10_000, 'delivery to resume');
    // The channel's topic was subscribed again too: channel messages cross nodes again.
    await aliceRoom.sendMessage({ text: 'after the restart' });
    await until(() => roomGot.some(([m]) => m.text === 'after the restart'), 5000, 'channel delivery');

    stop = true;
    await sender;
    const texts = () => got.map((g) => g[0].text);
    await until(
      () => acked.every((x) => texts().includes(x)),
      5000,
      'every acknowledged message to have arrived',
    );
    // and each once, in send order
    expect(texts()).toEqual([...texts()].sort((a, b) => Number(a) - Number(b)));
    expect(new Set(texts()).size).toBe(got.length);
    // The clients kept their sessions throughout: the nodes wrote them back into the empty Redis.
    expect([aliceStates, bobStates]).toEqual([[], []]);
  });

  it('answers errors, never hangs, while Redis is stuck, and recovers when it resumes', async () => {
    if (!haveRedisServer() || !(await redisReachable())) skipWithoutRedis();
    redis = await startPrivateRedis();
    t = await setup({ cluster: 2, redisUrl: redis.url, rateLimits: false, peerAckTimeoutMs: 1000 });
    const [n1, n2] = t.servers;
    const alice = await t.login('alice');
    await t.login('bob');
    expect(await alice.sendMessageToPeer({ text: 'before' }, 'bob')).toEqual({ hasPeerReceived: true });

    // Frozen: TCP stays up, nothing answers. The reply timeout (2 s) turns that into errors.
    redis.pause();
    const outcome = await alice.sendMessageToPeer({ text: 'stuck' }, 'bob').then(
      (r) => (r.hasPeerReceived ? 'received' : 'not received'),
      (e: { code?: number }) => `error ${e.code}`,
    );
    expect(outcome).not.toBe('received');
    await untilAsync(async () => (await health(n1!.url)) === 503, 10_000);

    redis.resume();
    await untilAsync(async () => (await health(n1!.url)) === 200 && (await health(n2!.url)) === 200, 10_000);
    expect(await alice.sendMessageToPeer({ text: 'after' }, 'bob')).toEqual({ hasPeerReceived: true });
  });
});

/** Polls an async condition (rejects after `ms`). */
async function untilAsync(cond: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
