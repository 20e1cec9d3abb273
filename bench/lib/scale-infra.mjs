/**
 * The scale benchmark's plumbing (bench/scale.mjs): load-generator processes over IPC, node
 * health and metrics over HTTP, Redis CPU, free ports.
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './stats.mjs';

const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A forked load generator with request/answer over IPC. */
export function startGenerator(cfg) {
  const child = fork(join(ROOT_DIR, 'bench/lib/scale-gen.mjs'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: ['--max-old-space-size=4096'],
  });
  let n = 0;
  const waiting = new Map();
  child.on('message', (m) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error) w?.reject(new Error(`generator ${cfg.gen}: ${m.error}`));
    else w?.resolve(m);
  });
  child.on('exit', (code, sig) => {
    for (const w of waiting.values()) w.reject(new Error(`generator ${cfg.gen} exited (${code ?? sig})`));
    waiting.clear();
  });
  const ask = (cmd, extra = {}) =>
    new Promise((resolve, reject) => {
      const id = ++n;
      waiting.set(id, { resolve, reject });
      child.send({ id, cmd, ...extra });
    });
  return { child, ask, ready: ask('config', { cfg }) };
}

export const all = (gens, cmd, extra) => Promise.all(gens.map((g) => g.ask(cmd, extra)));

export async function waitHealthy(port, timeoutMs = 60_000) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`node on ${port} not healthy after ${timeoutMs} ms`);
}

export async function scrape(port) {
  try {
    // a stalled node must not stall the timeline
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    const num = (re) => Number(re.exec(text)?.[1] ?? Number.NaN);
    return {
      logins: num(/^parley_logins_total\{code="0"\} (\S+)$/m),
      loginRefusals: [...text.matchAll(/^parley_logins_total\{code="(\d+)"\} (\S+)$/gm)]
        .filter((m) => m[1] !== '0')
        .reduce((s, m) => s + Number(m[2]), 0),
      sessions: num(/^parley_sessions (\S+)$/m),
      connections: num(/^parley_connections (\S+)$/m),
    };
  } catch {
    return null;
  }
}

/** Redis CPU seconds so far (INFO cpu, user + sys), summed over the masters. */
export async function redisCpuS(conns) {
  let s = 0;
  for (const r of conns) {
    const info = await r.info('cpu');
    s += Number(/used_cpu_user:(\S+)/.exec(info)[1]) + Number(/used_cpu_sys:(\S+)/.exec(info)[1]);
  }
  return s;
}

export const states = (statuses) => {
  const out = {};
  for (const s of statuses) for (const [k, v] of Object.entries(s.states)) out[k] = (out[k] ?? 0) + v;
  return out;
};
