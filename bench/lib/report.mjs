/** Formatting for benchmark reports: numbers, ratios, Markdown tables, CPU profile summaries. */
import { loadavg } from 'node:os';
import { summarizeProfile } from './cpuprofile.mjs';
import { median } from './stats.mjs';

/** Formats a number with a fixed number of decimals and thousands separators. */
export const fmt = (n, decimals = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
    : 'n/a';

/** `a ÷ b` with two decimals. */
export const fmtRatio = (a, b) => fmt(a / b, 2);

/** The 1, 5 and 15 minute load averages, space-separated. */
export const fmtLoadAvg = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/**
 * Per-round figures (ratios) as `median (min–max; <roundsLabel>r1, r2, …)`, two decimals: the spread
 * shows how much other load on the machine moved them.
 */
export const fmtSpread = (xs, roundsLabel = '') =>
  `${fmt(median(xs), 2)} (${fmt(Math.min(...xs), 2)}–${fmt(Math.max(...xs), 2)}; ` +
  `${roundsLabel}${xs.map((x) => fmt(x, 2)).join(', ')})`;

/** Renders rows (arrays of strings) as a Markdown table; the first row is the header. */
export function markdownTable(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r) => `| ${r.map((v, c) => String(v).padEnd(widths[c])).join(' | ')} |`;
  return [
    line(rows[0]),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

/**
 * Prints a CPU profile's top 20 self times by area and by function, one per line, under
 * `heading(sampledMs)` (the formatted total sampled time).
 */
export function printProfile(file, heading) {
  const s = summarizeProfile(file, 20);
  const pct = (ms) => `${((ms / s.totalMs) * 100).toFixed(1).padStart(5)}%`;
  console.log(`\n${heading(fmt(s.totalMs))}, self time by area:`);
  for (const [k, ms] of s.byArea) console.log(`  ${pct(ms)}  ${k}`);
  console.log('by function:');
  for (const [k, ms] of s.byFunction) console.log(`  ${pct(ms)}  ${k}`);
}
