import { ProtocolErrorCode } from '@parley/protocol';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '@parley/server/testing';
import { APP_ID, collect, setup, until } from '../helpers.js';
import { skipWithoutRedis, uniquePrefix } from './nodes.js';
import { haveRedisServer, type LocalRedisCluster, startRedisCluster } from './redis-cluster.js';
import { startPrivateRedis } from './redis-server.js';

/**
 * What docs/cluster.md promises of `--redis-cluster`, on a private local Redis Cluster (3 masters,
 * one replica each, cluster-node-timeout 1 s) that the test may break: topics are sharded
 * channels held on the master that owns their slot only, and when a master is killed (SIGKILL)
 * mid-traffic its replica takes over, sends fail with an answer (never hang) only meanwhile, the
 * bus re-subscribes and says so in /metrics, and nothing acknowledged is lost or duplicated.
 */

const metrics = async (url: string) => (await fetch(`${url}/metrics`)).text();
const metric = (text: string, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
const health = async (url: string) => (await fetch(`${url}/healthz`)).status;

/** A direct connection to one node of the local cluster. */
async function onNode<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, lazyConnect: true });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/** The port of the master that owns `key`'s slot. */
async function ownerOf(port: number, key: string): Promise<number> {
  return onNode(port, async (r) => {
    const slot = (await r.cluster('KEYSLOT', key)) as number;
    const ranges = await r.cluster('SLOTS');
    const master = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2];
    if (!master) throw new Error(`no master owns slot ${slot}`);
    return master[1];
  });
}

describe('Redis Cluster (--redis-cluster): sharded pub/sub, a master killed mid-traffic', () => {
  let cluster: LocalRedisCluster | null = null;
  beforeAll(async () => {
    if (!haveRedisServer()) return;
    cluster = await startRedisCluster({ replicas: 1, nodeTimeoutMs: 1000 });
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
  });

  it('--redis at a node of a Redis Cluster is refused at start, naming --redis-cluster', async () => {
    if (!cluster) skipWithoutRedis('a private local Redis Cluster (redis-server not on PATH)');
    const url = `redis://127.0.0.1:${cluster.ports[0]}`;
    await expect(startTestServer({ redisUrl: url, nodeId: 'wrong-mode' })).rejects.toThrow(
      `${url} is a node of a Redis Cluster: use --redis-cluster <host:port,...> instead of --redis`,
    );
  });

  it('--redis-cluster at a single Redis is refused at start with Redis’ reason', async () => {
    if (!cluster) skipWithoutRedis('a private local Redis Cluster (redis-server not on PATH)');
    const single = await startPrivateRedis();
    try {
      await expect(
        startTestServer({ redisCluster: `127.0.0.1:${single.port}`, nodeId: 'wrong-mode' }),
      ).rejects.toThrow(/cannot reach Redis \(command connection\): .*cluster support disabled/);
    } finally {
      await single.close();
    }
  });

  it('holds each topic as a shard channel on the master owning its slot, nowhere else', async () => {
    if (!cluster) skipWithoutRedis('a private local Redis Cluster (redis-server not on PATH)');
    const t = await setup({ cluster: 2, redisCluster: cluster.seeds, rateLimits: false });
    try {
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      await alice.createChannel('room').join();
      await bob.createChannel('room').join();
      expect(await alice.sendMessageToPeer({ text: 'hi' }, 'bob')).toEqual({ hasPeerReceived: true });
      const masters = await cluster.masters();
      const held = new Map<number, string[]>();
      for (const m of masters) {
        const [sharded, plain] = await onNode(m, (r) =>
          Promise.all([
            r.pubsub('SHARDCHANNELS', `${t.prefix}:*`) as Promise<string[]>,
            r.pubsub('CHANNELS', `${t.prefix}:*`) as Promise<string[]>,
          ]),
        );
        // No plain SUBSCRIBE: those messages would be broadcast to every node of the cluster.
        expect(plain).toEqual([]);
        held.set(m, sharded);
      }
      const all = [...held.values()].flat();
      // The two nodes' own topics, at least, and each channel on one master only
      expect(all).toEqual(expect.arrayContaining([`${t.prefix}:bus:node:n1`, `${t.prefix}:bus:node:n2`]));
      expect(new Set(all).size).toBe(all.length);
      for (const [m, channels] of held) for (const ch of channels) expect(await ownerOf(m, ch)).toBe(m);
    } finally {
      await t.cleanup();
    }
  });

  it('a killed master: its replica takes over, sends fail with an answer meanwhile, nothing acknowledged is lost', async () => {
    if (!cluster) skipWithoutRedis('a private local Redis Cluster (redis-server not on PATH)');
    // The worst shard to lose: the one holding both the node registry ({nodes}: heartbeats) and
    // node n2's topic (every peer message to bob). A prefix is picked so that both share a master.
    const seed = cluster.ports[0]!;
    let prefix = uniquePrefix();
    while (
      (await ownerOf(seed, `${prefix}:bus:node:n2`)) !== (await ownerOf(seed, `${prefix}:{nodes}:alive`))
    )
      prefix = uniquePrefix();
    const victim = await ownerOf(seed, `${prefix}:{nodes}:alive`);
    // 3 missed heartbeats (the dead period) must outlast the failover: 2 s beats (docs/cluster.md).
    const t = await setup({
      cluster: 2,
      redisCluster: cluster.seeds,
      redisPrefix: prefix,
      rateLimits: false,
      nodeHeartbeatMs: 2000,
      peerAckTimeoutMs: 1000,
    });
    try {
      const [n1, n2] = t.servers;
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const got = collect<[{ text: string }]>(bob, 'MessageFromPeer');
      const aliceStates = collect<[string, string]>(alice, 'ConnectionStateChanged');
      const bobStates = collect<[string, string]>(bob, 'ConnectionStateChanged');
      const resubscribesBefore = metric(await metrics(n2!.url), 'parley_bus_resubscribes_total');

      // One message at a time, forever: each is acknowledged (hasPeerReceived), or fails with a code.
      const acked: string[] = [];
      const failures: unknown[] = [];
      let stop = false;
      const sender = (async () => {
        for (let i = 0; !stop; i++) {
          try {
            const r = await alice.sendMessageToPeer({ text: String(i) }, 'bob');
            if (r.hasPeerReceived) acked.push(String(i));
          } catch (e) {
            failures.push((e as { code?: unknown }).code);
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      })();
      await until(() => acked.length >= 20);

      await cluster.kill(victim);
      // One shard down is not the node down: a load balancer keeps both nodes.
      expect([await health(n1!.url), await health(n2!.url)]).toEqual([200, 200]);
      // The replica is promoted once the others flagged the master failed (node timeout, election).
      await cluster.waitHealthy(30_000);
      expect(await cluster.masters()).not.toContain(victim);
      // n2's subscriber on the dead master is set up again on the new one, and counted.
      await untilAsync(
        async () => metric(await metrics(n2!.url), 'parley_bus_resubscribes_total') >= resubscribesBefore + 1,
        15_000,
        'n2 to report the bus re-subscribed',
      );
      const ackedBefore = acked.length;
      await until(() => acked.length >= ackedBefore + 20, 15_000, 'delivery to resume');
      expect([await health(n1!.url), await health(n2!.url)]).toEqual([200, 200]);

      stop = true;
      await sender;
      // A send that needed the dead shard was answered (not received, or failed like a Redis
      // outage: INTERNAL, logged), never left hanging: the sender loop went on.
      for (const code of failures) expect(code).toBe(ProtocolErrorCode.INTERNAL);
      const texts = () => got.map((g) => g[0].text);
      await until(() => acked.every((x) => texts().includes(x)), 5000, 'every acknowledged message');
      // each once, in send order
      expect(texts()).toEqual([...texts()].sort((a, b) => Number(a) - Number(b)));
      expect(new Set(texts()).size).toBe(got.length);
      // The replica had the sessions: both clients kept theirs throughout.
      expect([aliceStates, bobStates]).toEqual([[], []]);
    } finally {
      await t.cleanup();
    }
  }, 60_000);
});

describe('Redis Cluster without replicas: a master killed, then restarted empty', () => {
  let cluster: LocalRedisCluster | null = null;
  beforeAll(async () => {
    if (!haveRedisServer()) return;
    cluster = await startRedisCluster({ replicas: 0, nodeTimeoutMs: 1000 });
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
  });

  it("only that shard's slots fail until it is back; the bus re-subscribes; delivery resumes", async () => {
    if (!cluster) skipWithoutRedis('a private local Redis Cluster (redis-server not on PATH)');
    const seed = cluster.ports[0]!;
    const user = (uid: string) => `p:{a:${APP_ID}:u:${uid}}:sess`;
    // The victim holds node n2's topic but neither the registry ({nodes}) nor the two users' keys
    // (it comes back empty: what it held is gone). User and {nodes} slots do not depend on the
    // prefix; the topic's does, so the prefix is picked to put it on the victim.
    const keep = new Set([await ownerOf(seed, user('alice')), await ownerOf(seed, 'p:{nodes}:alive')]);
    const victim = (await cluster.masters()).find((m) => !keep.has(m))!;
    let receiver = 'bob';
    for (let i = 1; (await ownerOf(seed, user(receiver))) === victim; i++) receiver = `bob${i}`;
    let prefix = uniquePrefix();
    while ((await ownerOf(seed, `${prefix}:bus:node:n2`)) !== victim) prefix = uniquePrefix();
    const t = await setup({
      cluster: 2,
      redisCluster: cluster.seeds,
      redisPrefix: prefix,
      rateLimits: false,
      nodeHeartbeatMs: 2000,
      peerAckTimeoutMs: 1000,
    });
    try {
      const [n1, n2] = t.servers;
      const alice = await t.login('alice');
      const bob = await t.login(receiver);
      const got = collect<[{ text: string }]>(bob, 'MessageFromPeer');
      const resubscribesBefore = metric(await metrics(n2!.url), 'parley_bus_resubscribes_total');
      const acked: string[] = [];
      let unanswered = 0;
      let stop = false;
      const sender = (async () => {
        for (let i = 0; !stop; i++) {
          const r = await alice.sendMessageToPeer({ text: String(i) }, receiver).then(
            (r) => r.hasPeerReceived,
            (e: { code?: number }) => {
              expect(e.code).toBe(ProtocolErrorCode.INTERNAL);
              return false;
            },
          );
          if (r) acked.push(String(i));
          else {
            unanswered++;
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      })();
      await until(() => acked.length >= 20);

      await cluster.kill(victim);
      const before = unanswered;
      await until(() => unanswered >= before + 3, 10_000, 'sends through the dead shard to fail');
      // The other shards serve on: alice's attributes live on a master still up.
      await alice.addOrUpdateLocalUserAttributes({ during: 'the outage' });
      expect(await bob.getUserAttributes('alice')).toEqual({ during: 'the outage' });
      expect([await health(n1!.url), await health(n2!.url)]).toEqual([200, 200]);

      await cluster.restart(victim);
      await cluster.waitHealthy(30_000);
      await untilAsync(
        async () => metric(await metrics(n2!.url), 'parley_bus_resubscribes_total') >= resubscribesBefore + 1,
        15_000,
        'n2 to report the bus re-subscribed',
      );
      const ackedBefore = acked.length;
      await until(() => acked.length >= ackedBefore + 20, 15_000, 'delivery to resume');
      stop = true;
      await sender;
      const texts = () => got.map((g) => g[0].text);
      await until(() => acked.every((x) => texts().includes(x)), 5000, 'every acknowledged message');
      expect(texts()).toEqual([...texts()].sort((a, b) => Number(a) - Number(b)));
      expect(new Set(texts()).size).toBe(got.length);
    } finally {
      await t.cleanup();
    }
  }, 60_000);

  it('every master lost, then back empty: 503 meanwhile, the bus re-subscribes, delivery resumes', async () => {
    if (!cluster) skipWithoutRedis('a private local Redis Cluster (redis-server not on PATH)');
    const t = await setup({
      cluster: 2,
      redisCluster: cluster.seeds,
      rateLimits: false,
      nodeHeartbeatMs: 200,
      peerAckTimeoutMs: 1000,
    });
    try {
      const [n1, n2] = t.servers;
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const aliceRoom = alice.createChannel('room');
      const bobRoom = bob.createChannel('room');
      await aliceRoom.join();
      await bobRoom.join();
      const roomGot = collect<[{ text: string }]>(bobRoom, 'ChannelMessage');
      const resubscribesBefore = metric(await metrics(n2!.url), 'parley_bus_resubscribes_total');
      expect(await alice.sendMessageToPeer({ text: 'before' }, 'bob')).toEqual({ hasPeerReceived: true });

      const masters = await cluster.masters();
      await Promise.all(masters.map((m) => cluster!.kill(m)));
      await untilAsync(
        async () => (await health(n1!.url)) === 503 && (await health(n2!.url)) === 503,
        15_000,
        'both nodes to report 503',
      );
      expect(metric(await metrics(n1!.url), 'parley_bus_ready')).toBe(0);

      for (const m of masters) await cluster.restart(m);
      await cluster.waitHealthy(30_000);
      await untilAsync(
        async () => (await health(n1!.url)) === 200 && (await health(n2!.url)) === 200,
        30_000,
        'both nodes to report 200',
      );
      const m = await metrics(n2!.url);
      expect(metric(m, 'parley_bus_ready')).toBe(1);
      expect(metric(m, 'parley_bus_resubscribes_total')).toBeGreaterThanOrEqual(resubscribesBefore + 1);
      // The nodes wrote their sessions back into the empty cluster; peer and channel topics carry again.
      await untilAsync(
        async () => (await alice.sendMessageToPeer({ text: 'after' }, 'bob')).hasPeerReceived,
        10_000,
        'a peer message to be received again',
      );
      await aliceRoom.sendMessage({ text: 'after the outage' });
      await until(() => roomGot.some(([r]) => r.text === 'after the outage'), 5000, 'channel delivery');
    } finally {
      await t.cleanup();
    }
  }, 120_000);
});

/** Polls an async condition (rejects after `ms`). */
async function untilAsync(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
