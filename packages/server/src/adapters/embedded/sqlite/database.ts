import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { DataDirError } from './data-dir-error.js';
import { lockDataDir } from './data-dir-lock.js';
import { MIGRATIONS, migrate, type Migration } from './migrations.js';

/** The database file inside the data dir (plus its `-wal` and `-shm` companions while open). */
export const DB_FILE = 'parley.db';

/**
 * How hard a commit is pushed to disk. 'normal' (default): with WAL, a commit survives a crash or
 * kill of the process; a power loss or OS crash may roll back the last commits (the file stays
 * consistent). 'full': also survives a power loss, at one fsync per commit.
 */
export type SqliteSync = 'normal' | 'full';

export interface OpenOptions {
  synchronous?: SqliteSync;
  migrations?: readonly Migration[];
}

/**
 * Opens (creating if needed) the Parley database under `dataDir`: the data dir locked for this
 * server (one server per data dir), WAL mode, schema migrated to this build's version. Throws DataDirError with a message an operator can act on when the
 * directory or the file cannot be used; it never recreates or overwrites a file it cannot read.
 */
export function openDatabase(
  dataDir: string,
  opts: OpenOptions = {},
): { db: Database; file: string; schema: { from: number; to: number } } {
  const dir = resolve(dataDir);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new DataDirError(`cannot create data dir ${dir}: ${reason(e)}. Check --data-dir.`);
  }
  if (!statSync(dir).isDirectory())
    throw new DataDirError(`data dir ${dir} is not a directory. Check --data-dir.`);
  try {
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new DataDirError(`data dir ${dir} is not readable and writable by this process: ${reason(e)}.`);
  }
  const file = join(dir, DB_FILE);
  const unlock = lockDataDir(dir);
  let db: Database;
  try {
    db = new BetterSqlite3(file, { timeout: 5000 });
  } catch (e) {
    unlock();
    throw new DataDirError(`cannot open database ${file}: ${reason(e)}.`);
  }
  locks.set(db, unlock);
  try {
    // The first statements read the header: a file that is not a database fails here.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new DataDirError(`cannot switch ${file} to WAL mode (got ${String(mode)}).`);
    db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    const schema = migrate(db, file, opts.migrations ?? MIGRATIONS);
    return { db, file, schema };
  } catch (e) {
    db.close();
    unlock();
    if (e instanceof DataDirError) throw e;
    const code = (e as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
      throw new DataDirError(
        `${file} is corrupt or not a SQLite database (${reason(e)}). Parley will not overwrite it: restore it from a backup, or move it away to start empty.`,
      );
    throw new DataDirError(`cannot use database ${file}: ${reason(e)}.`);
  }
}

/** Checkpoints the WAL into the main file and closes: the data dir is then one self-contained file. */
export function closeDatabase(db: Database): void {
  if (!db.open) return;
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
    locks.get(db)?.();
    locks.delete(db);
  }
}

/** The data-dir lock of each open database, released when it closes. */
const locks = new WeakMap<Database, () => void>();

function reason(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return err.code && !String(err.message).includes(err.code)
    ? `${err.code}: ${err.message}`
    : String(err.message ?? e);
}
