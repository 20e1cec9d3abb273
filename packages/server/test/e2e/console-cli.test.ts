import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, consoleLogin } from '../console-client.js';
import { type ServerProcess, spawnServer } from '../server-process.js';

// `parley serve` as a process: the console is enabled by PARLEY_ADMIN_PASSWORD (or the flag),
// and without it the log says how to enable it.
describe('parley serve: the web console', () => {
  let server: ServerProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'parley-console-cli-'));
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('PARLEY_ADMIN_PASSWORD enables it', async () => {
    server = await spawnServer(['--port', '0', '--data-dir', dir], {
      env: { PARLEY_ADMIN_PASSWORD: ADMIN_PASSWORD },
    });
    const url = `http://127.0.0.1:${server.port}`;
    const ops = await consoleLogin(url, 'ops', ADMIN_PASSWORD);
    expect((await ops.call('GET', 'me')).body.name).toBe('ops');
  });

  it('--admin-password enables it; without one it is 404 and the log says how to enable it', async () => {
    server = await spawnServer(['--port', '0', '--data-dir', dir, '--admin-password', 'flag secret']);
    await consoleLogin(`http://127.0.0.1:${server.port}`, 'ops', 'flag secret');
    await server.stop();

    server = await spawnServer([
      '--port',
      '0',
      '--data-dir',
      dir,
      '--log-level',
      'info',
      '--log-format',
      'json',
    ]);
    const r = await fetch(`http://127.0.0.1:${server.port}/console/`);
    expect(r.status).toBe(404);
    expect(server.stdout()).toMatch(/the web console is disabled: start the server with --admin-password/);
  });
});
