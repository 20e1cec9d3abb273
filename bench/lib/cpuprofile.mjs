/**
 * CPU profiles of the servers under test: the `node --cpu-prof` flags that write them, and a summary
 * of a V8 .cpuprofile: self time per function and per area (our packages by file, dependencies by
 * package, Node internals, GC, idle).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * `node` flags that write a CPU profile into `dir` (none without a `dir`). With a `name` the file is
 * `<name>-<ms since epoch>.cpuprofile`, so the newest profile of a name sorts last.
 */
export function cpuProfFlags(dir, name) {
  if (!dir) return [];
  const flags = ['--cpu-prof', `--cpu-prof-dir=${resolve(dir)}`];
  if (name) flags.push(`--cpu-prof-name=${name}-${Date.now()}.cpuprofile`);
  return flags;
}

/** The .cpuprofile files in `dir`, sorted by name; with `name`, only the `<name>-<ms>` ones. */
export function cpuProfiles(dir, name) {
  const mine = name
    ? (f) => f.startsWith(`${name}-`) && /^\d+\.cpuprofile$/.test(f.slice(name.length + 1))
    : (f) => f.endsWith('.cpuprofile');
  return readdirSync(dir).filter(mine).sort();
}

function areaOf(node) {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const dep = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (dep) return dep[1];
  const ours = url.match(/packages\/([^/]+)\/(?:dist|src)\/(.+?)\.[jt]s$/);
  if (ours) return `@parley/${ours[1]}/${ours[2]}`;
  if (url.startsWith('node:')) return url.replace(/^node:internal\/(.+?)(\/.*)?$/, 'node:$1');
  return url;
}

/** Returns { totalMs, byArea: [[name, ms]], byFunction: [[name, ms]] }, largest first. */
export function summarizeProfile(file, top = 25) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const area = new Map();
  const fn = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    total += us;
    const a = areaOf(n);
    area.set(a, (area.get(a) ?? 0) + us);
    const loc = n.callFrame.url
      ? `${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`
      : '';
    const f = `${n.callFrame.functionName || '(anonymous)'} ${loc}`.trim();
    fn.set(f, (fn.get(f) ?? 0) + us);
  }
  const sorted = (m) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => [k, us / 1000]);
  return { totalMs: total / 1000, byArea: sorted(area), byFunction: sorted(fn) };
}

// `node bench/lib/cpuprofile.mjs <file.cpuprofile> [top]` prints the summary.
if (import.meta.url === `file://${process.argv[1]}`) {
  const s = summarizeProfile(process.argv[2], Number(process.argv[3] ?? 25));
  const pct = (ms) => `${((ms / s.totalMs) * 100).toFixed(1).padStart(5)}%`;
  console.log(`total sampled: ${s.totalMs.toFixed(0)} ms\n\nself time by area:`);
  for (const [k, ms] of s.byArea) console.log(`  ${pct(ms)}  ${k}`);
  console.log('\nself time by function:');
  for (const [k, ms] of s.byFunction) console.log(`  ${pct(ms)}  ${k}`);
}
