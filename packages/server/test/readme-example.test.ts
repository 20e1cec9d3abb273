import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setup } from './helpers.js';

/**
 * The README's SDK example, as written, runs against a real server and ends by itself. The code
 * is the first ```ts block under "## SDK example"; the only change is the `serverUrl` literal,
 * replaced by this test's server (port 0). It runs as `node example.mjs` from a folder inside
 * the repository (the gitignored `tmp/`), where `@parley/sdk` resolves as in an app that
 * installed it, to the built package (`npm run build` first).
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SERVER_URL_LINE = /^const serverUrl = '([^']*)';$/m;

function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('SDK example\n'));
  if (!section) throw new Error('README.md has no "## SDK example" section');
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error('the "## SDK example" section of README.md has no ```ts block');
  return code;
}

let env: Awaited<ReturnType<typeof setup>>;
let dir: string;
beforeAll(async () => {
  env = await setup();
  mkdirSync(join(ROOT, 'tmp'), { recursive: true });
  dir = mkdtempSync(join(ROOT, 'tmp', 'readme-example-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await env.cleanup();
});

describe('README.md: the SDK example', () => {
  it('names its server in one serverUrl line (what this test replaces)', () => {
    const code = readmeExample();
    expect(code.match(new RegExp(SERVER_URL_LINE.source, 'gm'))).toHaveLength(1);
    expect(SERVER_URL_LINE.exec(code)![1]).toBe('ws://127.0.0.1:8080/rtm');
  });

  it('prints "alice: hello bob" and "true", then exits by itself', async () => {
    const code = readmeExample().replace(SERVER_URL_LINE, `const serverUrl = '${env.server.wsUrl}';`);
    const file = join(dir, 'example.mjs');
    writeFileSync(file, code);
    const child = spawn(process.execPath, [file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // A guard against a hang, far above the run's normal length (well under a second).
    let hung = false;
    const guard = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, 20_000);
    const exitCode = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
    clearTimeout(guard);
    expect({ hung, exitCode, stderr, stdout }).toEqual({
      hung: false,
      exitCode: 0,
      stderr: '',
      stdout: 'alice: hello bob\ntrue\n',
    });
  });
});
