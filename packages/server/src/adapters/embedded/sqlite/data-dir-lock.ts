import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readlinkSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DataDirError } from './data-dir-error.js';

/** The lock file inside the data dir while a server uses it. */
export const LOCK_FILE = 'parley.lock';
/** The holder touches the lock this often, ms. */
const BEAT_MS = 2000;
/** A lock not touched for this long belongs to a server that is gone (or hung), ms. */
const STALE_MS = 10_000;

interface Holder {
  pid: number;
  host: string;
  /** the PID namespace (Linux): pids are comparable only within one */
  ns?: string;
  startedAt: number;
}

/** This process' PID namespace on Linux ('pid:[4026531836]'), '' elsewhere. */
function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
}

/**
 * One server per data dir: two would share one offline inbox and deliver each other's stored
 * messages. The lock is a file created exclusively (`wx`), naming its holder, touched every 2 s.
 * A lock is taken over when its holder is gone: on this host (same hostname and PID namespace)
 * when its process no longer exists or is a zombie not yet reaped by its parent (so a restart
 * right after a crash or `kill -9` starts at once), anywhere when it has not been touched for 10 s (another container or host sharing the
 * directory). Anything else: start-up
 * stops with a DataDirError naming the holder. Returns the release function (graceful close).
 */
export function lockDataDir(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  const me: Holder = { pid: process.pid, host: hostname(), ns: pidNamespace(), startedAt: Date.now() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST')
        throw new DataDirError(`cannot create the lock file ${file}: ${(e as Error).message}.`);
      const holder = readHolder(file);
      if (holder === 'gone') continue; // removed meanwhile: try again
      if (!isStale(holder)) {
        const who = holder.info ? `pid ${holder.info.pid} on host ${holder.info.host}` : 'an unknown process';
        throw new DataDirError(
          `data dir ${dir} is in use by another Parley server (${who}; lock file ${file}). ` +
            'Run one server per data dir (stop the other, or use another --data-dir).',
        );
      }
      try {
        unlinkSync(file);
      } catch {
        /* someone else took it over first: the next attempt sees their lock */
      }
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(me));
    } finally {
      closeSync(fd);
    }
    const beat = setInterval(() => {
      const now = new Date();
      try {
        utimesSync(file, now, now);
      } catch {
        /* removed by an operator: nothing to keep fresh */
      }
    }, BEAT_MS);
    beat.unref();
    return () => {
      clearInterval(beat);
      const h = readHolder(file);
      // Only our own lock: another server may have taken over a lock we let go stale.
      if (h !== 'gone' && h.info?.pid === me.pid && h.info.startedAt === me.startedAt) {
        try {
          unlinkSync(file);
        } catch {
          /* already gone */
        }
      }
    };
  }
  throw new DataDirError(`cannot take the lock file ${file}: another process keeps replacing it.`);
}

function readHolder(file: string): 'gone' | { info: Holder | null; touchedAt: number } {
  let touchedAt: number;
  let text: string;
  try {
    touchedAt = statSync(file).mtimeMs;
    text = readFileSync(file, 'utf8');
  } catch {
    return 'gone';
  }
  try {
    const v = JSON.parse(text) as Partial<Holder>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.startedAt === 'number')
      return { info: v as Holder, touchedAt };
  } catch {
    /* being written, or not ours: judged by its age alone */
  }
  return { info: null, touchedAt };
}

function isStale(h: { info: Holder | null; touchedAt: number }): boolean {
  if (Date.now() - h.touchedAt > STALE_MS) return true;
  const info = h.info;
  // Another host, or a container sharing this hostname but not our pids: its age decides.
  if (!info || info.host !== hostname() || (info.ns ?? '') !== pidNamespace()) return false;
  // Our own pid: a previous run in a container (pid 1 again) or this process itself.
  if (info.pid === process.pid) return true;
  return !processExists(info.pid);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists, owned by another user.
    if ((e as { code?: string }).code !== 'EPERM') return false;
  }
  // A killed server stays a zombie until its parent reaps it (a supervisor may take a while):
  // signals still reach it, but it runs no code and holds no files.
  return !hasExited(pid);
}

/**
 * true when /proc says the process has exited: a zombie awaiting its parent (state Z or X), or
 * gone since kill(0). false without /proc (not Linux): kill(0) decided.
 */
export function hasExited(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return existsSync('/proc/self/stat');
  }
  // "pid (comm) S ...": comm may contain spaces and parentheses, the state follows the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}
