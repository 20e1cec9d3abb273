/**
 * Garbage-collector work per acknowledged peer message: `npm run bench -- gc [options]` (build
 * first). Parley runs under `node --trace-gc-nvp` with the peer-relay workload (closed loop,
 * window 1); over the measured window it sums, per message, the bytes that survived scavenges
 * (`new_space_survived`: what each scavenge had to copy), the bytes promoted to old space, and
 * the pause times of scavenges and mark-compacts. The byte counts depend on what the server keeps
 * alive, not on how busy the machine is, which makes them a steadier A/B figure than CPU time.
 * `--ref DIR` runs another build (`parley-ref`) in the same invocation, alternating.
 */
import { resolve } from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { connectInBatches, ParleyRawClient } from './lib/clients.mjs';
import { startPairTraffic } from './lib/peer-traffic.mjs';
import { fmt, markdownTable } from './lib/report.mjs';
import { startParley } from './lib/server-proc.mjs';
import { median, sleep } from './lib/stats.mjs';

const DEFAULTS = { pairs: 50, duration: 5, warmup: 2, window: 1, size: 100, rounds: 2, ref: '' };

/** Sums `key=<number>` over the trace lines that `keep` selects. */
const sum = (lines, key, keep) =>
  lines.filter(keep).reduce((a, l) => a + Number(l.match(new RegExp(`\\b${key}=([\\d.]+)`))?.[1] ?? 0), 0);
const scavenge = (l) => /\bgc=s\b/.test(l);
const markCompact = (l) => /\bgc=(mc|ms)\b/.test(l);

async function run(root, o) {
  const server = await startParley([], ['--trace-gc-nvp'], root);
  let trace = '';
  server.child.stdout.on('data', (d) => {
    trace += d;
  });
  try {
    const clients = await connectInBatches(o.pairs * 2, (i) => ParleyRawClient.connect(server.url, `u${i}`));
    const { traffic, stopPings } = startPairTraffic(clients, o);
    await sleep(o.warmup * 1000);
    trace = '';
    const { completed: n } = await traffic.measure(o.duration * 1000, () => null);
    const lines = trace.split('\n');
    await traffic.stop(2000);
    stopPings();
    for (const c of clients) c.close();
    return {
      messages: n,
      survivedB: sum(lines, 'new_space_survived', scavenge) / n,
      promotedB: sum(lines, 'promoted', scavenge) / n,
      scavengeMsPer1k: (sum(lines, 'pause', scavenge) / n) * 1000,
      markCompactMsPer1k: (sum(lines, 'pause', markCompact) / n) * 1000,
    };
  } finally {
    await server.stop();
  }
}

export default async function gc(argv) {
  const o = parseArgs(argv, DEFAULTS);
  const builds = o.ref
    ? [
        ['parley', undefined],
        ['parley-ref', resolve(o.ref)],
      ]
    : [['parley', undefined]];
  console.log(`gc: ${o.pairs} pairs, window ${o.window}, ${o.duration}s measured, ${o.rounds} round(s)`);
  const per = Object.fromEntries(builds.map(([n]) => [n, []]));
  for (let r = 0; r < o.rounds; r++)
    for (const [name, root] of r % 2 ? [...builds].reverse() : builds) {
      const x = await run(root, o);
      per[name].push(x);
      console.log(
        `  round ${r + 1} ${name}: ${fmt(x.messages)} msgs, survived ${fmt(x.survivedB)} B/msg, promoted ` +
          `${fmt(x.promotedB)} B/msg, scavenges ${fmt(x.scavengeMsPer1k, 2)} ms and mark-compacts ` +
          `${fmt(x.markCompactMsPer1k, 2)} ms per 1,000 msgs`,
      );
    }
  const med = (name, k) => median(per[name].map((x) => x[k]));
  const rows = [
    ['build', 'survived B/msg', 'promoted B/msg', 'scavenge ms / 1k msgs', 'mark-compact ms / 1k msgs'],
  ];
  for (const [name] of builds)
    rows.push([
      name,
      fmt(med(name, 'survivedB')),
      fmt(med(name, 'promotedB')),
      fmt(med(name, 'scavengeMsPer1k'), 2),
      fmt(med(name, 'markCompactMsPer1k'), 2),
    ]);
  console.log(`\n${markdownTable(rows)}`);
}
