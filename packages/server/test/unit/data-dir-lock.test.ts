import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirError } from '../../src/adapters/embedded/sqlite/data-dir-error.js';
import { LOCK_FILE, hasExited, lockDataDir } from '../../src/adapters/embedded/sqlite/data-dir-lock.js';
import { until } from '../helpers.js';

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

  /** A lock of this host and PID namespace, freshly touched, naming `pid`. */
  const local = (pid: number) =>
    foreign(
      500,
      JSON.stringify({ pid, host: hostname(), ns: readlinkSync('/proc/self/ns/pid'), startedAt: 1 }),
    );

  /**
   * A real zombie: `sh` starts a child, prints its pid, then becomes `sleep` (exec), which never
   * waits for children; the child exits then, so the exited child stays a zombie until the sleep
   * is killed. As a server killed with -9 stays one until its supervisor reaps it.
   */
  const withZombie = async (test: (zombie: number, parent: number) => void | Promise<void>) => {
    // The child exits only once its parent has become `sleep`: a shell that is still a shell
    // could reap it first (seen under load), and the zombie would be gone.
    const child = 'until [ "$(cat /proc/$PPID/comm)" = sleep ]; do sleep 0.02; done; exit 0';
    const sh = spawn('sh', ['-c', `sh -c '${child}' & echo $!; exec sleep 30`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const zombie = await new Promise<number>((resolve) =>
        sh.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
      );
      await until(
        () => readFileSync(`/proc/${zombie}/stat`, 'utf8').split(') ')[1]!.startsWith('Z'),
        5000,
        'zombie',
      );
      await test(zombie, sh.pid!);
    } finally {
      sh.kill('SIGKILL');
    }
  };

  it.runIf(process.platform === 'linux')(
    'takes over at once a lock whose holder on this host is a zombie (killed, not yet reaped)',
    async () => {
      await withZombie((zombie, parent) => {
        expect(hasExited(zombie)).toBe(true);
        expect(hasExited(parent)).toBe(false);
        // The zombie's parent is alive: a lock naming it is refused, the zombie's is taken over.
        local(parent);
        expect(() => lockDataDir(dir)).toThrow(
          new RegExp(`in use by another Parley server \\(pid ${parent} on host `),
        );
        local(zombie);
        const release = lockDataDir(dir);
        expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
        release();
      });
    },
  );
});
