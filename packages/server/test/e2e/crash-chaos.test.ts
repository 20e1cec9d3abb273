import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AgoraRTM, { type RtmClient } from '@parley/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP_ID, collect, until } from '../helpers.js';
import { cleanPrefix, REDIS_URL, redisReachable, skipWithoutRedis, uniquePrefix } from '../cluster/nodes.js';
import { spawnServer, type ServerProcess } from '../server-process.js';

type Got = [{ text: string }, string, { isOfflineMessage: boolean }];
const FAST = { reconnect: { baseMs: 50, capMs: 200, floorMs: 20 } };
const MESSAGES = 150;
const KILLS = 3;
type Point = 'peer-stored' | 'peer-ack';
/** A node runs `args` and is armed with one of `points` (those it can reach: see crash-points.ts). */
type NodeSpec = { args: string[]; points: Point[] };
const BOTH: Point[] = ['peer-stored', 'peer-ack'];

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with PARLEY_CHAOS_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Issue 20's scenario as a bounded chaos run (built CLI: `npm run build` first): a sender sends
 * MESSAGES offline-enabled peer messages one after another to a receiver that logs out and in
 * every few messages; KILLS times (one more at most with two nodes) a node SIGKILLs itself at a random crash point (after the inbox
 * commit, or on a receiver's ack) for a random n-th message and is restarted on the same port.
 * The SDKs reconnect and retry by themselves. Reports sends, acknowledged, delivered, lost and
 * duplicated; lost and duplicated must be 0.
 */
describe('chaos: random kills during a peer-message stream', () => {
  let dir: string;
  let prefix: string;
  let stopping = false;
  const procs: Array<() => ServerProcess | null> = [];
  const clients: RtmClient[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-chaos-'));
    prefix = uniquePrefix();
    stopping = false;
  });
  afterEach(async () => {
    stopping = true;
    for (const c of clients.splice(0)) c.release();
    for (const p of procs.splice(0)) {
      const s = p();
      if (s && s.proc.exitCode === null && s.proc.signalCode === null) await s.kill9();
    }
    rmSync(dir, { recursive: true, force: true });
    if (await redisReachable()) await cleanPrefix(prefix);
  });

  /**
   * Runs nodes with `args[i]`, each armed with a random crash point; a node that died is restarted
   * on its port, armed again until KILLS kills happened in all. Resolves with the nodes' urls.
   */
  const supervise = async (specs: NodeSpec[], rnd: () => number, log: string[]) => {
    let kills = 0;
    const arm = (points: Point[]): Record<string, string> => {
      if (kills >= KILLS) return {};
      const point = `${points[Math.floor(rnd() * points.length)]}:${1 + Math.floor(rnd() * 40)}`;
      return { PARLEY_TEST_CRASH_AT: point };
    };
    const urls: string[] = [];
    for (const { args: a, points } of specs) {
      let env = arm(points);
      let proc = await spawnServer(['--port', '0', ...a], { env });
      const port = proc.port;
      procs.push(() => proc);
      urls.push(proc.wsUrl);
      void (async () => {
        for (;;) {
          await proc.exited;
          if (stopping) return;
          kills++;
          log.push(`node :${port} killed at ${env.PARLEY_TEST_CRASH_AT}`);
          env = arm(points);
          proc = await spawnServer(['--port', String(port), ...a], { env });
        }
      })();
    }
    return { urls, kills: () => kills };
  };

  const run = async (urls: { sender: string; receiver: string }, rnd: () => number, kills: () => number) => {
    const client = (url: string) => {
      const c = AgoraRTM.createInstance(APP_ID, { serverUrl: url, ...FAST });
      clients.push(c);
      return c;
    };
    const alice = client(urls.sender);
    const bob = client(urls.receiver);
    await alice.login({ uid: 'alice' });
    const got = collect<Got>(bob, 'MessageFromPeer');
    let bobIn = false;
    let lastLogin = 0;
    /** The receiver logs in or out (logins at least 500 ms apart: the SDK's own limit). */
    const toggle = async () => {
      if (bobIn) await bob.logout();
      else {
        const wait = lastLogin + 600 - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        lastLogin = Date.now();
        await bob.login({ uid: 'bob' });
      }
      bobIn = !bobIn;
    };
    await toggle();
    const acknowledged = new Set<string>();
    let unanswered = 0;
    let nextToggle = 10 + Math.floor(rnd() * 30);
    for (let i = 0; i < MESSAGES; i++) {
      if (i === nextToggle) {
        await toggle().catch(() => undefined);
        nextToggle += 10 + Math.floor(rnd() * 30);
      }
      const r = await alice
        .sendMessageToPeer({ text: String(i) }, 'bob', { enableOfflineMessaging: true })
        .catch(() => null);
      if (r) acknowledged.add(String(i));
      else unanswered++;
    }
    // Everything in: the receiver online, a last message after all others (order per sender).
    if (!bobIn) await toggle();
    await until(() => alice.connectionState === 'CONNECTED' && bob.connectionState === 'CONNECTED', 10_000);
    await alice.sendMessageToPeer({ text: 'end' }, 'bob', { enableOfflineMessaging: true });
    await until(() => got.some((g) => g[0].text === 'end'), 15_000, 'the last message');
    const texts = got.map((g) => g[0].text).filter((t) => t !== 'end');
    const delivered = new Set(texts);
    const report = {
      sends: MESSAGES,
      acknowledged: acknowledged.size,
      unanswered,
      delivered: delivered.size,
      lost: [...acknowledged].filter((t) => !delivered.has(t)).length,
      duplicated: texts.length - delivered.size,
      kills: kills(),
    };
    return { report, texts };
  };

  it('embedded: nothing lost, nothing duplicated', async () => {
    const seed = Number(process.env.PARLEY_CHAOS_SEED ?? Date.now() % 1e9);
    const rnd = prng(seed);
    const log: string[] = [];
    const nodes = await supervise(
      [{ args: ['--data-dir', dir, '--rate-limits', 'off', '--session-grace-ms', '300'], points: BOTH }],
      rnd,
      log,
    );
    const { report, texts } = await run(
      { sender: nodes.urls[0]!, receiver: nodes.urls[0]! },
      rnd,
      nodes.kills,
    );
    console.log(`chaos (embedded, seed ${seed}): ${JSON.stringify(report)}\n  ${log.join('\n  ')}`);
    expect({ lost: report.lost, duplicated: report.duplicated }).toEqual({ lost: 0, duplicated: 0 });
    // Order per sender → receiver holds too.
    expect(texts).toEqual([...texts].sort((a, b) => Number(a) - Number(b)));
  });

  it('two nodes on Redis: nothing lost, nothing duplicated', async () => {
    if (!(await redisReachable())) skipWithoutRedis();
    const seed = Number(process.env.PARLEY_CHAOS_SEED ?? Date.now() % 1e9);
    const rnd = prng(seed);
    const log: string[] = [];
    const common = [
      '--redis',
      REDIS_URL,
      '--redis-prefix',
      prefix,
      '--rate-limits',
      'off',
      '--session-grace-ms',
      '300',
    ];
    const nodes = await supervise(
      [
        // The sender's node stores offline messages; the receiver's node takes the acks.
        { args: [...common, '--node-id', 'chaos-a'], points: ['peer-stored'] },
        { args: [...common, '--node-id', 'chaos-b'], points: ['peer-ack'] },
      ],
      rnd,
      log,
    );
    const { report, texts } = await run(
      { sender: nodes.urls[0]!, receiver: nodes.urls[1]! },
      rnd,
      nodes.kills,
    );
    console.log(`chaos (two nodes, seed ${seed}): ${JSON.stringify(report)}\n  ${log.join('\n  ')}`);
    expect({ lost: report.lost, duplicated: report.duplicated }).toEqual({ lost: 0, duplicated: 0 });
    expect(texts).toEqual([...texts].sort((a, b) => Number(a) - Number(b)));
  });
});
