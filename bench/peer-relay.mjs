/**
 * Peer relay benchmark: `npm run bench -- peer-relay [options]` (build first: `npm run build`).
 *
 * N client pairs exchange acknowledged 100-byte text peer messages for a fixed time, through
 *   - parley:    `parley serve` (send → deliver → SDK ack → result with received: true),
 *   - ws:        a bare `ws` relay with the same flow, MessagePack-coded (lib/ws-relay-server.mjs),
 *   - ws-binary: the same relay forwarding fixed binary headers without decoding (the floor),
 *   - socketio:  Socket.IO with the same flow: emit with an ack callback, the server emits to the
 *                peer with its own ack and acks the sender when the peer's ack arrives
 *                (lib/socketio-relay-server.mjs; clients use socket.io-client).
 * Each server runs in its own child process; its CPU (utime + stime) and RSS come from /proc.
 * The load generator (this process) uses thin protocol clients over `ws` (lib/clients.mjs).
 * Then idle memory: RSS per idle logged-in Parley client vs per idle bare `ws` and Socket.IO
 * connection. Workloads run back to back within a round, in reverse order every other round.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from './lib/args.mjs';
import {
  BinaryRelayClient,
  connectInBatches,
  MsgpackRelayClient,
  ParleyRawClient,
  SocketIoRelayClient,
} from './lib/clients.mjs';
import { cpuProfFlags, cpuProfiles, summarizeProfile } from './lib/cpuprofile.mjs';
import { latencyUnderLoad } from './lib/latency-under-load.mjs';
import { keepAlive, startPeerTraffic } from './lib/peer-traffic.mjs';
import { fmt, fmtLoadAvg, fmtRatio, fmtSpread, markdownTable } from './lib/report.mjs';
import { medianOfRuns, perRoundRatios, roundOrder } from './lib/rounds.mjs';
import { procStats, startBaseline, startParley } from './lib/server-proc.mjs';
import { median, sleep } from './lib/stats.mjs';

const DEFAULTS = {
  pairs: 50,
  /** measured seconds per workload (after warm-up) */
  duration: 10,
  warmup: 2,
  /** messages in flight per client (each client sends to its partner) */
  window: 1,
  size: 100,
  /** rounds over all workloads; figures are the median over rounds */
  rounds: 1,
  workloads: 'parley,ws,ws-binary,socketio',
  /** idle clients for the memory part (0 = skip) */
  idleClients: 2000,
  /** skip the relay part (idle memory only) */
  idleOnly: false,
  /** directory: run Parley under `node --cpu-prof` there and print where its CPU time goes */
  cpuProf: '',
  /** also write the options and results as JSON to this file */
  jsonOut: '',
  /**
   * latency under load: open-loop traffic at this fraction of the bare relay's throughput (its
   * median in the relay part above), same rate for every server; 0 = skip
   */
  latencyLoad: 0.5,
  /** measured seconds per server for the latency part */
  latencyDuration: 5,
  /** `own`: offer each server latencyLoad × its own throughput instead of the bare relay's */
  latencyOf: 'baseline',
  /** a reference build (a directory with packages/server/dist): workload `parley-ref` runs it */
  ref: '',
};

/** How to start each server and connect to it. */
const WORKLOADS = {
  parley: {
    label: 'Parley',
    start: (o) => startParley([], profFlags(o, 'parley')),
    Client: ParleyRawClient,
    uid: (i) => `u${i}`,
  },
  'parley-ref': {
    label: 'Parley (reference build)',
    start: (o) => startParley([], profFlags(o, 'parley-ref'), resolve(o.ref)),
    Client: ParleyRawClient,
    uid: (i) => `u${i}`,
  },
  ws: {
    label: 'bare ws relay (msgpack)',
    start: (o) => startRelay('msgpack', profFlags(o, 'ws')),
    Client: MsgpackRelayClient,
    uid: (i) => `u${i}`,
  },
  'ws-binary': {
    label: 'bare ws relay (binary, no decode)',
    start: (o) => startRelay('binary', profFlags(o, 'ws-binary')),
    Client: BinaryRelayClient,
    uid: (i) => String(i + 1),
  },
  socketio: {
    label: 'Socket.IO relay',
    start: (o) =>
      startBaseline('socketio-relay-server.mjs', { nodeFlags: profFlags(o, 'socketio'), scheme: 'http' }),
    Client: SocketIoRelayClient,
    uid: (i) => `u${i}`,
  },
};

/** `node --cpu-prof` flags when profiling; the newest `<name>-<ms>.cpuprofile` is the run's. */
const profFlags = (o, name) => cpuProfFlags(o?.cpuProf, name);

const startRelay = (mode, nodeFlags) => startBaseline('ws-relay-server.mjs', { args: [mode], nodeFlags });

/** Connects `n` clients of workload `w` with uids from index `first` on. */
const connectMany = (w, url, n, first = 0) =>
  connectInBatches(n, (i) => w.Client.connect(url, w.uid(first + i)));

async function relayRun(name, o) {
  const w = WORKLOADS[name];
  const server = await w.start(o);
  try {
    const clients = await connectMany(w, server.url, o.pairs * 2);
    const stopPings = keepAlive(clients);
    const traffic = startPeerTraffic(clients, {
      partnerOf: (i) => w.uid(i ^ 1),
      text: 'x'.repeat(o.size),
      window: o.window,
    });
    await sleep(o.warmup * 1000);
    const { elapsedMs, before, after, completed, notReceived, lat } = await traffic.measure(
      o.duration * 1000,
      () => {
        const serverStats = procStats(server.pid);
        const g = process.cpuUsage();
        return { server: serverStats, generatorCpuMs: (g.user + g.system) / 1000 };
      },
    );
    const stuck = await traffic.stop(2000);
    stopPings();
    const ended = clients.filter((c) => c.endedReason).length;
    for (const c of clients) c.close();

    const serverCpuMs = after.server.cpuMs - before.server.cpuMs;
    const generatorCpuMs = after.generatorCpuMs - before.generatorCpuMs;
    const [p50, p99] = lat.percentiles(50, 99);
    return {
      name,
      msgsPerSec: completed / (elapsedMs / 1000),
      p50Ms: p50,
      p99Ms: p99,
      serverCpuUsPerMsg: (serverCpuMs * 1000) / completed,
      // system calls per message: one read and one write per frame unless frames are joined
      readsPerMsg: (after.server.syscr - before.server.syscr) / completed,
      writesPerMsg: (after.server.syscw - before.server.syscw) / completed,
      serverCpuPct: (serverCpuMs / elapsedMs) * 100,
      serverRssMiB: after.server.rssKiB / 1024,
      serverPeakRssMiB: after.server.hwmKiB / 1024,
      generatorCpuPct: (generatorCpuMs / elapsedMs) * 100,
      completed,
      loadAvg1: loadavg()[0],
      notReceived,
      sessionsEnded: ended,
      stuck,
    };
  } finally {
    await server.stop();
  }
}

/**
 * RSS growth per idle client: a few clients first (so one-time costs such as lazy initialisation
 * and JIT of the login path are in the "before" figure), then `n` more, left idle for 3 s.
 */
async function idleRun(name, n, ref) {
  const w = WORKLOADS[name];
  const server = await w.start({ ref });
  const sampleRss = async () => {
    const xs = [];
    for (let i = 0; i < 5; i++) {
      xs.push(procStats(server.pid).rssKiB);
      await sleep(200);
    }
    return median(xs);
  };
  const clients = [];
  let stopPings = () => {};
  try {
    // The fixed cost: an idle server with no client yet (code, heap, caches, the runtime itself).
    await sleep(1000);
    const atStart = await sampleRss();
    clients.push(...(await connectMany(w, server.url, 100, n)));
    await sleep(1000);
    const before = await sampleRss();
    clients.push(...(await connectMany(w, server.url, n)));
    stopPings = keepAlive(clients);
    await sleep(3000);
    const after = await sampleRss();
    return {
      name,
      clients: n,
      rssStartMiB: atStart / 1024,
      rssBeforeMiB: before / 1024,
      rssAfterMiB: after / 1024,
      kibPerClient: (after - before) / n,
    };
  } finally {
    stopPings();
    for (const c of clients) c.close();
    await server.stop();
  }
}

export default async function peerRelay(argv) {
  const o = parseArgs(argv, DEFAULTS);
  const names = o.workloads.split(',').filter(Boolean);
  for (const n of names)
    if (!WORKLOADS[n]) throw new Error(`unknown workload ${n} (${Object.keys(WORKLOADS)})`);
  const base = names.includes('ws') ? 'ws' : names.find((n) => !n.startsWith('parley'));
  const log = (s) => console.log(s);

  log(
    `peer-relay: ${o.pairs} pairs, ${o.size}-byte text, window ${o.window}/client, ${o.warmup}s warm-up + ` +
      `${o.duration}s measured, ${o.rounds} round(s); Node ${process.version}; generator: raw protocol clients over ws ` +
      '(Socket.IO: socket.io-client, websocket transport)',
  );
  log(`load average before: ${fmtLoadAvg()} (other work on the machine skews absolute figures)`);
  if (o.cpuProf) {
    o.cpuProf = resolve(o.cpuProf);
    mkdirSync(o.cpuProf, { recursive: true });
  }

  const results = {};
  if (!o.idleOnly) {
    const perRound = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < o.rounds; r++)
      for (const n of roundOrder(names, r)) {
        const res = await relayRun(n, o);
        perRound[n].push(res);
        log(
          `  round ${r + 1} ${n}: ${fmt(res.msgsPerSec)} msgs/s, ${fmt(res.serverCpuUsPerMsg, 1)} µs CPU/msg, ` +
            `${fmt(res.readsPerMsg, 2)} reads + ${fmt(res.writesPerMsg, 2)} writes/msg, ` +
            `server ${fmt(res.serverCpuPct)}% CPU, generator ${fmt(res.generatorCpuPct)}% CPU, load ${fmt(res.loadAvg1, 1)}`,
        );
        if (res.notReceived || res.sessionsEnded || res.stuck)
          log(
            `    warning: ${res.notReceived} not received, ${res.sessionsEnded} sessions ended, ${res.stuck} stuck`,
          );
      }
    for (const n of names) results[n] = medianOfRuns(perRound[n]);
    const b = results[base];
    const sio = base !== 'socketio' ? results.socketio : undefined;
    const rows = [
      [
        'server',
        'msgs/s',
        'p50 ms',
        'p99 ms',
        'CPU µs/msg',
        'server CPU',
        'RSS MiB (peak)',
        'reads/msg',
        'writes/msg',
        'msgs/s ratio',
        'CPU/msg ratio',
        ...(sio ? ['CPU/msg ÷ Socket.IO'] : []),
      ],
    ];
    for (const n of names) {
      const x = results[n];
      rows.push([
        WORKLOADS[n].label,
        fmt(x.msgsPerSec),
        fmt(x.p50Ms, 2),
        fmt(x.p99Ms, 2),
        fmt(x.serverCpuUsPerMsg, 1),
        `${fmt(x.serverCpuPct)}%`,
        `${fmt(x.serverRssMiB)} (${fmt(x.serverPeakRssMiB)})`,
        fmt(x.readsPerMsg, 2),
        fmt(x.writesPerMsg, 2),
        b ? fmtRatio(x.msgsPerSec, b.msgsPerSec) : '',
        b ? fmtRatio(x.serverCpuUsPerMsg, b.serverCpuUsPerMsg) : '',
        ...(sio ? [fmtRatio(x.serverCpuUsPerMsg, sio.serverCpuUsPerMsg)] : []),
      ]);
    }
    log(`\nPeer relay (ratios against ${base ? WORKLOADS[base].label : 'n/a'}):\n${markdownTable(rows)}`);
    if (results.parley && b) {
      log(
        `\nParley efficiency vs ${WORKLOADS[base].label}: throughput ${fmtRatio(results.parley.msgsPerSec, b.msgsPerSec)} ` +
          `(goal ≥ 0.6), CPU per message ${fmtRatio(b.serverCpuUsPerMsg, results.parley.serverCpuUsPerMsg)} of the ` +
          `baseline's efficiency (target ≥ 1.0, i.e. ≤ ${fmt(b.serverCpuUsPerMsg, 1)} µs/msg).`,
      );
      if (sio)
        log(
          `Parley vs Socket.IO: CPU per message ${fmtRatio(results.parley.serverCpuUsPerMsg, sio.serverCpuUsPerMsg)} ` +
            `of Socket.IO's (target ≤ 1), throughput ${fmtRatio(results.parley.msgsPerSec, sio.msgsPerSec)} × Socket.IO's.`,
        );
    }
    if (results.parley && o.rounds > 1) {
      const range = (xs) => `median ${fmtSpread(xs, 'rounds: ')}`;
      results.perRoundRatios = {};
      for (const n of names.filter((x) => x !== 'parley')) {
        const ratios = (k) => perRoundRatios(perRound.parley, perRound[n], k);
        const r = { msgsPerSec: ratios('msgsPerSec'), serverCpuUsPerMsg: ratios('serverCpuUsPerMsg') };
        results.perRoundRatios[n] = r;
        log(
          `Per-round Parley/${n}: CPU per message ${range(r.serverCpuUsPerMsg)}; msgs/s ${range(r.msgsPerSec)}.`,
        );
      }
    }
  }

  if (!o.idleOnly && o.latencyLoad > 0 && results[base])
    results.latency = await latencyUnderLoad(WORKLOADS, names, base, o, results, log);

  if (o.cpuProf && !o.idleOnly) {
    for (const n of names) {
      const latest = cpuProfiles(o.cpuProf, n).at(-1);
      if (!latest) continue;
      const p = summarizeProfile(join(o.cpuProf, latest), 12);
      const pct = (ms) => `${((ms / p.totalMs) * 100).toFixed(1)}%`;
      log(
        `\n${WORKLOADS[n].label} CPU profile (${join(o.cpuProf, latest)}; includes connect and warm-up), self time:`,
      );
      log(`  by area: ${p.byArea.map(([k, ms]) => `${k} ${pct(ms)}`).join(', ')}`);
      log(
        `  top functions:\n${p.byFunction.map(([k, ms]) => `    ${pct(ms).padStart(6)}  ${k}`).join('\n')}`,
      );
    }
  }

  if (o.idleClients > 0) {
    const idleNames = names.filter((n) => n !== 'ws-binary');
    const idle = {};
    for (const n of idleNames) idle[n] = await idleRun(n, o.idleClients, o.ref);
    results.idle = idle;
    const ibName = idleNames.includes(base) ? base : idleNames.find((n) => !n.startsWith('parley'));
    const ib = idle[ibName];
    const isio = ibName !== 'socketio' ? idle.socketio : undefined;
    const rows = [
      [
        'server',
        'clients',
        'RSS at start MiB',
        'RSS at 100 clients MiB',
        'RSS after MiB',
        'KiB per client',
        'ratio',
        ...(isio ? ['÷ Socket.IO'] : []),
      ],
    ];
    for (const n of idleNames) {
      const x = idle[n];
      rows.push([
        WORKLOADS[n].label,
        fmt(x.clients),
        fmt(x.rssStartMiB, 1),
        fmt(x.rssBeforeMiB, 1),
        fmt(x.rssAfterMiB, 1),
        fmt(x.kibPerClient, 1),
        ib ? fmtRatio(x.kibPerClient, ib.kibPerClient) : '',
        ...(isio ? [fmtRatio(x.kibPerClient, isio.kibPerClient)] : []),
      ]);
    }
    log(
      `\nIdle memory (${o.idleClients} more idle clients after 100 warm-up ones; Parley clients logged in; ` +
        `ratio against ${ib ? WORKLOADS[ibName].label : 'n/a'}, target ≤ 1.1 at 10,000 clients):\n${markdownTable(rows)}`,
    );
  }
  if (o.jsonOut)
    writeFileSync(o.jsonOut, `${JSON.stringify({ options: o, loadAvg: loadavg(), results }, null, 2)}\n`);
}
