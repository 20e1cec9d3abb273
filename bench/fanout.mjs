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
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from './lib/args.mjs';
import { pumpChannel } from './lib/channel-pump.mjs';
import { connectInBatches } from './lib/clients.mjs';
import { cpuProfFlags, cpuProfiles } from './lib/cpuprofile.mjs';
import { BareChannelClient, ParleyChannelClient, SocketIoChannelClient } from './lib/fanout-clients.mjs';
import { fmt, fmtLoadAvg, fmtRatio, fmtSpread, markdownTable, printProfile } from './lib/report.mjs';
import { perRoundRatios, roundOrder } from './lib/rounds.mjs';
import { procStats, startBaseline, startParley } from './lib/server-proc.mjs';
import { Latencies, median, sleep } from './lib/stats.mjs';

const DEFAULTS = {
  /** a reference build (a directory with packages/server/dist): workload `parley-ref` runs it */
  ref: '',
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

/** Members are silent after joining: a long heartbeat keeps their sockets. */
const startFanoutParley = (o, root) =>
  startParley(
    ['--heartbeat-ms', '600000', ...o.parleyArgs.split(' ').filter(Boolean)],
    cpuProfFlags(o.cpuProf),
    root,
  );

const WORKLOADS = {
  parley: {
    label: 'Parley',
    start: (o) => startFanoutParley(o),
    Client: ParleyChannelClient,
  },
  'parley-ref': {
    label: 'Parley (reference build)',
    start: (o) => startFanoutParley(o, resolve(o.ref)),
    Client: ParleyChannelClient,
  },
  ws: {
    label: 'bare ws broadcast',
    start: () => startBaseline('ws-broadcast-server.mjs'),
    Client: BareChannelClient,
  },
  socketio: {
    label: 'Socket.IO broadcast',
    start: () => startBaseline('socketio-broadcast-server.mjs', { scheme: 'http' }),
    Client: SocketIoChannelClient,
  },
};

/** One workload at one channel size: connect, warm up, measure, disconnect. */
async function runSize(w, server, members, o, round) {
  const channelId = `fan-${members}-${round}`;
  const receivers = await connectInBatches(members - 1, (i) =>
    w.Client.connect(server.url, `m${i}`, channelId),
  );
  const sender = await w.Client.connect(server.url, 'sender', channelId);
  // Let join-time events (member events, count updates) settle before measuring.
  await sleep(members > 512 ? 3500 : 1500);
  const pump = (count, lat) =>
    pumpChannel(sender, receivers, { count, window: o.window, size: o.size, lat, stallMs: o.stallMs });
  await pump(o.warmup, null);
  const count = Math.max(1, Math.round(o.deliveries / receivers.length));
  const lat = new Latencies();
  const s0 = procStats(server.pid);
  const t0 = performance.now();
  await pump(count, lat);
  const secs = (performance.now() - t0) / 1000;
  const s1 = procStats(server.pid);
  const cpuMs = s1.cpuMs - s0.cpuMs;
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
    // write system calls per delivery: 1 = a frame per member per message, less = frames joined
    writesPerDelivery: (s1.syscw - s0.syscw) / deliveries,
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
      `${o.size}-byte messages, ${o.rounds} round(s); load ${fmtLoadAvg()}`,
  );
  /** results[workload][size] = [round results] */
  const results = {};
  for (let round = 0; round < o.rounds; round++) {
    for (const name of roundOrder(names, round)) {
      const w = WORKLOADS[name];
      if (o.cpuProf) mkdirSync(o.cpuProf, { recursive: true });
      const server = await w.start(o);
      try {
        for (const size of sizes) {
          const r = await runSize(w, server, size, o, round);
          ((results[name] ??= {})[size] ??= []).push(r);
          console.log(
            `  round ${round + 1} ${w.label.padEnd(19)} ${String(size).padStart(5)} members: ${fmt(r.perSec)} deliveries/s, ` +
              `p99 ${fmt(r.p99, 1)} ms, ${fmt(r.cpuUsPerDelivery, 2)} µs CPU/delivery, ${fmt(r.writesPerDelivery, 2)} writes/delivery`,
          );
        }
      } finally {
        await server.stop();
      }
    }
  }
  const med = (name, size, k) => median(results[name][size].map((r) => r[k]));
  const rows = [
    [
      'members',
      'server',
      'deliveries/s',
      'p50 ms',
      'p99 ms',
      'server CPU µs/delivery',
      'server CPU %',
      'writes/delivery',
    ],
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
        fmt(med(name, size, 'writesPerDelivery'), 2),
      ]);
  console.log(`\n${markdownTable(rows)}`);
  const baselines = names.filter((n) => n !== 'parley');
  if (results.parley && baselines.length) {
    /** A table with a row per size and baseline: members, the baseline, then `cells(baseline, size)`. */
    const perBaseline = (header, cells) =>
      markdownTable([
        header,
        ...sizes.flatMap((size) => baselines.map((b) => [fmt(size), WORKLOADS[b].label, ...cells(b, size)])),
      ]);
    const ofMedians = (b, size, k) => fmtRatio(med('parley', size, k), med(b, size, k));
    const ratios = perBaseline(
      ['members', 'Parley ÷', 'deliveries/s', 'CPU per delivery', 'p99'],
      (b, size) => [
        ofMedians(b, size, 'perSec'),
        ofMedians(b, size, 'cpuUsPerDelivery'),
        ofMedians(b, size, 'p99'),
      ],
    );
    console.log(`\nRatios of medians:\n${ratios}`);
    if (o.rounds > 1) {
      const perRound = (b, size, k) => fmtSpread(perRoundRatios(results.parley[size], results[b][size], k));
      const header = [
        'members',
        'Parley ÷',
        'CPU/delivery ratio per round: median (min–max; rounds)',
        'deliveries/s ratio per round',
      ];
      const table = perBaseline(header, (b, size) => [
        perRound(b, size, 'cpuUsPerDelivery'),
        perRound(b, size, 'perSec'),
      ]);
      console.log(`\n${table}`);
    }
  }
  if (o.cpuProf) {
    // The newest profile is this run's Parley (it covers the whole run).
    const latest = cpuProfiles(o.cpuProf).at(-1);
    if (latest)
      printProfile(join(o.cpuProf, latest), (ms) => `Parley CPU profile (${latest}, ${ms} ms sampled)`);
  }
  if (o.jsonOut) writeFileSync(o.jsonOut, JSON.stringify({ options: o, results }, null, 2));
}
