/**
 * Flood benchmark: `npm run bench -- flood [options]` (build first: `npm run build`).
 *
 * A bystander pings `parley serve` (rate limits on, as in production) one Ping at a time and
 * records each round trip: first alone, then while one hostile client floods the server from its
 * own process (lib/flooder.mjs: frames of 1,500 PeerSend, of SubscribePeers with 9,000 ids, or of
 * 1,500 QueryPeersOnline; it reconnects at once whenever the server closes it). Each setting runs
 * twice: with the flood protection (`--max-requests-per-second`, `--max-refused-requests`
 * defaults) and without it (both 0: the server before issue 13). Reports the bystander's p50/p99/max
 * round trip and how often the server closed the flooder.
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { Op } from '@parley/protocol';
import { parseArgs } from './lib/args.mjs';
import { BENCH_APP_ID, ParleyRawClient, open } from './lib/clients.mjs';
import { fmt, fmtLoadAvg, markdownTable } from './lib/report.mjs';
import { ROOT, spawnNode, startParley } from './lib/server-proc.mjs';
import { Latencies, sleep } from './lib/stats.mjs';

const DEFAULTS = {
  /** measured seconds per phase */
  duration: 5,
  /** seconds of flooding before measuring */
  warmup: 1,
  /** pause between one pong and the next ping, ms */
  interval: 5,
  floods: 'peer-send,subscribe,query',
  /** on: the defaults of issue 13; off: budget and refusal strikes disabled */
  protection: 'on,off',
};

/** The bystander: one Ping at a time, each round trip recorded. */
class Bystander extends ParleyRawClient {
  static async connect(url, uid) {
    const c = new Bystander(await open(url), uid);
    await c.login(BENCH_APP_ID);
    return c;
  }
  onPong = null;
  onEvent(m) {
    if (m.op === Op.Ping) this.onPong?.();
    else super.onEvent(m);
  }
  async measure(seconds, intervalMs) {
    const lat = new Latencies();
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      const t0 = performance.now();
      await new Promise((resolve) => {
        this.onPong = resolve;
        this.ping();
      });
      lat.add(performance.now() - t0);
      await sleep(intervalMs);
    }
    return lat;
  }
}

async function startFlooder(url, kind) {
  const f = await spawnNode([join(ROOT, 'bench/lib/flooder.mjs'), url, kind, BENCH_APP_ID], /ready/);
  return {
    async stop() {
      let out = '';
      f.child.stdout.setEncoding('utf8');
      f.child.stdout.on('data', (d) => {
        out += d;
      });
      await f.stop();
      const line = out.trim().split('\n').pop();
      return line ? JSON.parse(line) : null;
    },
  };
}

export default async function main(argv) {
  const o = parseArgs(argv, DEFAULTS);
  const rows = [
    ['protection', 'flooder', 'bystander p50 ms', 'p99 ms', 'max ms', 'pings', 'flooder sockets', 'closes'],
  ];
  for (const protection of o.protection.split(',')) {
    const extra = ['--rate-limits', 'on'];
    if (protection === 'off') extra.push('--max-requests-per-second', '0', '--max-refused-requests', '0');
    const server = await startParley(extra);
    try {
      const by = await Bystander.connect(server.url, 'bystander');
      const phases = [['none', null], ...o.floods.split(',').map((k) => [k, k])];
      for (const [label, kind] of phases) {
        const flooder = kind ? await startFlooder(server.url, kind) : null;
        if (flooder) await sleep(o.warmup * 1000);
        const lat = await by.measure(o.duration, o.interval);
        const st = flooder ? await flooder.stop() : null;
        const [p50, p99, max] = lat.percentiles(50, 99, 100);
        rows.push([
          protection,
          label,
          fmt(p50, 2),
          fmt(p99, 2),
          fmt(max, 1),
          fmt(lat.count),
          st ? fmt(st.sockets) : '–',
          st
            ? Object.entries(st.closes)
                .map(([c, n]) => `${c}×${n}`)
                .join(' ') || 'none'
            : '–',
        ]);
        console.error(`${protection} / ${label}: p50 ${fmt(p50, 2)} ms, p99 ${fmt(p99, 2)} ms`);
      }
      by.close();
    } finally {
      await server.stop();
    }
  }
  console.log(`\nFlood: bystander Ping round trip (load ${fmtLoadAvg()}, ${o.duration} s per phase)\n`);
  console.log(markdownTable(rows));
}
