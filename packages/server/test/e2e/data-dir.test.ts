import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DB_FILE } from '../../src/adapters/embedded/index.js';
import { LOCK_FILE } from '../../src/adapters/embedded/sqlite/data-dir-lock.js';
import { SCHEMA_VERSION } from '../../src/adapters/embedded/sqlite/migrations.js';
import { runFailingServer, spawnServer } from '../server-process.js';

/**
 * A data dir that cannot be used stops `parley serve` with a clear message and a non-zero exit,
 * and leaves the files as they were (needs `npm run build`: runs packages/server/dist/cli.js).
 */
describe('parley serve refuses an unusable data dir', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-datadir-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a path that cannot be created (under a regular file)', async () => {
    writeFileSync(join(dir, 'file'), 'not a directory');
    const r = await runFailingServer(['--data-dir', join(dir, 'file', 'data')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^parley: cannot create data dir .*file\/data: ENOTDIR/m);
    expect(r.stdout).not.toMatch(/listening/);
  });

  it('an unknown --sqlite-sync value', async () => {
    const r = await runFailingServer(['--data-dir', dir, '--sqlite-sync', 'sometimes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sqlite-sync must be one of normal, full/);
  });

  it('a corrupt database file', async () => {
    const garbage = Buffer.from('this is not a database '.repeat(400));
    writeFileSync(join(dir, DB_FILE), garbage);
    const r = await runFailingServer(['--data-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/parley: .*parley\.db is corrupt or not a SQLite database/);
    expect(r.stderr).toMatch(/restore it from a backup/);
    expect(readFileSync(join(dir, DB_FILE)).equals(garbage)).toBe(true);
  });

  it('a database written by a newer Parley (schema version ahead of this build)', async () => {
    const s = await spawnServer(['--port', '0', '--data-dir', dir]);
    expect(await s.stop()).toBe(0);
    const db = new BetterSqlite3(join(dir, DB_FILE));
    db.prepare('INSERT INTO parley_schema (version, name, applied_at) VALUES (?, ?, ?)').run(
      SCHEMA_VERSION + 1,
      'future',
      Date.now(),
    );
    db.close();
    const r = await runFailingServer(['--data-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `schema version ${SCHEMA_VERSION + 1}, newer than this Parley build understands \\(${SCHEMA_VERSION}\\)`,
      ),
    );
    const after = new BetterSqlite3(join(dir, DB_FILE), { readonly: true });
    expect(after.prepare('SELECT max(version) AS v FROM parley_schema').get()).toEqual({
      v: SCHEMA_VERSION + 1,
    });
    after.close();
  });

  it('a data dir another running server holds (one server per data dir); free again once it stopped', async () => {
    const first = await spawnServer(['--port', '0', '--data-dir', dir]);
    try {
      const r = await runFailingServer(['--data-dir', dir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `parley: data dir .* is in use by another Parley server \\(pid ${first.proc.pid} on host ${hostname()}; lock file .*parley\\.lock\\)`,
        ),
      );
      expect(r.stdout).not.toMatch(/listening/);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false); // a graceful stop releases it
    const again = await spawnServer(['--port', '0', '--data-dir', dir]);
    expect(await again.stop()).toBe(0);
  });

  it('a lock left by a server that died (kill -9) is taken over at once', async () => {
    const first = await spawnServer(['--port', '0', '--data-dir', dir]);
    await first.kill9();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    const again = await spawnServer(['--port', '0', '--data-dir', dir]);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(again.proc.pid);
    expect(await again.stop()).toBe(0);
  });
});
