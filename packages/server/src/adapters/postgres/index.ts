import type { Logger } from '../../logger.js';
import type { Store } from '../../ports/store.js';
import { PgMessageHistoryStore } from './pg-message-history-store.js';
import { PostgresMediaStore } from './postgres-media-store.js';
import { migratePostgres, type PgMigration } from './migrations.js';
import { openPostgresPool, type PgPool, type PostgresPoolOptions, redactUrl } from './pool.js';

export { PG_MIGRATIONS, PgSchemaError, migratePostgres, type PgMigration } from './migrations.js';
export { openPostgresPool, redactUrl, type PgPool, type PostgresPoolOptions } from './pool.js';
export { PgMessageHistoryStore } from './pg-message-history-store.js';
export { PostgresMediaStore } from './postgres-media-store.js';

/**
 * The Store parts PostgreSQL takes over from the mode's adapters (Redis or SQLite) when
 * `--postgres` is set: the durable data that must outlast Redis and be shared by every node.
 */
export function postgresParts(pool: PgPool): Pick<Store, 'messageHistory' | 'media'> {
  return { messageHistory: new PgMessageHistoryStore(pool), media: new PostgresMediaStore(pool) };
}

/** An open PostgreSQL: the pool every PostgreSQL Store part shares. */
export interface PostgresHandle {
  pool: PgPool;
  close(): Promise<void>;
}

/**
 * Connects to PostgreSQL (`--postgres`), migrates the schema (safe when several nodes start at
 * once) and says so in the log. Rejects when PostgreSQL cannot be reached or its schema is newer.
 */
export async function openPostgres(
  url: string,
  log: Logger,
  opts: PostgresPoolOptions & { migrations?: readonly PgMigration[] } = {},
): Promise<PostgresHandle> {
  const plog = log.child({ layer: 'postgres' });
  const pool = await openPostgresPool(url, plog, opts);
  let schema: { from: number; to: number };
  try {
    schema = await migratePostgres(pool, opts.migrations);
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
  if (schema.from !== schema.to && schema.from > 0)
    plog.info({ from: schema.from, to: schema.to }, 'postgres schema migrated');
  plog.info({ url: redactUrl(url), schema: schema.to }, 'storage: PostgreSQL');
  let closed = false;
  return {
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
