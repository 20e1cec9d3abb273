import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built CLI (`packages/server/dist/cli.js`). Tests that run the server as a real process
 * need `npm run build` first (CI builds before `npm test`); they fail with that hint otherwise.
 */
export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');

export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before these tests`);
}

/** A `parley serve` child process. */
export interface ServerProcess {
  proc: ChildProcess;
  port: number;
  /** ws://127.0.0.1:<port>/rtm */
  wsUrl: string;
  /** everything written to stderr so far */
  stderr(): string;
  /** resolves with the exit code (or signal name) */
  exited: Promise<number | string>;
  /** kill -9 and wait for the exit */
  kill9(): Promise<void>;
  /** SIGTERM (graceful shutdown) and wait for the exit */
  stop(): Promise<number | string>;
}

/** Spawns `node dist/cli.js serve <args>` (extra environment: `env`, e.g. PARLEY_TEST_CRASH_AT). */
export function spawnServer(args: string[], env: Record<string, string> = {}): Promise<ServerProcess> {
  requireBuiltCli();
  const proc = spawn(
    process.execPath,
    [CLI, 'serve', '--host', '127.0.0.1', '--log-level', 'warn', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    },
  );
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return new Promise((resolve, reject) => {
    const onExit = (code: number | string) =>
      reject(new Error(`parley exited (${code}) before listening:\n${err}`));
    void exited.then(onExit);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Parley listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (!m) return;
      proc.stdout!.removeAllListeners('data');
      proc.stdout!.resume();
      const port = Number(m[1]);
      resolve({
        proc,
        port,
        wsUrl: `ws://127.0.0.1:${port}/rtm`,
        stderr: () => err,
        exited,
        async kill9() {
          proc.kill('SIGKILL');
          await exited;
        },
        async stop() {
          proc.kill('SIGTERM');
          return exited;
        },
      });
    });
  });
}

/** Runs `parley serve <args>` expecting it to fail at start-up: resolves with its exit code and stderr. */
export function runFailingServer(
  args: string[],
  timeoutMs = 15_000,
): Promise<{ code: number | string; stderr: string; stdout: string }> {
  requireBuiltCli();
  const proc = spawn(
    process.execPath,
    [CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--log-level', 'warn', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`parley did not exit within ${timeoutMs} ms; stdout: ${out}`));
    }, timeoutMs);
    proc.once('exit', (code, signal) => {
      clearTimeout(t);
      resolve({ code: code ?? signal ?? -1, stderr: err, stdout: out });
    });
  });
}
