/**
 * Instructions per acknowledged peer message: `npm run bench -- instructions [options]` (needs
 * `valgrind`; build first). Each server runs under `valgrind --tool=callgrind`, which counts the
 * instructions the process executes in user space (its own threads included, system calls not),
 * so the figure is repeatable on a busy machine where CPU time is not. The counters are zeroed
 * after the warm-up (`callgrind_control --zero`) and dumped once `messages` more acknowledged
 * messages completed. Same flow and clients as `peer-relay` (window 1 by default); the servers
 * run one after another, alternating in reverse order every other round.
 *
 * What it does not see: the kernel's share (the `writev`/`read` system calls, which are most of
 * the bare relay's CPU time); the syscall count per message is the same for Parley and the relay
 * at window 1 (one frame per send, delivery, ack and result), so the difference is user space.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { connectInBatches, MsgpackRelayClient, ParleyRawClient } from './lib/clients.mjs';
import { keepAlive } from './lib/peer-traffic.mjs';
import { fmt, markdownTable } from './lib/report.mjs';
import { startBaseline, startParley } from './lib/server-proc.mjs';
import { median, sleep } from './lib/stats.mjs';

const DEFAULTS = {
  pairs: 10,
  /** acknowledged messages counted (after the warm-up) */
  messages: 10_000,
  warmup: 4000,
  window: 1,
  size: 100,
  rounds: 1,
  servers: 'parley,ws',
  /** a reference build (a directory with packages/server/dist): server `parley-ref` runs it */
  ref: '',
  /** keep the callgrind dumps in this directory (`callgrind_annotate` reads them) */
  out: '',
};

const SERVERS = {
  parley: { label: 'Parley', Client: ParleyRawClient, start: (_o, w) => startParley([], [], undefined, w) },
  'parley-ref': {
    label: 'Parley (reference build)',
    Client: ParleyRawClient,
    start: (o, w) => startParley([], [], resolve(o.ref), w),
  },
  ws: {
    label: 'bare ws relay (msgpack)',
    Client: MsgpackRelayClient,
    start: (_o, w) => startBaseline('ws-relay-server.mjs', { args: ['msgpack'], spawnOpts: w }),
  },
};

/** Closed loop: every answer sends the next message until `total` answers came; resolves then. */
function traffic(clients, o, total) {
  let done = 0;
  let resolveAll;
  const all = new Promise((r) => {
    resolveAll = r;
  });
  const text = 'x'.repeat(o.size);
  clients.forEach((c, i) => {
    const peer = clients[i ^ 1].uid;
    c.onDone = () => {
      done++;
      if (done === total) resolveAll();
      if (done + clients.length * o.window <= total) c.send(peer, text);
    };
  });
  for (let k = 0; k < o.window; k++)
    for (let i = 0; i < clients.length; i++) clients[i].send(clients[i ^ 1].uid, text);
  return all;
}

async function run(name, o) {
  const w = SERVERS[name];
  const dir = o.out
    ? resolve(o.out, `${name}-${Date.now()}`)
    : mkdtempSync(join(tmpdir(), 'parley-callgrind-'));
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'callgrind.out');
  const wrap = {
    timeoutMs: 600_000,
    wrap: ['valgrind', '-q', '--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${out}`],
  };
  const server = await w.start(o, wrap);
  try {
    const clients = await connectInBatches(o.pairs * 2, (i) => w.Client.connect(server.url, `u${i}`), 5);
    const stopPings = keepAlive(clients);
    await traffic(clients, o, o.warmup);
    await sleep(500);
    execFileSync('callgrind_control', ['--zero', String(server.pid)], { stdio: 'ignore' });
    await traffic(clients, o, o.messages);
    execFileSync('callgrind_control', ['--dump', String(server.pid)], { stdio: 'ignore' });
    stopPings();
    for (const c of clients) c.close();
    await sleep(500);
    const dumps = readdirDumps(dir);
    const instr = Math.max(...dumps.map(totalOf));
    return { name, instructions: instr, perMessage: instr / o.messages };
  } finally {
    await server.stop();
    if (!o.out) rmSync(dir, { recursive: true, force: true });
  }
}

function readdirDumps(dir) {
  return execFileSync('ls', [dir], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.startsWith('callgrind.out') && !f.endsWith('callgrind.out'))
    .map((f) => join(dir, f));
}

/** The `summary:`/`totals:` line of a callgrind dump (Ir: instructions executed). */
function totalOf(file) {
  const m = readFileSync(file, 'utf8').match(/^(?:summary|totals): (\d+)/m);
  return m ? Number(m[1]) : 0;
}

export default async function instructions(argv) {
  const o = parseArgs(argv, DEFAULTS);
  const names = o.servers.split(',').filter(Boolean);
  for (const n of names) if (!SERVERS[n]) throw new Error(`unknown server ${n} (${Object.keys(SERVERS)})`);
  console.log(
    `instructions: ${o.pairs} pairs, window ${o.window}, ${o.warmup} warm-up + ${o.messages} counted ` +
      `acknowledged messages, ${o.rounds} round(s), under callgrind`,
  );
  const per = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < o.rounds; r++)
    for (const n of r % 2 ? [...names].reverse() : names) {
      const res = await run(n, o);
      per[n].push(res.perMessage);
      console.log(`  round ${r + 1} ${n}: ${fmt(res.perMessage)} instructions per message`);
    }
  const base = per[names.includes('ws') ? 'ws' : names[names.length - 1]];
  const rows = [['server', 'instructions per message (median)', 'rounds', 'ratio']];
  for (const n of names)
    rows.push([
      SERVERS[n].label,
      fmt(median(per[n])),
      per[n].map((x) => fmt(x)).join(', '),
      (median(per[n]) / median(base)).toFixed(2),
    ]);
  console.log(`\n${markdownTable(rows)}`);
}
