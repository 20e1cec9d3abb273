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
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { parseArgs } from './lib/args.mjs';
import { ParleyRawClient } from './lib/clients.mjs';
import { summarizeProfile } from './lib/cpuprofile.mjs';
import { ParleyChannelClient } from './lib/fanout-clients.mjs';
import { procStats, startParley } from './lib/server-proc.mjs';
import { fmt, Latencies, markdownTable, median, sleep } from './lib/stats.mjs';

const DEFAULTS = {
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
      const prof = o.cpuProf
        ? [
            '--cpu-prof',
            `--cpu-prof-dir=${resolve(o.cpuProf)}`,
            `--cpu-prof-name=${topo.key}-${i + 1}-${Date.now()}.cpuprofile`,
          ]
        : [];
      nodes.push(await startParley([...args, ...extra], prof));
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

async function cleanPrefix(url, prefix) {
  const r = new Redis(url);
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await r.unlink(...keys);
  } while (cursor !== '0');
  r.disconnect();
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

/** Connects `n` clients, client i to node i % nodes, 100 at a time. */
async function connectSpread(urls, n, make) {
  const out = [];
  for (let i = 0; i < n; i += 100) {
    const part = [];
    for (let j = i; j < Math.min(n, i + 100); j++) part.push(make(urls[j % urls.length], j));
    out.push(...(await Promise.all(part)));
  }
  return out;
}

async function peerRun(topo, o, rpid) {
  const s = await startNodes(topo, o);
  try {
    const urls = s.nodes.map((n) => n.wsUrl);
    // Client i talks to client i ^ 1: with two nodes they are always on different nodes.
    const clients = await connectSpread(urls, o.pairs * 2, (url, i) => ParleyRawClient.connect(url, `u${i}`));
    const pings = setInterval(() => {
      for (const c of clients) c.ping();
    }, clients[0].heartbeatMs);
    const text = 'x'.repeat(o.size);
    const lat = new Latencies();
    let measuring = false;
    let running = true;
    let completed = 0;
    let notReceived = 0;
    let inFlight = 0;
    clients.forEach((c, i) => {
      c.onDone = (ms, received) => {
        inFlight--;
        if (measuring) {
          completed++;
          lat.add(ms);
          if (!received) notReceived++;
        }
        if (running) {
          inFlight++;
          c.send(`u${i ^ 1}`, text);
        }
      };
    });
    for (let k = 0; k < o.window; k++)
      clients.forEach((c, i) => {
        inFlight++;
        c.send(`u${i ^ 1}`, text);
      });
    await sleep(o.warmup * 1000);
    const cpu0 = s.cpuMs();
    const r0 = redisCpu(rpid);
    const t0 = performance.now();
    measuring = true;
    await sleep(o.duration * 1000);
    measuring = false;
    const ms = performance.now() - t0;
    const cpuMs = s.cpuMs() - cpu0;
    const rMs = redisCpu(rpid) - r0;
    running = false;
    for (let i = 0; i < 300 && inFlight > 0; i++) await sleep(10);
    clearInterval(pings);
    for (const c of clients) c.close();
    const [p50, p99] = lat.percentiles(50, 99);
    return {
      perSec: (completed / ms) * 1000,
      p50,
      p99,
      cpuUs: (cpuMs * 1000) / completed,
      redisUs: topo.redis && rpid ? (rMs * 1000) / completed : null,
      notReceived,
    };
  } finally {
    await s.stop();
  }
}

/** Sends `count` channel messages, `window` in flight; resolves when every member got every one. */
function pump(sender, members, count, window, size, lat) {
  const pad = 'x'.repeat(size);
  const sentAt = new Float64Array(count);
  const expected = count * members.length;
  let sent = 0;
  let answered = 0;
  let delivered = 0;
  let last = performance.now();
  return new Promise((resolve, reject) => {
    const sendOne = () => {
      const seq = sent++;
      const head = `${seq}|`;
      sentAt[seq] = performance.now();
      sender.send(head + pad.slice(head.length));
    };
    const check = setInterval(() => {
      if (performance.now() - last > 20_000) {
        clearInterval(check);
        reject(new Error(`stalled: ${delivered}/${expected} deliveries`));
      }
    }, 1000);
    const done = () => {
      if (delivered === expected && answered === count) {
        clearInterval(check);
        resolve();
      }
    };
    for (const m of members)
      m.onMessage = (t) => {
        if (lat) lat.add(performance.now() - sentAt[Number.parseInt(t, 10)]);
        delivered++;
        last = performance.now();
        if (delivered === expected) done();
      };
    sender.onSent = () => {
      answered++;
      last = performance.now();
      if (sent < count) sendOne();
      else done();
    };
    while (sent < Math.min(window, count)) sendOne();
  });
}

async function fanoutRun(topo, o, rpid) {
  // Members are silent after joining: a long heartbeat keeps their sockets.
  const s = await startNodes(topo, o, ['--heartbeat-ms', '600000']);
  try {
    const urls = s.nodes.map((n) => n.wsUrl);
    const channelId = 'fan';
    // Member i on node i % nodes; the sender (member 0's slot) on the first node.
    const receivers = await connectSpread(urls, o.members - 1, (_url, i) =>
      ParleyChannelClient.connect(urls[(i + 1) % urls.length], `m${i}`, channelId),
    );
    const sender = await ParleyChannelClient.connect(urls[0], 'sender', channelId);
    await sleep(1500);
    await pump(sender, receivers, 50, o.fanWindow, o.size, null);
    const count = Math.max(1, Math.round(o.deliveries / receivers.length));
    const lat = new Latencies();
    const cpu0 = s.cpuMs();
    const r0 = redisCpu(rpid);
    const t0 = performance.now();
    await pump(sender, receivers, count, o.fanWindow, o.size, lat);
    const ms = performance.now() - t0;
    const cpuMs = s.cpuMs() - cpu0;
    const rMs = redisCpu(rpid) - r0;
    for (const c of [sender, ...receivers]) c.close();
    const deliveries = count * receivers.length;
    const [p50, p99] = lat.percentiles(50, 99);
    return {
      perSec: (deliveries / ms) * 1000,
      p50,
      p99,
      cpuUs: (cpuMs * 1000) / deliveries,
      redisUs: topo.redis && rpid ? (rMs * 1000) / deliveries : null,
    };
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
      `load ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
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
        fmt(r.perSec / res[base].perSec, 2),
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
    for (const f of readdirSync(o.cpuProf)
      .filter((x) => x.endsWith('.cpuprofile'))
      .sort())
      printProfile(join(o.cpuProf, f));
}

/** Per topology, the median of each figure over the rounds. */
function medians(rounds) {
  const out = {};
  for (const [n, rs] of Object.entries(rounds)) {
    out[n] = {};
    for (const k of Object.keys(rs[0])) out[n][k] = rs[0][k] === null ? null : median(rs.map((r) => r[k]));
  }
  return out;
}

function printProfile(file) {
  const s = summarizeProfile(file, 20);
  const pct = (ms) => `${((ms / s.totalMs) * 100).toFixed(1).padStart(5)}%`;
  console.log(`\nCPU profile ${file} (${fmt(s.totalMs)} ms sampled), self time by area:`);
  for (const [k, ms] of s.byArea) console.log(`  ${pct(ms)}  ${k}`);
  console.log('by function:');
  for (const [k, ms] of s.byFunction) console.log(`  ${pct(ms)}  ${k}`);
}
