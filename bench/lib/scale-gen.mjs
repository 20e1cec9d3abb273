/**
 * A load-generator process of the scale benchmark (bench/scale.mjs forks several: each process may
 * hold at most 20,000 file descriptors). It holds SDK clients (`@parley/sdk`, the real client with
 * its reconnect, re-login and rejoin) for the global client indexes `i % generators === gen`, and
 * answers the orchestrator's commands over IPC:
 *   login, join, traffic {peerPerSec, channelPerSec}, quiet, status, report.
 * Client i is `u<i>`; even i are members of a big channel (`big<k>`, `channelSize` members), i with
 * i % 10 === 1 of a small probe channel (`probe<k>`, `probeSize` members: below the member-event
 * limit, so MemberJoined/MemberLeft are sent there and their duplicates can be counted).
 */
import AgoraRTM from '@parley/sdk';
import { JoinChannelError } from '@parley/protocol';
import { BENCH_APP_ID } from './clients.mjs';

const { ALREADY_JOINED } = JoinChannelError;

/** @type {{ gen: number, generators: number, total: number, url: string, channelSize: number, probeSize: number, loginConcurrency: number, prefix: string }} */
let cfg;
/** @type {Array<{ i: number, uid: string, c: any, big: any, probe: any, state: string, downAt: number | null, outages: number[][], reasons: string[] }>} */
const clients = [];
const byUid = new Map();

// ---- what is measured ----
let seq = 0;
/** acknowledged peer sends: [key, toUid, received (1) or cached offline (0)] */
const acked = [];
const sendFailures = {};
let peerInFlight = 0;
/** peer messages received: key → times shown by the SDK */
const peerRecv = new Map();
let offlineRecv = 0;
let chanSent = 0;
let chanDeliveries = 0;
let chanDups = 0;
const member = { joined: 0, left: 0, dupJoined: 0, dupLeft: 0 };
let traffic = null;
let markAt = 0;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const bump = (o, k) => {
  o[k] = (o[k] ?? 0) + 1;
};
const codeOf = (e) => String(e?.code ?? e?.message ?? e);

function makeClient(i) {
  const uid = `${cfg.prefix}u${i}`;
  const c = AgoraRTM.createInstance(BENCH_APP_ID, { serverUrl: cfg.url });
  const rec = {
    i,
    uid,
    c,
    big: null,
    probe: null,
    state: 'DISCONNECTED',
    downAt: null,
    outages: [],
    reasons: [],
  };
  c.on('ConnectionStateChanged', (state, reason) => {
    const now = Date.now();
    const was = rec.state;
    rec.state = state;
    if (was === 'CONNECTED' && state !== 'CONNECTED') {
      rec.downAt = now;
      rec.reasons.push(`${state}/${reason}`);
    } else if (state === 'CONNECTED' && rec.downAt !== null) {
      rec.outages.push([rec.downAt, now]);
      rec.downAt = null;
    }
  });
  c.on('MessageFromPeer', (msg, _from, props) => {
    const t = msg?.text;
    if (typeof t !== 'string' || !t.startsWith('p|')) return;
    const key = t.slice(2);
    peerRecv.set(key, (peerRecv.get(key) ?? 0) + 1);
    if (props?.isOfflineMessage) offlineRecv++;
  });
  clients.push(rec);
  byUid.set(uid, rec);
  return rec;
}

/**
 * One observer's view of a probe channel's members: a MemberJoined right after a MemberJoined of
 * the same member (or a Left after a Left) is a duplicate.
 */
function watchMembers(ch) {
  const last = new Map();
  const on = (kind) => (m) => {
    member[kind === 'J' ? 'joined' : 'left']++;
    if (last.get(m) === kind) member[kind === 'J' ? 'dupJoined' : 'dupLeft']++;
    last.set(m, kind);
  };
  ch.on('MemberJoined', on('J'));
  ch.on('MemberLeft', on('L'));
}

function channelClient(rec, name) {
  const ch = rec.c.createChannel(name);
  const seen = new Set();
  ch.on('ChannelMessage', (msg) => {
    const t = msg?.text;
    if (typeof t !== 'string' || !t.startsWith('c|')) return;
    chanDeliveries++;
    if (seen.has(t)) chanDups++;
    else seen.add(t);
  });
  return ch;
}

async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

async function login() {
  const t0 = Date.now();
  const failures = {};
  const idx = [];
  for (let i = cfg.gen; i < cfg.total; i += cfg.generators) idx.push(i);
  await pool(idx, cfg.loginConcurrency, async (i) => {
    const rec = makeClient(i);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await rec.c.login({ uid: rec.uid });
        return;
      } catch (e) {
        bump(failures, codeOf(e));
        await sleep(200 + Math.random() * 800);
      }
    }
  });
  return { ms: Date.now() - t0, clients: clients.length, failures };
}

async function join() {
  const t0 = Date.now();
  const failures = {};
  const tasks = [];
  for (const rec of clients) {
    if (rec.i % 2 === 0) tasks.push([rec, 'big', `big${Math.floor(rec.i / 2 / cfg.channelSize)}`]);
    if (rec.i % 10 === 1) tasks.push([rec, 'probe', `probe${Math.floor(rec.i / 10 / cfg.probeSize)}`]);
  }
  await pool(tasks, cfg.loginConcurrency, async ([rec, kind, name]) => {
    const ch = channelClient(rec, `${cfg.prefix}${name}`);
    if (kind === 'probe') watchMembers(ch);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await ch.join();
        rec[kind] = ch;
        return;
      } catch (e) {
        bump(failures, codeOf(e));
        // A join that timed out may have gone through: the retry then finds it joined (6).
        if (e?.code === ALREADY_JOINED) {
          rec[kind] = ch;
          return;
        }
        await sleep(200 + Math.random() * 800);
      }
    }
  });
  return { ms: Date.now() - t0, joins: tasks.length, failures };
}

const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];

function startTraffic({ peerPerSec, channelPerSec }) {
  stopTraffic();
  let peerDue = 0;
  let chanDue = 0;
  const members = clients.filter((r) => r.big || r.probe);
  traffic = setInterval(() => {
    peerDue += peerPerSec / 10;
    chanDue += channelPerSec / 10;
    for (; peerDue >= 1; peerDue--) {
      const from = pick(clients);
      if (from.state !== 'CONNECTED' || peerInFlight > 5000) continue;
      let to = Math.floor(Math.random() * cfg.total);
      if (to === from.i) to = (to + 1) % cfg.total;
      const toUid = `${cfg.prefix}u${to}`;
      const key = `${cfg.gen}.${++seq}`;
      peerInFlight++;
      from.c.sendMessageToPeer({ text: `p|${key}` }, toUid, { enableOfflineMessaging: true }).then(
        (r) => {
          peerInFlight--;
          acked.push([key, toUid, r.hasPeerReceived ? 1 : 0]);
        },
        (e) => {
          peerInFlight--;
          bump(sendFailures, codeOf(e));
        },
      );
    }
    for (; chanDue >= 1; chanDue--) {
      const from = pick(members);
      if (from?.state !== 'CONNECTED') continue;
      const ch = from.big ?? from.probe;
      chanSent++;
      ch.sendMessage({ text: `c|${cfg.gen}.${++seq}` }).catch((e) =>
        bump(sendFailures, `channel:${codeOf(e)}`),
      );
    }
  }, 100);
}

function stopTraffic() {
  if (traffic) clearInterval(traffic);
  traffic = null;
}

function status() {
  const states = {};
  for (const r of clients) bump(states, r.state);
  let outages = 0;
  for (const r of clients) outages += r.outages.length;
  return { states, peerInFlight, acked: acked.length, outages };
}

function report() {
  const reasons = {};
  for (const r of clients) for (const x of r.reasons) bump(reasons, x);
  return {
    outages: clients.flatMap((r) => r.outages),
    /** clients that lost their connection since the kill (mark) */
    droppedUids: clients
      .filter((r) => r.outages.some(([d]) => d >= markAt) || r.downAt !== null)
      .map((r) => r.uid),
    stillDown: clients.filter((r) => r.state !== 'CONNECTED').length,
    reasons,
    acked,
    sendFailures,
    peerRecv: [...peerRecv],
    offlineRecv,
    chanSent,
    chanDeliveries,
    chanDups,
    member,
    rssKiB: Math.round(process.memoryUsage().rss / 1024),
  };
}

process.on('message', async (m) => {
  let answer;
  try {
    if (m.cmd === 'config') {
      cfg = m.cfg;
      answer = { ok: true };
    } else if (m.cmd === 'login') answer = await login();
    else if (m.cmd === 'join') answer = await join();
    else if (m.cmd === 'traffic') {
      startTraffic(m);
      answer = { ok: true };
    } else if (m.cmd === 'quiet') {
      stopTraffic();
      answer = { ok: true };
    } else if (m.cmd === 'status') answer = status();
    else if (m.cmd === 'mark') {
      // counted from the kill on: the joins' own member events are not part of the figures
      for (const k of Object.keys(member)) member[k] = 0;
      markAt = Date.now();
      chanDups = 0;
      answer = { ok: true };
    } else if (m.cmd === 'report') answer = report();
    else answer = { error: `unknown command ${m.cmd}` };
  } catch (e) {
    answer = { error: String(e?.stack ?? e) };
  }
  process.send({ id: m.id, ...answer });
});
