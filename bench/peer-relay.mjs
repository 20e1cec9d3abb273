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
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import {
  BinaryRelayClient,
  MsgpackRelayClient,
  ParleyRawClient,
  SocketIoRelayClient,
} from './lib/clients.mjs';
import { parseArgs } from './lib/args.mjs';
import { procStats, ROOT, spawnNode, startParley } from './lib/server-proc.mjs';
import { summarizeProfile } from './lib/cpuprofile.mjs';
import { fmt, Latencies, markdownTable, median, sleep } from './lib/stats.mjs';

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
};

/** How to start each server and connect to it. */
const WORKLOADS = {
  parley: {
    label: 'Parley',
    start: async (o) => {
      const s = await startParley([], profFlags(o, 'parley'));
      return { url: s.wsUrl, pid: s.pid, stop: s.stop };
    },
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
    start: async (o) => {
      const s = await spawnNode(
        [...profFlags(o, 'socketio'), `${ROOT}/bench/lib/socketio-relay-server.mjs`],
        /listening (\d+)/,
      );
      return { url: `http://127.0.0.1:${s.match[1]}`, pid: s.pid, stop: s.stop };
    },
    Client: SocketIoRelayClient,
    uid: (i) => `u${i}`,
  },
};

/** `node --cpu-prof` flags when profiling; the newest `<name>-<ms>.cpuprofile` is the run's. */
const profFlags = (o, name) =>
  o?.cpuProf
    ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProf}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`]
    : [];

async function startRelay(mode, nodeFlags) {
  const s = await spawnNode([...nodeFlags, `${ROOT}/bench/lib/ws-relay-server.mjs`, mode], /listening (\d+)/);
  return { url: `ws://127.0.0.1:${s.match[1]}`, pid: s.pid, stop: s.stop };
}

/**
 * Connects `n` clients with uids from index `first` on, `batch` at a time (a burst of thousands of
 * handshakes would only measure accept()).
 */
async function connectMany(w, url, n, first = 0, batch = 100) {
  const out = [];
  for (let i = first; i < first + n; i += batch) {
    const part = [];
    for (let j = i; j < Math.min(first + n, i + batch); j++) part.push(w.Client.connect(url, w.uid(j)));
    out.push(...(await Promise.all(part)));
  }
  return out;
}

/** Keeps Parley sessions alive (the SDK pings every heartbeatMs); one timer for all clients. */
function keepAlive(clients) {
  const every = clients[0]?.heartbeatMs;
  if (!every) return () => {};
  const t = setInterval(() => {
    for (const c of clients) c.ping();
  }, every);
  return () => clearInterval(t);
}

async function relayRun(name, o) {
  const w = WORKLOADS[name];
  const server = await w.start(o);
  try {
    const clients = await connectMany(w, server.url, o.pairs * 2);
    const stopPings = keepAlive(clients);
    const text = 'x'.repeat(o.size);
    const lat = new Latencies();
    let measuring = false;
    let running = true;
    let completed = 0;
    let notReceived = 0;
    let inFlight = 0;
    clients.forEach((c, i) => {
      const peer = w.uid(i ^ 1);
      c.onDone = (ms, received) => {
        inFlight--;
        if (measuring) {
          completed++;
          lat.add(ms);
          if (!received) notReceived++;
        }
        if (running) {
          inFlight++;
          c.send(peer, text);
        }
      };
    });
    for (let k = 0; k < o.window; k++)
      clients.forEach((c, i) => {
        inFlight++;
        c.send(w.uid(i ^ 1), text);
      });

    await sleep(o.warmup * 1000);
    const s0 = procStats(server.pid);
    const g0 = process.cpuUsage();
    const t0 = performance.now();
    measuring = true;
    await sleep(o.duration * 1000);
    measuring = false;
    const t1 = performance.now();
    const s1 = procStats(server.pid);
    const g1 = process.cpuUsage(g0);
    running = false;
    for (let i = 0; i < 200 && inFlight > 0; i++) await sleep(10);
    stopPings();
    const ended = clients.filter((c) => c.endedReason).length;
    for (const c of clients) c.close();

    const secs = (t1 - t0) / 1000;
    const [p50, p99] = lat.percentiles(50, 99);
    return {
      name,
      msgsPerSec: completed / secs,
      p50Ms: p50,
      p99Ms: p99,
      serverCpuUsPerMsg: ((s1.cpuMs - s0.cpuMs) * 1000) / completed,
      serverCpuPct: ((s1.cpuMs - s0.cpuMs) / (t1 - t0)) * 100,
      serverRssMiB: s1.rssKiB / 1024,
      serverPeakRssMiB: s1.hwmKiB / 1024,
      generatorCpuPct: ((g1.user + g1.system) / 1000 / (t1 - t0)) * 100,
      completed,
      loadAvg1: loadavg()[0],
      notReceived,
      sessionsEnded: ended,
      stuck: inFlight,
    };
  } finally {
    await server.stop();
  }
}

/**
 * RSS growth per idle client: a few clients first (so one-time costs such as lazy initialisation
 * and JIT of the login path are in the "before" figure), then `n` more, left idle for 3 s.
 */
async function idleRun(name, n) {
  const w = WORKLOADS[name];
  const server = await w.start();
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

/** Median of each numeric field over rounds. */
function medianOf(runs) {
  const out = { ...runs[0] };
  for (const k of Object.keys(out)) if (typeof out[k] === 'number') out[k] = median(runs.map((r) => r[k]));
  return out;
}

export default async function peerRelay(argv) {
  const o = parseArgs(argv, DEFAULTS);
  const names = o.workloads.split(',').filter(Boolean);
  for (const n of names)
    if (!WORKLOADS[n]) throw new Error(`unknown workload ${n} (${Object.keys(WORKLOADS)})`);
  const base = names.includes('ws') ? 'ws' : names.find((n) => n !== 'parley');
  const log = (s) => console.log(s);

  log(
    `peer-relay: ${o.pairs} pairs, ${o.size}-byte text, window ${o.window}/client, ${o.warmup}s warm-up + ` +
      `${o.duration}s measured, ${o.rounds} round(s); Node ${process.version}; generator: raw protocol clients over ws ` +
      '(Socket.IO: socket.io-client, websocket transport)',
  );
  log(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} (other work on the machine skews absolute figures)`,
  );
  if (o.cpuProf) {
    o.cpuProf = resolve(o.cpuProf);
    mkdirSync(o.cpuProf, { recursive: true });
  }

  const results = {};
  if (!o.idleOnly) {
    const perRound = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < o.rounds; r++)
      // Reversed every other round, so no workload always runs first (or last) on a busy machine.
      for (const n of r % 2 ? [...names].reverse() : names) {
        const res = await relayRun(n, o);
        perRound[n].push(res);
        log(
          `  round ${r + 1} ${n}: ${fmt(res.msgsPerSec)} msgs/s, ${fmt(res.serverCpuUsPerMsg, 1)} µs CPU/msg, ` +
            `server ${fmt(res.serverCpuPct)}% CPU, generator ${fmt(res.generatorCpuPct)}% CPU, load ${fmt(res.loadAvg1, 1)}`,
        );
        if (res.notReceived || res.sessionsEnded || res.stuck)
          log(
            `    warning: ${res.notReceived} not received, ${res.sessionsEnded} sessions ended, ${res.stuck} stuck`,
          );
      }
    for (const n of names) results[n] = medianOf(perRound[n]);
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
        b ? fmt(x.msgsPerSec / b.msgsPerSec, 2) : '',
        b ? fmt(x.serverCpuUsPerMsg / b.serverCpuUsPerMsg, 2) : '',
        ...(sio ? [fmt(x.serverCpuUsPerMsg / sio.serverCpuUsPerMsg, 2)] : []),
      ]);
    }
    log(`\nPeer relay (ratios against ${base ? WORKLOADS[base].label : 'n/a'}):\n${markdownTable(rows)}`);
    if (results.parley && b) {
      log(
        `\nParley efficiency vs ${WORKLOADS[base].label}: throughput ${fmt(results.parley.msgsPerSec / b.msgsPerSec, 2)} ` +
          `(goal ≥ 0.6), CPU per message ${fmt(b.serverCpuUsPerMsg / results.parley.serverCpuUsPerMsg, 2)} of the ` +
          `baseline's efficiency (target ≥ 0.7, i.e. ≤ ${fmt(b.serverCpuUsPerMsg / 0.7, 1)} µs/msg).`,
      );
      if (sio)
        log(
          `Parley vs Socket.IO: CPU per message ${fmt(results.parley.serverCpuUsPerMsg / sio.serverCpuUsPerMsg, 2)} ` +
            `of Socket.IO's (target ≤ 1), throughput ${fmt(results.parley.msgsPerSec / sio.msgsPerSec, 2)} × Socket.IO's.`,
        );
    }
    if (results.parley && o.rounds > 1) {
      // Ratios within each round (the workloads of a round run back to back) vary less with
      // other load on the machine than ratios of medians taken across rounds.
      const range = (xs) =>
        `median ${fmt(median(xs), 2)} (${fmt(Math.min(...xs), 2)}–${fmt(Math.max(...xs), 2)}; ` +
        `rounds: ${xs.map((x) => fmt(x, 2)).join(', ')})`;
      const p = perRound.parley;
      results.perRoundRatios = {};
      for (const n of names.filter((x) => x !== 'parley')) {
        const q = perRound[n];
        const r = {
          msgsPerSec: p.map((x, i) => x.msgsPerSec / q[i].msgsPerSec),
          serverCpuUsPerMsg: p.map((x, i) => x.serverCpuUsPerMsg / q[i].serverCpuUsPerMsg),
        };
        results.perRoundRatios[n] = r;
        log(
          `Per-round Parley/${n}: CPU per message ${range(r.serverCpuUsPerMsg)}; msgs/s ${range(r.msgsPerSec)}.`,
        );
      }
    }
  }

  if (o.cpuProf && !o.idleOnly) {
    for (const n of names) {
      const latest = readdirSync(o.cpuProf)
        .filter((f) => f.startsWith(`${n}-`) && /^\d+\.cpuprofile$/.test(f.slice(n.length + 1)))
        .sort()
        .at(-1);
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
    for (const n of idleNames) idle[n] = await idleRun(n, o.idleClients);
    results.idle = idle;
    const ibName = idleNames.includes(base) ? base : idleNames.find((n) => n !== 'parley');
    const ib = idle[ibName];
    const isio = ibName !== 'socketio' ? idle.socketio : undefined;
    const rows = [
      [
        'server',
        'clients',
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
        fmt(x.rssBeforeMiB, 1),
        fmt(x.rssAfterMiB, 1),
        fmt(x.kibPerClient, 1),
        ib ? fmt(x.kibPerClient / ib.kibPerClient, 2) : '',
        ...(isio ? [fmt(x.kibPerClient / isio.kibPerClient, 2)] : []),
      ]);
    }
    log(
      `\nIdle memory (${o.idleClients} more idle clients after 100 warm-up ones; Parley clients logged in; ` +
        `ratio against ${ib ? WORKLOADS[ibName].label : 'n/a'}, target ≤ 1.3):\n${markdownTable(rows)}`,
    );
  }
  if (o.jsonOut)
    writeFileSync(o.jsonOut, `${JSON.stringify({ options: o, loadAvg: loadavg(), results }, null, 2)}\n`);
}
