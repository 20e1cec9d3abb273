import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/**
 * A private redis-server for tests that crash and restart it (never the machine's shared Redis):
 * a free port, no persistence, killed with SIGKILL like a crash.
 */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** kill -9 and wait for the exit */
  kill(): Promise<void>;
  /** starts it again on the same port (empty: no persistence) */
  restart(): Promise<void>;
  /** freezes it (SIGSTOP): connections stay open, nothing is answered */
  pause(): void;
  /** SIGCONT */
  resume(): void;
  /** kills it for good */
  close(): Promise<void>;
}

/** Whether a `redis-server` binary is on PATH. */
export function haveRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitPing(url: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const r = new Redis(url, {
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      connectTimeout: 500,
    });
    r.on('error', () => undefined);
    try {
      await r.connect();
      if ((await r.ping()) === 'PONG') return;
    } catch {
      if (Date.now() > end) throw new Error(`redis-server at ${url} did not start`);
      await new Promise((res) => setTimeout(res, 50));
    } finally {
      r.disconnect();
    }
  }
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await waitPing(url);
  };
  const kill = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((res) => {
      p.once('exit', () => res());
      p.kill('SIGKILL');
    });
  };
  await start();
  return {
    port,
    url,
    kill,
    restart: start,
    close: kill,
    pause: () => void proc?.kill('SIGSTOP'),
    resume: () => void proc?.kill('SIGCONT'),
  };
}
