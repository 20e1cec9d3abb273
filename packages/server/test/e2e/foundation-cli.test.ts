import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloseCode } from '@parley/protocol';
import AgoraRTM from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../server-process.js';
import { APP_ID, until } from '../helpers.js';
import { WireClient } from '../wire-client.js';

/**
 * The real `parley serve` process (packages/server/dist/cli.js: `npm run build` first; CI builds
 * in `npm ci`): port 0, PARLEY_* env, --log-level, and graceful shutdown on SIGTERM.
 */

interface Proc {
  child: ChildProcess;
  port: number;
  url: string;
  wsUrl: string;
  stdout(): string;
  exited: Promise<number | string>;
}

let dir = '';
const children = new Set<ChildProcess>();

function serve(args: string[], env: Record<string, string> = {}): Promise<Proc> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const childEnv = { ...process.env, ...env };
  for (const k of Object.keys(childEnv)) if (k.startsWith('PARLEY_') && !(k in env)) delete childEnv[k];
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--data-dir', join(dir, `data-${children.size}`), ...args],
    {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | string>((r) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      r(code ?? signal ?? -1);
    }),
  );
  return new Promise((resolve, reject) => {
    const onData = () => {
      const m =
        /Parley listening on (http:\/\/127\.0\.0\.1:(\d+)) \(WebSocket (ws:\/\/127\.0\.0\.1:\d+\/rtm)\)/.exec(
          out,
        );
      if (!m) return;
      child.stdout!.off('data', onData);
      resolve({ child, url: m[1]!, port: Number(m[2]), wsUrl: m[3]!, stdout: () => out, exited });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) =>
      reject(new Error(`parley serve exited (${code}) before listening:\n${err}${out}`)),
    );
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('parley serve (the CLI process)', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-foundation-cli-'));
  });
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it.concurrent('--port 0 picks a free port and prints the URL; SIGTERM closes sockets with 1001, SDKs go RECONNECTING, exit 0', async () => {
    const p = await serve(['--port', '0', '--host', '127.0.0.1', '--log-level', 'warn']);
    expect(p.port).toBeGreaterThan(0);
    expect((await fetch(`${p.url}/healthz`)).status).toBe(200);
    const c = AgoraRTM.createInstance(APP_ID, {
      serverUrl: p.wsUrl,
      reconnect: { baseMs: 100, capMs: 200, floorMs: 100 },
    });
    try {
      await c.login({ uid: 'alice' });
      const states: string[] = [];
      c.on('ConnectionStateChanged', (s, r) => states.push(`${s}/${r}`));
      const raw = await WireClient.open(p.wsUrl);
      expect(await raw.login(APP_ID, 'bob')).toBe(0);
      const idle = await WireClient.open(p.wsUrl); // connected, never logged in
      p.child.kill('SIGTERM');
      expect((await raw.closed).code).toBe(CloseCode.GOING_AWAY);
      expect((await idle.closed).code).toBe(CloseCode.GOING_AWAY);
      await until(() => states.length > 0);
      expect(states[0]).toBe('RECONNECTING/INTERRUPTED');
      expect(await p.exited).toBe(0);
      expect(c.connectionState).toBe('RECONNECTING');
    } finally {
      c.release();
    }
  });

  it.concurrent('--log-level and PARLEY_* env: debug shows per-login lines, error hides start-up info; SIGINT is graceful', async () => {
    const port = await freePort();
    const [debug, quiet] = await Promise.all([
      serve(['--port', '0', '--log-level', 'debug']),
      serve([], { PARLEY_PORT: String(port), PARLEY_LOG_LEVEL: 'error' }),
    ]);
    try {
      expect(quiet.port).toBe(port);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const raws: WireClient[] = [];
      for (const p of [debug, quiet]) {
        const w = await WireClient.open(p.wsUrl);
        expect(await w.login(APP_ID, 'logged')).toBe(0);
        raws.push(w);
      }
      await until(() => debug.stdout().includes('"msg":"login"'), 5000, 'a debug login line');
      expect(debug.stdout()).toContain('"msg":"parley listening"');
      expect(debug.stdout()).toContain('DEVELOPMENT MODE');
      const lines = quiet.stdout().trim().split('\n');
      expect(lines).toEqual([expect.stringMatching(/^Parley listening on /)]);
      debug.child.kill('SIGINT');
      expect((await raws[0]!.closed).code).toBe(CloseCode.GOING_AWAY);
      expect(await debug.exited).toBe(0);
    } finally {
      debug.child.kill('SIGTERM');
      quiet.child.kill('SIGTERM');
      expect(await quiet.exited).toBe(0);
    }
  });
});
