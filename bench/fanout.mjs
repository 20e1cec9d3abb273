/**
 * Channel fan-out benchmark: `npm run bench -- fanout [options]` (build first: `npm run build`).
 *
 * One sender sends 100-byte text messages into a channel of N members (default 100, 1,000 and
 * 5,000), keeping `window` messages in flight (each answered to the sender), through
 *   - parley: `parley serve` (ChannelSend → ChannelMessage to every other member, batched per
 *     socket per tick → result to the sender),
 *   - ws:     a bare `ws` broadcast server with the same flow, MessagePack-coded, encoded once,
 *     one frame per message per recipient (lib/ws-broadcast-server.mjs),
 *   - socketio: Socket.IO with the same flow: members join a room, the sender emits with an ack,
 *     the server does `socket.to(room).emit(...)` and acks (lib/socketio-broadcast-server.mjs).
 * Each server runs in its own child process; its CPU (utime + stime) comes from /proc. The members
 * are clients in this process (lib/fanout-clients.mjs): thin protocol clients over `ws` for Parley
 * and the bare server, socket.io-client for Socket.IO. Reported per size: deliveries per second,
 * latency from send to delivery (p50/p99, over every delivery), server CPU per delivery, and
 * Parley ÷ each baseline. Workloads run back to back within a round, reversed every other round.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from './lib/args.mjs';
import { BareChannelClient, ParleyChannelClient, SocketIoChannelClient } from './lib/fanout-clients.mjs';
import { summarizeProfile } from './lib/cpuprofile.mjs';
import { procStats, ROOT, spawnNode, startParley } from './lib/server-proc.mjs';
import { fmt, Latencies, markdownTable, median, sleep } from './lib/stats.mjs';

const DEFAULTS = {
  /** channel sizes (members, sender included) */
  sizes: '100,1000,5000',
  /** deliveries measured per size and workload; messages = deliveries / (size - 1) */
  deliveries: 400_000,
  /** messages in flight from the sender */
  window: 8,
  /** message size, bytes of text */
  size: 100,
  /** warm-up messages per size (not measured) */
  warmup: 50,
  /** rounds over all workloads; figures are the median over rounds */
  rounds: 1,
  workloads: 'parley,ws,socketio',
  /** give up on a run after this long without progress, ms */
  stallMs: 20_000,
  /** extra `parley serve` flags, space-separated (e.g. "--history-messages 0") */
  parleyArgs: '',
  /** directory: run Parley under `node --cpu-prof` there and print where its CPU time goes */
  cpuProf: '',
  /** also write the options and results as JSON to this file */
  jsonOut: '',
};

const WORKLOADS = {
  parley: {
    label: 'Parley',
    start: async (o) => {
      // Members are silent after joining: a long heartbeat keeps their sockets.
      const prof = o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${resolve(o.cpuProf)}`] : [];
      const extra = o.parleyArgs.split(' ').filter(Boolean);
      const s = await startParley(['--heartbeat-ms', '600000', ...extra], prof);
      return { url: s.wsUrl, pid: s.pid, stop: s.stop };
    },
    Client: ParleyChannelClient,
  },
  ws: {
    label: 'bare ws broadcast',
    start: async () => {
      const s = await spawnNode([`${ROOT}/bench/lib/ws-broadcast-server.mjs`], /listening (\d+)/);
      return { url: `ws://127.0.0.1:${s.match[1]}`, pid: s.pid, stop: s.stop };
    },
    Client: BareChannelClient,
  },
  socketio: {
    label: 'Socket.IO broadcast',
    start: async () => {
      const s = await spawnNode([`${ROOT}/bench/lib/socketio-broadcast-server.mjs`], /listening (\d+)/);
      return { url: `http://127.0.0.1:${s.match[1]}`, pid: s.pid, stop: s.stop };
    },
    Client: SocketIoChannelClient,
  },
};

/** Connects `n` members of `channelId`, `batch` at a time. */
async function connectMembers(w, url, channelId, n, batch = 100) {
  const out = [];
  for (let i = 0; i < n; i += batch) {
    const part = [];
    for (let j = i; j < Math.min(n, i + batch); j++) part.push(w.Client.connect(url, `m${j}`, channelId));
    out.push(...(await Promise.all(part)));
  }
  return out;
}

/**
 * Sends `count` messages through `sender` with `window` in flight and resolves when every member
 * got every message. Messages carry their sequence number; `sentAt` maps it to the send time.
 */
function pump(sender, members, count, window, size, lat, stallMs) {
  const pad = 'x'.repeat(size);
  const sentAt = new Float64Array(count);
  const expected = count * members.length;
  let sent = 0;
  let answered = 0;
  let delivered = 0;
  let lastProgress = performance.now();
  return new Promise((resolve, reject) => {
    const sendOne = () => {
      const seq = sent++;
      const head = `${seq}|`;
      sentAt[seq] = performance.now();
      sender.send(head + pad.slice(head.length));
    };
    const check = setInterval(() => {
      if (performance.now() - lastProgress > stallMs) {
        clearInterval(check);
        reject(new Error(`stalled: ${delivered}/${expected} deliveries, ${answered}/${count} answers`));
      }
    }, 1000);
    const maybeDone = () => {
      if (delivered === expected && answered === count) {
        clearInterval(check);
        resolve();
      }
    };
    for (const m of members)
      m.onMessage = (text) => {
        const seq = Number.parseInt(text, 10);
        if (lat) lat.add(performance.now() - sentAt[seq]);
        delivered++;
        lastProgress = performance.now();
        if (delivered === expected) maybeDone();
      };
    sender.onSent = () => {
      answered++;
      lastProgress = performance.now();
      if (sent < count) sendOne();
      else maybeDone();
    };
    while (sent < Math.min(window, count)) sendOne();
  });
}

/** One workload at one channel size: connect, warm up, measure, disconnect. */
async function runSize(w, server, members, o, round) {
  const channelId = `fan-${members}-${round}`;
  const receivers = await connectMembers(w, server.url, channelId, members - 1);
  const sender = await w.Client.connect(server.url, 'sender', channelId);
  // Let join-time events (member events, count updates) settle before measuring.
  await sleep(members > 512 ? 3500 : 1500);
  await pump(sender, receivers, o.warmup, o.window, o.size, null, o.stallMs);
  const count = Math.max(1, Math.round(o.deliveries / receivers.length));
  const lat = new Latencies();
  const cpu0 = procStats(server.pid).cpuMs;
  const t0 = performance.now();
  await pump(sender, receivers, count, o.window, o.size, lat, o.stallMs);
  const secs = (performance.now() - t0) / 1000;
  const cpuMs = procStats(server.pid).cpuMs - cpu0;
  const rss = procStats(server.pid).rssKiB;
  for (const c of [sender, ...receivers]) c.close();
  const deliveries = count * receivers.length;
  const [p50, p99] = lat.percentiles(50, 99);
  return {
    members,
    messages: count,
    deliveries,
    perSec: deliveries / secs,
    p50,
    p99,
    cpuUsPerDelivery: (cpuMs * 1000) / deliveries,
    serverCpuPct: cpuMs / 10 / secs,
    rssMiB: rss / 1024,
  };
}

export default async function main(argv) {
  const o = parseArgs(argv, DEFAULTS);
  const sizes = o.sizes.split(',').map(Number);
  const names = o.workloads.split(',').filter(Boolean);
  for (const n of names) if (!WORKLOADS[n]) throw new Error(`unknown workload ${n}`);
  console.log(
    `channel fan-out: sizes ${sizes.join('/')}, ~${fmt(o.deliveries)} deliveries each, window ${o.window}, ` +
      `${o.size}-byte messages, ${o.rounds} round(s); load ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
  );
  /** results[workload][size] = [round results] */
  const results = {};
  for (let round = 0; round < o.rounds; round++) {
    // Reversed every other round, so no workload always runs first (or last) on a busy machine.
    for (const name of round % 2 ? [...names].reverse() : names) {
      const w = WORKLOADS[name];
      if (o.cpuProf) mkdirSync(o.cpuProf, { recursive: true });
      const server = await w.start(o);
      try {
        for (const size of sizes) {
          const r = await runSize(w, server, size, o, round);
          ((results[name] ??= {})[size] ??= []).push(r);
          console.log(
            `  round ${round + 1} ${w.label.padEnd(19)} ${String(size).padStart(5)} members: ${fmt(r.perSec)} deliveries/s, ` +
              `p99 ${fmt(r.p99, 1)} ms, ${fmt(r.cpuUsPerDelivery, 2)} µs CPU/delivery`,
          );
        }
      } finally {
        await server.stop();
      }
    }
  }
  const med = (name, size, k) => median(results[name][size].map((r) => r[k]));
  const rows = [
    ['members', 'server', 'deliveries/s', 'p50 ms', 'p99 ms', 'server CPU µs/delivery', 'server CPU %'],
  ];
  for (const size of sizes)
    for (const name of names)
      rows.push([
        fmt(size),
        WORKLOADS[name].label,
        fmt(med(name, size, 'perSec')),
        fmt(med(name, size, 'p50'), 1),
        fmt(med(name, size, 'p99'), 1),
        fmt(med(name, size, 'cpuUsPerDelivery'), 2),
        fmt(med(name, size, 'serverCpuPct')),
      ]);
  console.log(`\n${markdownTable(rows)}`);
  const baselines = names.filter((n) => n !== 'parley');
  if (results.parley && baselines.length) {
    const ratios = [['members', 'Parley ÷', 'deliveries/s', 'CPU per delivery', 'p99']];
    for (const size of sizes)
      for (const b of baselines)
        ratios.push([
          fmt(size),
          WORKLOADS[b].label,
          fmt(med('parley', size, 'perSec') / med(b, size, 'perSec'), 2),
          fmt(med('parley', size, 'cpuUsPerDelivery') / med(b, size, 'cpuUsPerDelivery'), 2),
          fmt(med('parley', size, 'p99') / med(b, size, 'p99'), 2),
        ]);
    console.log(`\nRatios of medians:\n${markdownTable(ratios)}`);
    if (o.rounds > 1) {
      // Per-round ratios (each from one back-to-back pair of runs) are steadier on a busy machine.
      const perRound = (b, size, k) => {
        const rs = results.parley[size].map((p, i) => p[k] / results[b][size][i][k]);
        return `${fmt(median(rs), 2)} (${fmt(Math.min(...rs), 2)}–${fmt(Math.max(...rs), 2)}; ${rs.map((x) => fmt(x, 2)).join(', ')})`;
      };
      const rows2 = [
        [
          'members',
          'Parley ÷',
          'CPU/delivery ratio per round: median (min–max; rounds)',
          'deliveries/s ratio per round',
        ],
      ];
      for (const size of sizes)
        for (const b of baselines)
          rows2.push([
            fmt(size),
            WORKLOADS[b].label,
            perRound(b, size, 'cpuUsPerDelivery'),
            perRound(b, size, 'perSec'),
          ]);
      console.log(`\n${markdownTable(rows2)}`);
    }
  }
  if (o.cpuProf) printProfile(o.cpuProf);
  if (o.jsonOut) writeFileSync(o.jsonOut, JSON.stringify({ options: o, results }, null, 2));
}

/** Prints where Parley's CPU went (the newest profile in `dir`; it covers the whole run). */
function printProfile(dir) {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  if (files.length === 0) return;
  const s = summarizeProfile(join(dir, files.at(-1)), 20);
  const pct = (ms) => `${((ms / s.totalMs) * 100).toFixed(1).padStart(5)}%`;
  console.log(`\nParley CPU profile (${files.at(-1)}, ${fmt(s.totalMs)} ms sampled), self time by area:`);
  for (const [k, ms] of s.byArea) console.log(`  ${pct(ms)}  ${k}`);
  console.log('by function:');
  for (const [k, ms] of s.byFunction) console.log(`  ${pct(ms)}  ${k}`);
}
