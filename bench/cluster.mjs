/**
 * Cluster benchmark: `npm run bench -- cluster [options]` (build first: `npm run build`; needs a
 * Redis at REDIS_URL, default redis://127.0.0.1:6379).
 *
 * The same workloads on one node and across two nodes sharing Redis, in one run:
 *   - peer: N client pairs exchange acknowledged 100-byte text peer messages (send → deliver →
 *     SDK ack → result), `window` in flight per client. In cluster mode the two clients of a pair
 *     are on different nodes, so every message crosses the cluster (registry lookup in Redis, node
 *     inbox publish, ack back the same way).
 *   - fan-out: one sender, a channel of M members (members alternate between the nodes in cluster
 *     mode, the sender is on the first): deliveries per second.
 * Topologies: `single` (one node, embedded adapters), `redis1` (one node on Redis: the cost of the
 * Redis adapters alone), `cluster` (two nodes on Redis). Each server is a child process; CPU is
 * read from /proc for the nodes and, when Redis runs on this machine, for redis-server too.
 * Reported: throughput, latency, CPU per message, and each topology's ratio to `single`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { parseArgs } from './lib/args.mjs';
import { cleanPrefix } from './lib/redis-prefix.mjs';
import { pumpChannel } from './lib/channel-pump.mjs';
import { connectInBatches, ParleyRawClient } from './lib/clients.mjs';
import { cpuProfFlags, cpuProfiles } from './lib/cpuprofile.mjs';
import { ParleyChannelClient } from './lib/fanout-clients.mjs';
import { startPairTraffic } from './lib/peer-traffic.mjs';
import { fmt, fmtLoadAvg, fmtRatio, markdownTable, printProfile } from './lib/report.mjs';
import { medianOfRuns } from './lib/rounds.mjs';
import { procStats, startParley } from './lib/server-proc.mjs';
import { Latencies, sleep } from './lib/stats.mjs';

const DEFAULTS = {
  /** run another checkout's build (a directory with packages/server/dist) instead of this one */
  ref: '',
  /** client pairs of the peer workload */
  pairs: 50,
  /** measured seconds of the peer workload (after warm-up) */
  duration: 8,
  warmup: 2,
  /** peer messages in flight per client (enough that two nodes are busy, not waiting on hops) */
  window: 16,
  size: 100,
  /** channel members of the fan-out workload (sender included; 0 = skip) */
  members: 200,
  /** deliveries measured in the fan-out workload */
  deliveries: 200_000,
  /** channel messages in flight from the sender */
  fanWindow: 8,
  topologies: 'single,redis1,cluster',
  /** rounds over all topologies; figures are the median over rounds */
  rounds: 1,
  redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  /** directory: run the nodes under `node --cpu-prof` there and print where their CPU time goes */
  cpuProf: '',
};

const TOPOLOGIES = {
  single: { key: 'single', label: 'one node (embedded)', nodes: 1, redis: false },
  redis1: { key: 'redis1', label: 'one node on Redis', nodes: 1, redis: true },
  cluster: { key: 'cluster', label: 'two nodes on Redis (cross-node)', nodes: 2, redis: true },
};

/** Starts the topology's nodes; every node gets the same key prefix, cleaned at stop. */
async function startNodes(topo, o, extra = []) {
  const prefix = `pbench:${randomBytes(4).toString('hex')}`;
  const nodes = [];
  try {
    for (let i = 0; i < topo.nodes; i++) {
      const args = topo.redis ? ['--redis', o.redis, '--redis-prefix', prefix, '--node-id', `b${i + 1}`] : [];
      nodes.push(
        await startParley(
          [...args, ...extra],
          cpuProfFlags(o.cpuProf, `${topo.key}-${i + 1}`),
          o.ref ? resolve(o.ref) : undefined,
        ),
      );
    }
  } catch (e) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw e;
  }
  return {
    nodes,
    cpuMs: () => nodes.reduce((s, n) => s + procStats(n.pid).cpuMs, 0),
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      if (topo.redis) await cleanPrefix(o.redis, prefix);
    },
  };
}

/** The local redis-server's pid (its CPU is part of the cluster's cost), or null. */
async function redisPid(url) {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    const pid = Number(/process_id:(\d+)/.exec(await r.info('server'))?.[1]);
    return pid && existsSync(`/proc/${pid}/stat`) ? pid : null;
  } catch {
    return null;
  } finally {
    r.disconnect();
  }
}

const redisCpu = (pid) => (pid ? procStats(pid).cpuMs : 0);

/** CPU ms so far of the nodes (`s`, from startNodes) and of the local redis-server. */
const cpuNow = (s, rpid) => ({ nodes: s.cpuMs(), redis: redisCpu(rpid) });

/** Throughput and latency of `n` messages (or deliveries) in `ms`, and their CPU cost each. */
function figures(topo, rpid, { n, ms, lat, cpu0, cpu1 }) {
  const [p50, p99] = lat.percentiles(50, 99);
  return {
    perSec: (n / ms) * 1000,
    p50,
    p99,
    cpuUs: ((cpu1.nodes - cpu0.nodes) * 1000) / n,
    redisUs: topo.redis && rpid ? ((cpu1.redis - cpu0.redis) * 1000) / n : null,
  };
}

async function peerRun(topo, o, rpid) {
  const s = await startNodes(topo, o);
  try {
    const urls = s.nodes.map((n) => n.url);
    // Client i, on node i % nodes, talks to client i ^ 1: with two nodes, always on the other node.
    const clients = await connectInBatches(o.pairs * 2, (i) =>
      ParleyRawClient.connect(urls[i % urls.length], `u${i}`),
    );
    const { traffic, stopPings } = startPairTraffic(clients, o);
    await sleep(o.warmup * 1000);
    const m = await traffic.measure(o.duration * 1000, () => cpuNow(s, rpid));
    await traffic.stop(3000);
    stopPings();
    for (const c of clients) c.close();
    return {
      ...figures(topo, rpid, { n: m.completed, ms: m.elapsedMs, lat: m.lat, cpu0: m.before, cpu1: m.after }),
      notReceived: m.notReceived,
    };
  } finally {
    await s.stop();
  }
}

async function fanoutRun(topo, o, rpid) {
  // Members are silent after joining: a long heartbeat keeps their sockets.
  const s = await startNodes(topo, o, ['--heartbeat-ms', '600000']);
  try {
    const urls = s.nodes.map((n) => n.url);
    const channelId = 'fan';
    // Member i on node i % nodes; the sender (member 0's slot) on the first node.
    const receivers = await connectInBatches(o.members - 1, (i) =>
      ParleyChannelClient.connect(urls[(i + 1) % urls.length], `m${i}`, channelId),
    );
    const sender = await ParleyChannelClient.connect(urls[0], 'sender', channelId);
    await sleep(1500);
    const pump = (count, lat) =>
      pumpChannel(sender, receivers, { count, window: o.fanWindow, size: o.size, lat, stallMs: 20_000 });
    await pump(50, null);
    const count = Math.max(1, Math.round(o.deliveries / receivers.length));
    const lat = new Latencies();
    const cpu0 = cpuNow(s, rpid);
    const t0 = performance.now();
    await pump(count, lat);
    const ms = performance.now() - t0;
    const cpu1 = cpuNow(s, rpid);
    for (const c of [sender, ...receivers]) c.close();
    return figures(topo, rpid, { n: count * receivers.length, ms, lat, cpu0, cpu1 });
  } finally {
    await s.stop();
  }
}

export default async function main(argv) {
  const o = parseArgs(argv, DEFAULTS);
  const names = o.topologies.split(',');
  for (const n of names) if (!TOPOLOGIES[n]) throw new Error(`unknown topology ${n}`);
  const rpid = await redisPid(o.redis);
  if (o.cpuProf) mkdirSync(o.cpuProf, { recursive: true });
  console.log(
    `cluster: ${o.rounds} round(s); peer ${o.pairs} pairs × window ${o.window}, ${o.duration} s; fan-out ${o.members} members, ` +
      `~${fmt(o.deliveries)} deliveries; ${o.size}-byte messages; Redis ${o.redis}${rpid ? ` (pid ${rpid})` : ' (CPU not measured)'}; ` +
      `load ${fmtLoadAvg()}`,
  );
  const peerRounds = {};
  const fanRounds = {};
  for (let round = 0; round < o.rounds; round++)
    for (const n of names) {
      const p = await peerRun(TOPOLOGIES[n], o, rpid);
      (peerRounds[n] ??= []).push(p);
      console.log(
        `  peer    ${TOPOLOGIES[n].label.padEnd(32)} ${fmt(p.perSec)} msg/s, p99 ${fmt(p.p99, 1)} ms`,
      );
      if (o.members > 1) {
        const f = await fanoutRun(TOPOLOGIES[n], o, rpid);
        (fanRounds[n] ??= []).push(f);
        console.log(
          `  fan-out ${TOPOLOGIES[n].label.padEnd(32)} ${fmt(f.perSec)} deliveries/s, p99 ${fmt(f.p99, 1)} ms`,
        );
      }
    }
  const peer = medians(peerRounds);
  const fan = medians(fanRounds);
  const base = names[0];
  const table = (res, unit) => {
    const rows = [
      [
        'topology',
        `${unit}/s`,
        `× ${base}`,
        'p50 ms',
        'p99 ms',
        `nodes CPU µs/${unit}`,
        `Redis CPU µs/${unit}`,
      ],
    ];
    for (const n of names) {
      const r = res[n];
      rows.push([
        TOPOLOGIES[n].label,
        fmt(r.perSec),
        fmtRatio(r.perSec, res[base].perSec),
        fmt(r.p50, 2),
        fmt(r.p99, 2),
        fmt(r.cpuUs, 1),
        r.redisUs === null ? '–' : fmt(r.redisUs, 1),
      ]);
    }
    return markdownTable(rows);
  };
  console.log(
    `\nPeer messages (acknowledged; cross-node in the two-node topology):\n\n${table(peer, 'msg')}`,
  );
  const lost = names.filter((n) => peer[n].notReceived > 0);
  if (lost.length)
    console.log(`\n(not received: ${lost.map((n) => `${n} ${peer[n].notReceived}`).join(', ')})`);
  if (o.members > 1) console.log(`\nChannel fan-out (${o.members} members):\n\n${table(fan, 'delivery')}`);
  if (o.cpuProf)
    for (const f of cpuProfiles(o.cpuProf)) {
      const file = join(o.cpuProf, f);
      printProfile(file, (ms) => `CPU profile ${file} (${ms} ms sampled)`);
    }
}

/** Per topology, the median of each figure over the rounds (the null Redis figures stay null). */
const medians = (rounds) =>
  Object.fromEntries(Object.entries(rounds).map(([n, rs]) => [n, medianOfRuns(rs)]));
