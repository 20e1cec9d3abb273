import pg from 'pg';
import type { Logger } from '../../logger.js';

export type PgPool = pg.Pool;

/** Tuning of the PostgreSQL pool; defaults suit a LAN PostgreSQL. */
export interface PostgresPoolOptions {
  /** connections held at most (default 10) */
  max?: number;
  /** give up connecting after this long, ms (default 5000) */
  connectTimeoutMs?: number;
}

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * Opens a pool on `url` (a libpq URL, `postgres://user:pass@host:port/db?options=...`) and checks
 * that it answers: rejects with a message naming the (redacted) URL when it does not, so start-up
 * stops with a reason instead of failing on the first write. A query sent while PostgreSQL is
 * away fails (after the connect timeout), never waits forever.
 */
export async function openPostgresPool(
  url: string,
  log: Logger,
  opts: PostgresPoolOptions = {},
): Promise<PgPool> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    // Idle connections are closed after a while, so a pool does not pin server slots for nothing.
    idleTimeoutMillis: 30_000,
  });
  // An idle connection that dies (PostgreSQL restarted) emits 'error' on the pool: without a
  // listener that would end the process. The next query opens a new connection.
  pool.on('error', (err) => log.warn({ err: err.message }, 'postgres: idle connection lost'));
  try {
    await pool.query('SELECT 1');
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new Error(`cannot reach PostgreSQL at ${redactUrl(url)}: ${(e as Error).message}`);
  }
  return pool;
}
