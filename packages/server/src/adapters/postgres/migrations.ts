import type { PgPool } from './pool.js';

/** One step of the PostgreSQL schema. Applied once, in a transaction, in version order; never edited after release. */
export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The PostgreSQL schema, as the steps that build it (like the SQLite one, adapters/embedded/
 * sqlite/migrations.ts): to change it, append a step with the next version. Tables are created
 * unqualified, in the connection's `search_path` (a URL's `?options=-csearch_path%3D<schema>`
 * puts a deployment, or a test, in a schema of its own).
 */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'message history',
    // One row per message sent with history. `seq` is the append order (ties of equal `ts`);
    // `bytes` the payload's UTF-8 size, counted against the per-app cap. The indexes serve the
    // history query: by app and time, optionally by source, destination or both.
    sql: `
      CREATE TABLE message_history (
        seq BIGSERIAL PRIMARY KEY,
        app_id TEXT NOT NULL,
        id TEXT NOT NULL,
        src TEXT NOT NULL,
        dst TEXT NOT NULL,
        kind TEXT NOT NULL,
        message_type TEXT NOT NULL,
        ts BIGINT NOT NULL,
        payload TEXT NOT NULL,
        bytes INTEGER NOT NULL
      );
      CREATE INDEX message_history_by_time ON message_history (app_id, ts, seq);
      CREATE INDEX message_history_by_src ON message_history (app_id, src, ts, seq);
      CREATE INDEX message_history_by_dst ON message_history (app_id, dst, ts, seq);
      CREATE INDEX message_history_by_age ON message_history (ts);
      CREATE TABLE message_history_usage (
        app_id TEXT PRIMARY KEY,
        bytes BIGINT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'media',
    // Uploaded images and files (postgres-media-store.ts): one row per file, `complete` once all
    // its chunks are in; the bytes in chunks of 256 KB, numbered from 0.
    sql: `
      CREATE TABLE media (
        app_id TEXT NOT NULL,
        id TEXT NOT NULL,
        size BIGINT NOT NULL,
        uploader TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        complete BOOLEAN NOT NULL,
        PRIMARY KEY (app_id, id)
      );
      CREATE INDEX media_by_expiry ON media (expires_at);
      CREATE TABLE media_chunks (
        app_id TEXT NOT NULL,
        id TEXT NOT NULL,
        n INTEGER NOT NULL,
        data BYTEA NOT NULL,
        PRIMARY KEY (app_id, id, n)
      );
    `,
  },
];

/**
 * Serializes migrations of every Parley node on one PostgreSQL (an advisory lock is per
 * database): two nodes starting at once apply each step once. The key is arbitrary but fixed.
 */
const MIGRATION_LOCK = 0x50524c59; // 'PRLY'

/** Refused schema: newer than this build, the message says what to do. */
export class PgSchemaError extends Error {}

/**
 * Brings the schema to the latest version: each missing step in its own transaction, under the
 * advisory lock, after re-reading the applied versions (another node may just have applied it).
 * Refuses (PgSchemaError) a schema newer than this build knows: never touch data we do not
 * understand. Resolves with the version found and the version now in force.
 */
export async function migratePostgres(
  pool: PgPool,
  migrations: readonly PgMigration[] = PG_MIGRATIONS,
): Promise<{ from: number; to: number }> {
  const latest = migrations[migrations.length - 1]!.version;
  const client = await pool.connect();
  let from = -1;
  try {
    for (let i = 0; i <= migrations.length; i++) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await client.query(
          'CREATE TABLE IF NOT EXISTS parley_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
        );
        const row = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM parley_schema');
        const current = row.rows[0]?.v ?? 0;
        if (from < 0) from = current;
        if (current > latest)
          throw new PgSchemaError(
            `the PostgreSQL schema has version ${current}, newer than this Parley build understands (${latest}). ` +
              'It was written by a newer Parley: run that version. Nothing was changed.',
          );
        const next = migrations.find((m) => m.version > current);
        if (!next) {
          await client.query('COMMIT');
          return { from, to: current };
        }
        await client.query(next.sql);
        await client.query('INSERT INTO parley_schema (version, name, applied_at) VALUES ($1, $2, $3)', [
          next.version,
          next.name,
          Date.now(),
        ]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    }
    return { from, to: latest };
  } finally {
    client.release();
  }
}
