/**
 * Latency under load for `peer-relay`: every Parley workload and the baseline get the same
 * open-loop traffic (`latencyLoad` × the baseline's closed-loop throughput; with `latencyOf: own`,
 * each server `latencyLoad` × its own), and the p99s are compared.
 */
import { connectInBatches } from './clients.mjs';
import { keepAlive, startPacedTraffic } from './peer-traffic.mjs';
import { fmt, fmtRatio, fmtSpread, markdownTable } from './report.mjs';
import { medianOfRuns, perRoundRatios, roundOrder } from './rounds.mjs';
import { procStats } from './server-proc.mjs';
import { sleep } from './stats.mjs';

/** Latency of acknowledged messages at a fixed offered `rate` (msgs/s, open loop). */
async function latencyRun(w, o, rate) {
  const server = await w.start(o);
  try {
    const clients = await connectInBatches(o.pairs * 2, (i) => w.Client.connect(server.url, w.uid(i)));
    const stopPings = keepAlive(clients);
    const traffic = startPacedTraffic(clients, {
      partnerOf: (i) => w.uid(i ^ 1),
      text: 'x'.repeat(o.size),
      rate,
    });
    await sleep(o.warmup * 1000);
    const { elapsedMs, before, after, completed, lat } = await traffic.measure(o.latencyDuration * 1000, () =>
      procStats(server.pid),
    );
    await traffic.stop(2000);
    stopPings();
    for (const c of clients) c.close();
    const [p50, p99, p999] = lat.percentiles(50, 99, 99.9);
    return {
      msgsPerSec: completed / (elapsedMs / 1000),
      p50Ms: p50,
      p99Ms: p99,
      p999Ms: p999,
      serverCpuPct: ((after.cpuMs - before.cpuMs) / elapsedMs) * 100,
    };
  } finally {
    await server.stop();
  }
}

/**
 * Runs the latency part over `o.rounds` rounds (alternating order) and prints its table; resolves
 * with `{ rate, [workload]: medians }`. `base` names the baseline workload in `WORKLOADS`;
 * `relay[name].msgsPerSec` is each workload's closed-loop throughput from the relay part.
 */
export async function latencyUnderLoad(WORKLOADS, names, base, o, relay, log) {
  const own = o.latencyOf === 'own';
  if (!own && o.latencyOf !== 'baseline') throw new Error('--latency-of: baseline or own');
  const rateOf = (n) => Math.round(o.latencyLoad * relay[own ? n : base].msgsPerSec);
  const rate = rateOf(base);
  const latNames = names.filter((n) => n === base || n.startsWith('parley'));
  const perRound = Object.fromEntries(latNames.map((n) => [n, []]));
  for (let r = 0; r < o.rounds; r++)
    for (const n of roundOrder(latNames, r)) {
      const res = await latencyRun(WORKLOADS[n], o, rateOf(n));
      perRound[n].push(res);
      log(
        `  latency round ${r + 1} ${n}: ${fmt(res.msgsPerSec)} msgs/s, p50 ${fmt(res.p50Ms, 2)} ms, ` +
          `p99 ${fmt(res.p99Ms, 2)} ms, server ${fmt(res.serverCpuPct)}% CPU`,
      );
    }
  const lat = Object.fromEntries(latNames.map((n) => [n, medianOfRuns(perRound[n])]));
  const rows = [
    ['server', 'offered msgs/s', 'msgs/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'server CPU', 'p99 ÷ bare'],
  ];
  for (const n of latNames) {
    const x = lat[n];
    rows.push([
      WORKLOADS[n].label,
      fmt(rateOf(n)),
      fmt(x.msgsPerSec),
      fmt(x.p50Ms, 2),
      fmt(x.p99Ms, 2),
      fmt(x.p999Ms, 2),
      `${fmt(x.serverCpuPct)}%`,
      fmtRatio(x.p99Ms, lat[base].p99Ms),
    ]);
  }
  log(
    `\nLatency under load: acknowledged msgs/s offered (open loop), ${o.latencyLoad} × ` +
      `${own ? "each server's own" : `${WORKLOADS[base].label}'s`} throughput above ` +
      `(target: Parley's p99 ≤ 2 × the bare relay's):\n${markdownTable(rows)}`,
  );
  if (perRound.parley && o.rounds > 1)
    log(
      `Per-round Parley/${base} p99: ${fmtSpread(perRoundRatios(perRound.parley, perRound[base], 'p99Ms'), 'rounds: ')}.`,
    );
  return { rate, latencyOf: o.latencyOf, ...lat };
}
