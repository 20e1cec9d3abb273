/**
 * Servers under test run in their own child process so their CPU and memory can be read from
 * /proc (Linux) without counting the load generator.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const CLK_TCK = 100; // USER_HZ: 100 on every Linux ABI Node supports
const PAGE_KIB = 4;

/**
 * Spawns `node <args>` and resolves once a stdout line matches `ready` (its match is returned).
 * stderr is passed through, so a crashing server is visible.
 */
export function spawnNode(args, ready, { timeoutMs = 15_000, env, wrap = [] } = {}) {
  // `wrap`: a command to run node under (e.g. valgrind and its options); its pid is node's.
  const [cmd, ...pre] = wrap.length > 0 ? [...wrap, process.execPath] : [process.execPath];
  const child = spawn(cmd, [...pre, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error(`no ready line from ${args.join(' ')}`)), timeoutMs);
    const fail = (e) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    child.on('exit', (code, sig) => fail(new Error(`node ${args.join(' ')} exited early (${code ?? sig})`)));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', function onData(d) {
      buf += d;
      const m = buf.match(ready);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout.off('data', onData);
      child.stdout.resume(); // keep draining
      resolve({ child, pid: child.pid, match: m, stop: () => stopChild(child) });
    });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export function stopChild(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts a baseline server, `bench/lib/<script> [args]`, which prints `listening <port>` once ready.
 * `scheme` is the clients' URL scheme (`http` for Socket.IO). Resolves with `{ url, pid, stop }`.
 */
export async function startBaseline(script, { args = [], nodeFlags = [], scheme = 'ws', spawnOpts } = {}) {
  const s = await spawnNode(
    [...nodeFlags, join(ROOT, 'bench/lib', script), ...args],
    /listening (\d+)/,
    spawnOpts,
  );
  return { url: `${scheme}://127.0.0.1:${s.match[1]}`, pid: s.pid, stop: s.stop };
}

/**
 * Starts `parley serve` from packages/server/dist (run `npm run build` first) on port 0 with rate
 * limits and the per-address connection cap off, quiet logs and a throw-away data dir. `nodeFlags` go to node (e.g. `--cpu-prof`).
 * Resolves with `{ url, pid, stop }` (`url`: its WebSocket URL). `root`: another checkout's built
 * tree to run instead of this one (an A/B against a reference build in the same invocation).
 */
export async function startParley(extraArgs = [], nodeFlags = [], root = ROOT, spawnOpts = {}) {
  const cli = join(root, 'packages/server/dist/cli.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const args = [
    cli,
    'serve',
    '--port',
    '0',
    '--rate-limits',
    'off',
    '--log-level',
    'warn',
    '--data-dir',
    dataDir,
    // Every load-generator client connects from 127.0.0.1: the per-address cap (1000) would refuse them.
    '--max-connections-per-ip',
    '0',
  ];
  let s;
  try {
    s = await spawnNode([...nodeFlags, ...args, ...extraArgs], /\(WebSocket (ws:\/\/\S+)\)/, {
      ...spawnOpts,
      env: { PARLEY_LOG_LEVEL: 'warn' },
    });
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    if (e.message.includes('exited early')) e.message += ` — is packages/server/dist built? (npm run build)`;
    throw e;
  }
  return {
    url: s.match[1],
    pid: s.pid,
    child: s.child,
    stop: async () => {
      await s.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * CPU time (user + system, ms, all threads) and memory (KiB) of a process, from /proc.
 * `rssKiB` is the resident set now, `hwmKiB` its peak so far; `syscr`/`syscw` count its read and
 * write system calls so far.
 */
export function procStats(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name, which may itself contain spaces.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (k) => Number(status.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'))?.[1] ?? Number.NaN);
  // read/write system calls so far (writev counts as a write): frames in and out, roughly
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const count = (k) => Number(io.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'))?.[1] ?? Number.NaN);
  return {
    syscr: count('syscr'),
    syscw: count('syscw'),
    cpuMs: ((utime + stime) * 1000) / CLK_TCK,
    rssKiB: kib('VmRSS') || Number(f[21]) * PAGE_KIB,
    hwmKiB: kib('VmHWM'),
  };
}
