import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirError } from '../../src/adapters/embedded/sqlite/data-dir-error.js';
import { LOCK_FILE, lockDataDir } from '../../src/adapters/embedded/sqlite/data-dir-lock.js';

/** Locks held by another host are judged by their age (10 s without a touch = gone). */
describe('lockDataDir', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const foreign = (ageMs: number, body = JSON.stringify({ pid: 4242, host: 'elsewhere', startedAt: 1 })) => {
    const file = join(dir, LOCK_FILE);
    writeFileSync(file, body);
    const t = new Date(Date.now() - ageMs);
    utimesSync(file, t, t);
  };

  it('refuses a lock another host touched recently, naming it', () => {
    foreign(1000);
    expect(() => lockDataDir(dir)).toThrow(DataDirError);
    expect(() => lockDataDir(dir)).toThrow(/in use by another Parley server \(pid 4242 on host elsewhere;/);
  });

  it('takes over a lock nobody touched for over 10 s, and releases only its own', () => {
    foreign(11_000);
    const release = lockDataDir(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    release();
    expect(() => readFileSync(join(dir, LOCK_FILE))).toThrow(/ENOENT/);
  });

  it('a lock of this hostname but another PID namespace (a container) is judged by its age', () => {
    const body = JSON.stringify({ pid: 999_999, host: hostname(), ns: 'pid:[1]', startedAt: 1 });
    foreign(1000, body);
    expect(() => lockDataDir(dir)).toThrow(/in use by another Parley server \(pid 999999 on host /);
  });

  it('an unreadable lock is judged by its age alone', () => {
    foreign(500, 'half-writ');
    expect(() => lockDataDir(dir)).toThrow(/in use by another Parley server \(an unknown process;/);
    foreign(11_000, 'half-writ');
    lockDataDir(dir)();
  });
});
