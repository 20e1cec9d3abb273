import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, effectiveLogFormat } from '../src/logger.js';
import { CLI, requireBuiltCli } from './server-process.js';

/**
 * `--log-format` / PARLEY_LOG_FORMAT / config `logFormat`: readable lines for a person at a
 * terminal (pino-pretty), JSON lines for machines. The built CLI in a child process (run
 * `npm run build` first), as `npm start` runs it.
 */
const LISTENING =
  /^Parley listening on http:\/\/127\.0\.0\.1:\d+ \(WebSocket ws:\/\/127\.0\.0\.1:\d+\/rtm\)$/;
/** pino-pretty's line: `[HH:MM:ss.mmm] LEVEL: message {fields}` */
const PRETTY_LISTENING =
  /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: parley listening \{"url":"http:\/\/127\.0\.0\.1:\d+",/;

let dir: string;
const children = new Set<ChildProcess>();
beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'parley-logs-'));
});
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Env of a child: ours without any PARLEY_* (so the developer's shell cannot change a test), plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PARLEY_')));
  return { ...base, ...env };
}

/** Runs `command` until it printed the listening line (then SIGTERM) or exited; its output and exit code. */
function run(command: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(command, args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
    if (stdout.includes('Parley listening on')) child.kill('SIGTERM');
  });
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise<{ code: number | null; stdout: string; stderr: string; lines: string[] }>((resolve) =>
    child.once('close', (code) => {
      children.delete(child);
      const lines = stdout.split(/\r?\n/).filter(Boolean);
      resolve({
        code,
        stdout,
        stderr,
        lines: lines.slice(0, lines.findIndex((l) => l.startsWith('Parley ')) + 1),
      });
    }),
  );
}
const serve = (args: string[], env: Record<string, string> = {}) =>
  run(
    process.execPath,
    [CLI, 'serve', '--port', '0', '--data-dir', mkdtempSync(join(dir, 'data-')), ...args],
    env,
  );

const isJson = (l: string) => {
  try {
    return typeof JSON.parse(l) === 'object';
  } catch {
    return false;
  }
};

/** Log lines are readable (none is JSON), the listening log line is pino-pretty's, the listening line unchanged. */
function expectPretty(lines: string[]): void {
  expect(lines.at(-1)).toMatch(LISTENING);
  const logs = lines.slice(0, -1);
  expect(
    logs.some((l) => PRETTY_LISTENING.test(l)),
    logs.join('\n'),
  ).toBe(true);
  expect(logs.some((l) => /^\[[\d:.]+\] WARN: DEVELOPMENT MODE: /.test(l))).toBe(true);
  expect(logs.filter(isJson)).toEqual([]);
}

function expectJson(lines: string[]): void {
  expect(lines.at(-1)).toMatch(LISTENING);
  const logs = lines.slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(logs.find((l) => l.msg === 'parley listening')).toMatchObject({
    level: 30,
    svc: 'parley',
    mode: 'embedded',
  });
}

describe('log format', () => {
  it('auto is pretty on a terminal, JSON otherwise; pretty and json are what they say', () => {
    expect(effectiveLogFormat('auto', true)).toBe('pretty');
    expect(effectiveLogFormat('auto', false)).toBe('json');
    expect(effectiveLogFormat('pretty', false)).toBe('pretty');
    expect(effectiveLogFormat('json', true)).toBe('json');
  });

  it('createLogger refuses an unknown format', () => {
    expect(() => createLogger('info', 'yaml' as never)).toThrow(
      'logFormat must be one of auto, pretty, json, got "yaml"',
    );
  });

  it('--log-format pretty: readable lines, the listening line unchanged', async () => {
    const r = await serve(['--log-format', 'pretty']);
    expectPretty(r.lines);
  });

  it('PARLEY_LOG_FORMAT=pretty and the config key logFormat do the same', async () => {
    expectPretty((await serve([], { PARLEY_LOG_FORMAT: 'pretty' })).lines);
    const cfg = join(dir, 'pretty.json');
    writeFileSync(cfg, JSON.stringify({ logFormat: 'pretty' }));
    expectPretty((await serve(['--config', cfg])).lines);
  });

  it('--log-format json, and the default when stdout is not a terminal: one JSON object per line', async () => {
    expectJson((await serve(['--log-format', 'json'])).lines);
    expectJson((await serve([])).lines);
  });

  it('the flag wins over the config file', async () => {
    const cfg = join(dir, 'json.json');
    writeFileSync(cfg, JSON.stringify({ logFormat: 'json' }));
    expectPretty((await serve(['--config', cfg, '--log-format', 'pretty'])).lines);
  });

  it('on a terminal (npm start in a shell) the default is readable lines', async () => {
    // script(1) (util-linux) runs the server on a pseudo-terminal.
    const data = mkdtempSync(join(dir, 'data-'));
    const r = await run('script', [
      '-qfec',
      `'${process.execPath}' '${CLI}' serve --port 0 --data-dir '${data}'`,
      '/dev/null',
    ]);
    // pino-pretty colours its output on a terminal
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences
    expectPretty(r.lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, '')));
  });

  describe('an invalid format is refused with a clear message, nothing served', () => {
    it('--log-format yaml: usage error, exit 2', async () => {
      const r = await serve(['--log-format', 'yaml']);
      expect(r.stderr).toContain(
        "error: option '--log-format <format>' argument 'yaml' is invalid. log-format must be one of auto, pretty, json",
      );
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
    });

    it('PARLEY_LOG_FORMAT=yaml: usage error, exit 2', async () => {
      const r = await serve([], { PARLEY_LOG_FORMAT: 'yaml' });
      expect(r.stderr).toContain(
        "error: option '--log-format <format>' value 'yaml' from env 'PARLEY_LOG_FORMAT' is invalid. log-format must be one of auto, pretty, json",
      );
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
    });

    it('config "logFormat": "yaml": exit 1, the message names the file and the key', async () => {
      const cfg = join(dir, 'yaml.json');
      writeFileSync(cfg, JSON.stringify({ logFormat: 'yaml' }));
      const r = await serve(['--config', cfg]);
      expect(r.stderr).toBe(
        `parley: config file ${cfg}: "logFormat" must be one of auto, pretty, json, got "yaml"\n`,
      );
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
    });
  });
});
