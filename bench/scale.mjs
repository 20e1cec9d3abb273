/**
 * Scale benchmark: `npm run bench -- scale [options]` (build first: `npm run build`; needs Redis at
 * REDIS_URL, default redis://127.0.0.1:6379, and redis-server / redis-cli for the Redis Cluster run).
 *
 * HAProxy (installed with apt-get when missing; round robin, WebSocket pass-through) in front of 4
 * `parley serve` nodes on Redis; `--clients` SDK clients (`@parley/sdk`) logged in through it from
 * several load-generator processes (bench/lib/scale-gen.mjs: each process may hold at most 20,000
 * fds), half of them in 1,000-member channels, a tenth in 100-member probe channels (member events
 * on), a background of acknowledged peer messages (offline messaging on) and channel messages.
 * Then one node is killed with SIGKILL. Reported:
 *   - the killed node's clients back to CONNECTED (ms from the kill: p50 / p99 / max) and the
 *     number of clients not CONNECTED, second by second;
 *   - logins per second the survivors absorbed (their parley_logins_total{code="0"});
 *   - acknowledged peer messages lost or shown twice (every send answered hasPeerReceived: true or
 *     stored offline must be shown exactly once by its receiver): must be 0 / 0;
 *   - duplicate MemberJoined / MemberLeft seen in the probe channels, channel messages shown twice;
 *   - server RSS per client per node; Redis CPU (INFO cpu) per phase.
 * `--modes single,cluster`: one run on the single Redis, one on a throw-away 3-master Redis
 * Cluster (bench/lib/redis-cluster.mjs, as .ci/run starts CI's).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { BENCH_APP_ID } from './lib/clients.mjs';
import { parseArgs } from './lib/args.mjs';
import { cleanPrefix } from './lib/redis-prefix.mjs';
import { CLIENTS_PER_ADDRESS, CLIENTS_PER_HAPROXY, ensureHaproxy, startHaproxy } from './lib/haproxy.mjs';
import { startRedisCluster } from './lib/redis-cluster.mjs';
import { fmt, fmtLoadAvg } from './lib/report.mjs';
import { all, freePort, redisCpuS, scrape, startGenerator, states, waitHealthy } from './lib/scale-infra.mjs';
import { printScaleTable } from './lib/scale-report.mjs';
import { procStats, startParley } from './lib/server-proc.mjs';
import { Latencies, sleep } from './lib/stats.mjs';

const DEFAULTS = {
  clients: 2000,
  nodes: 4,
  /** members of a big channel (half of the clients are in one) */
  channelSize: 1000,
  /** members of a probe channel (a tenth of the clients; member events on) */
  probeSize: 100,
  /** clients per load-generator process (0: 8,000, under the 20,000 fd limit) */
  perGenerator: 8000,
  /** HAProxy processes (0: one per 9,000 clients, under the 20,000 fd limit) */
  haproxyProcesses: 0,
  /** logins (then joins) in flight per generator */
  loginConcurrency: 100,
  /** acknowledged peer messages per second, all generators together */
  peerRate: 200,
  /** channel messages per second, all generators together */
  channelRate: 2,
  /** seconds of traffic before the kill */
  steady: 10,
  /** seconds to wait for every client to be CONNECTED again */
  recoveryTimeout: 180,
  /** the nodes' --session-grace-ms: the dead node's sessions end after it (watched for duplicates) */
  grace: 10_000,
  /** seconds of traffic after the recovery, then the quiet drain before the counts */
  after: 5,
  drain: 12,
  /** which node dies (0-based) */
  kill: 0,
  modes: 'single,cluster',
  redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  json: false,
  /** a directory for the nodes' logs (warnings and errors) */
  logs: '',
};

/** what a run started, stopped on SIGINT / SIGTERM too (the `finally` of `run` does not run then) */
const running = new Set();
for (const sig of ['SIGINT', 'SIGTERM'])
  process.once(sig, async () => {
    for (const stop of running) await Promise.resolve(stop()).catch(() => undefined);
    process.exit(130);
  });

async function run(mode, o) {
  const log = (...a) => console.log(`[${mode}]`, ...a);
  const prefix = `pscale:${randomBytes(3).toString('hex')}`;
  const cluster = mode === 'cluster' ? await startRedisCluster() : null;
  const redisConns = cluster
    ? cluster.ports.map((p) => new Redis({ port: p, host: '127.0.0.1' }))
    : [new Redis(o.redis)];
  const target = cluster ? ['--redis-cluster', cluster.seeds] : ['--redis', o.redis];
  const dir = mkdtempSync(join(tmpdir(), 'parley-scale-'));
  const nodes = [];
  const gens = [];
  let lb = null;
  const stopAll = async () => {
    for (const g of gens) g.child.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    await lb?.stop();
    lb = null;
    for (const r of redisConns) r.disconnect();
    if (cluster) cluster.stop();
    else await cleanPrefix(o.redis, prefix).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  running.add(stopAll);
  try {
    for (let i = 0; i < o.nodes; i++) {
      const n = await startParley([
        ...target,
        '--redis-prefix',
        prefix,
        '--node-id',
        `s${i + 1}`,
        '--session-grace-ms',
        String(o.grace),
      ]);
      nodes.push({ ...n, name: `s${i + 1}`, port: Number(new URL(n.url).port) });
      // the node's warnings and errors (JSON lines), kept with --logs
      if (o.logs) n.child.stdout.pipe(createWriteStream(join(o.logs, `${mode}-s${i + 1}.log`)));
    }
    // Every node serving (Redis Cluster: its bus connects to every master first), so that HAProxy
    // has them all in rotation before the first login.
    await Promise.all(nodes.map((n) => waitHealthy(n.port)));
    const lbPort = await freePort();
    const addresses = Array.from(
      { length: Math.ceil(o.clients / CLIENTS_PER_ADDRESS) },
      (_, i) => `127.0.0.${i + 1}`,
    );
    const processes = o.haproxyProcesses || Math.max(1, Math.ceil(o.clients / CLIENTS_PER_HAPROXY));
    lb = await startHaproxy({
      dir,
      processes,
      port: lbPort,
      addresses,
      nodes,
      maxconn: CLIENTS_PER_HAPROXY + 500,
    });
    await sleep(2500); // HAProxy's `rise 2` checks, 1 s apart
    log(`haproxy ×${processes} on ${addresses.join(',')}:${lbPort} → ${nodes.map((n) => n.port).join(', ')}`);

    const generators = Math.max(2, Math.ceil(o.clients / o.perGenerator));
    for (let g = 0; g < generators; g++) {
      const gen = startGenerator({
        gen: g,
        generators,
        total: o.clients,
        url: `ws://${addresses[g % addresses.length]}:${lbPort}/rtm`,
        channelSize: o.channelSize,
        probeSize: o.probeSize,
        loginConcurrency: o.loginConcurrency,
        prefix: `x${prefix.slice(7)}`,
      });
      gens.push(gen);
      await gen.ready;
    }

    const baseRss = nodes.map((n) => procStats(n.pid).rssKiB / 1024);

    // ---- logins and joins ----
    let rcpu = await redisCpuS(redisConns);
    let t = Date.now();
    const logins = await all(gens, 'login');
    const loginMs = Date.now() - t;
    const loginFailures = {};
    for (const l of logins)
      for (const [k, v] of Object.entries(l.failures)) loginFailures[k] = (loginFailures[k] ?? 0) + v;
    log(
      `${o.clients} logins in ${loginMs} ms (${fmt((o.clients / loginMs) * 1000)}/s), failures ${JSON.stringify(loginFailures)}`,
    );
    const rcpuLogin = (await redisCpuS(redisConns)) - rcpu;
    const loginPhaseS = loginMs / 1000;
    t = Date.now();
    const joins = await all(gens, 'join');
    const joinMs = Date.now() - t;
    const joinCount = joins.reduce((s, j) => s + j.joins, 0);
    const joinFailures = {};
    for (const j of joins)
      for (const [k, v] of Object.entries(j.failures)) joinFailures[k] = (joinFailures[k] ?? 0) + v;
    log(`${joinCount} joins in ${joinMs} ms, failures ${JSON.stringify(joinFailures)}`);

    // ---- steady traffic ----
    await all(gens, 'traffic', {
      peerPerSec: o.peerRate / generators,
      channelPerSec: o.channelRate / generators,
    });
    rcpu = await redisCpuS(redisConns);
    t = Date.now();
    await sleep(o.steady * 1000);
    const rcpuSteady = ((await redisCpuS(redisConns)) - rcpu) / ((Date.now() - t) / 1000);
    const before = await Promise.all(nodes.map((n) => scrape(n.port)));
    const mem = nodes.map((n, i) => ({
      node: n.name,
      sessions: before[i]?.sessions ?? Number.NaN,
      rssMiB: procStats(n.pid).rssKiB / 1024,
      baseMiB: baseRss[i],
    }));
    log(`sessions per node before the kill: ${mem.map((m) => m.sessions).join(', ')}`);

    // ---- the kill ----
    const victim = nodes[o.kill];
    const survivors = nodes.filter((n) => n !== victim);
    const lost = mem[o.kill].sessions;
    const loginsBefore = await Promise.all(survivors.map((n) => scrape(n.port)));
    const last = [...loginsBefore];
    rcpu = await redisCpuS(redisConns);
    await all(gens, 'mark');
    const outagesAtKill = (await all(gens, 'status')).reduce((x, g) => x + g.outages, 0);
    const killAt = Date.now();
    victim.child.kill('SIGKILL');
    log(`kill -9 ${victim.name} (pid ${victim.pid}, ${lost} sessions)`);
    const timeline = [];
    let prevLogins = loginsBefore.reduce((s, m) => s + (m?.logins ?? 0), 0);
    const firstLogins = prevLogins;
    let peakLoginsPerS = 0;
    let recoveredAt = null;
    let sawDown = false;
    while (Date.now() - killAt < o.recoveryTimeout * 1000) {
      await sleep(1000);
      const statuses = await all(gens, 'status');
      const st = states(statuses);
      const outages = statuses.reduce((x, g) => x + g.outages, 0);
      // a node that did not answer in time counts with its last figures
      const m = (await Promise.all(survivors.map((n) => scrape(n.port)))).map(
        (x, i) => (last[i] = x ?? last[i]),
      );
      const ls = m.reduce((s, x) => s + (x?.logins ?? 0), 0);
      const refused = m.reduce((s, x) => s + (x?.loginRefusals ?? 0), 0);
      peakLoginsPerS = Math.max(peakLoginsPerS, ls - prevLogins);
      prevLogins = ls;
      const down = o.clients - (st.CONNECTED ?? 0);
      // every client of the dead node was dropped and came back (or, at worst, nothing moved in 15 s)
      if (down > 0 || outages >= outagesAtKill + lost || Date.now() - killAt > 15_000) sawDown = true;
      timeline.push({
        s: Math.round((Date.now() - killAt) / 1000),
        down,
        logins: ls - firstLogins,
        refused,
        states: st,
      });
      log(
        `t+${timeline.at(-1).s}s not CONNECTED ${down} ${JSON.stringify(st)} survivor logins +${ls - firstLogins} refused ${refused}`,
      );
      if (sawDown && down === 0) {
        recoveredAt = Date.now();
        break;
      }
    }
    const recoveryS = ((recoveredAt ?? Date.now()) - killAt) / 1000;
    const absorbed = prevLogins - firstLogins;
    const rcpuRecovery = ((await redisCpuS(redisConns)) - rcpu) / recoveryS;
    const afterKill = await Promise.all(survivors.map((n) => scrape(n.port)));
    const memAfter = survivors.map((n, i) => ({
      node: n.name,
      sessions: afterKill[i]?.sessions ?? Number.NaN,
      rssMiB: procStats(n.pid).rssKiB / 1024,
      baseMiB: baseRss[nodes.indexOf(n)],
    }));

    // ---- after: traffic, then quiet until the dead node's sessions ended (duplicates show up then) ----
    await sleep(o.after * 1000);
    await all(gens, 'quiet');
    await sleep(Math.max(o.drain * 1000, killAt + o.grace + 5000 - Date.now()));
    const reports = await all(gens, 'report');

    // ---- figures ----
    const back = new Latencies();
    for (const r of reports)
      for (const [down, up] of r.outages) if (down >= killAt - 1000) back.add(up - killAt);
    const recv = new Map();
    for (const r of reports) for (const [k, n] of r.peerRecv) recv.set(k, (recv.get(k) ?? 0) + n);
    let acked = 0;
    let ackedLive = 0;
    let lostMsgs = 0;
    let dupMsgs = 0;
    const dropped = new Set(reports.flatMap((r) => r.droppedUids));
    /** lost messages by how they were answered and whether their receiver was dropped */
    const lostBy = {};
    for (const r of reports)
      for (const [key, to, live] of r.acked) {
        acked++;
        ackedLive += live;
        const n = recv.get(key) ?? 0;
        if (n === 0) {
          lostMsgs++;
          const k = `${live ? 'received' : 'cached'}, receiver ${dropped.has(to) ? 'dropped' : 'stayed'}`;
          lostBy[k] = (lostBy[k] ?? 0) + 1;
        } else if (n > 1) dupMsgs++;
      }
    // Where the lost ones are: still in their receiver's offline inbox (stored, the live hand-off
    // failed: delivered at the receiver's next login) or gone.
    let lostInInbox = 0;
    if (lostMsgs > 0) {
      const lostTo = new Set();
      for (const r of reports) for (const [key, to] of r.acked) if (!recv.has(key)) lostTo.add(to);
      const rc = cluster
        ? new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })))
        : new Redis(o.redis);
      for (const uid of lostTo) lostInInbox += await rc.xlen(`${prefix}:{a:${BENCH_APP_ID}:u:${uid}}:inbox`);
      rc.disconnect();
    }
    const sum = (f) => reports.reduce((s, r) => s + f(r), 0);
    const sendFailures = {};
    for (const r of reports)
      for (const [k, v] of Object.entries(r.sendFailures)) sendFailures[k] = (sendFailures[k] ?? 0) + v;
    const member = { joined: 0, left: 0, dupJoined: 0, dupLeft: 0 };
    for (const r of reports) for (const k of Object.keys(member)) member[k] += r.member[k];
    const [p50, p99] = back.percentiles(50, 99);
    const maxBack = back.count ? Math.max(...back.samples) : Number.NaN;
    const result = {
      mode,
      clients: o.clients,
      generators,
      haproxy: processes,
      loginPerS: (o.clients / loginMs) * 1000,
      loginFailures,
      joinFailures,
      killedSessions: lost,
      clientsDropped: back.count,
      stillDown: sum((r) => r.stillDown),
      backP50: p50,
      backP99: p99,
      backMax: maxBack,
      recoveryS,
      absorbedLogins: absorbed,
      absorbedPerS: absorbed / (Number.isFinite(maxBack) && maxBack > 0 ? maxBack / 1000 : recoveryS),
      peakLoginsPerS,
      loginRefusedDuringRecovery: timeline.at(-1)?.refused ?? 0,
      acked,
      ackedLive,
      ackedOffline: acked - ackedLive,
      lostMsgs,
      lostBy,
      lostInInbox,
      dupMsgs,
      offlineShown: sum((r) => r.offlineRecv),
      sendFailures,
      chanSent: sum((r) => r.chanSent),
      chanDeliveries: sum((r) => r.chanDeliveries),
      chanDups: sum((r) => r.chanDups),
      member,
      reasons: reports.reduce((o2, r) => {
        for (const [k, v] of Object.entries(r.reasons)) o2[k] = (o2[k] ?? 0) + v;
        return o2;
      }, {}),
      memBefore: mem,
      memAfter,
      redisCpu: {
        loginPct: (rcpuLogin / loginPhaseS) * 100,
        steadyPct: rcpuSteady * 100,
        recoveryPct: rcpuRecovery * 100,
      },
      generatorRssMiB: reports.map((r) => Math.round(r.rssKiB / 1024)),
      timeline: timeline.map(({ s, down, logins }) => ({ s, down, logins })),
      loadavg: fmtLoadAvg(),
    };
    return result;
  } finally {
    running.delete(stopAll);
    await stopAll();
  }
}

export default async function main(argv) {
  const o = parseArgs(argv, DEFAULTS);
  if (o.logs) mkdirSync(o.logs, { recursive: true });
  console.log(ensureHaproxy());
  const results = [];
  for (const mode of o.modes.split(',')) {
    if (mode !== 'single' && mode !== 'cluster') throw new Error(`--modes: single or cluster, not ${mode}`);
    results.push(await run(mode, o));
  }
  printScaleTable(results);
  if (o.json) console.log(JSON.stringify(results, null, 2));
}
