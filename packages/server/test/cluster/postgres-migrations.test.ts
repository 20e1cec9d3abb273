import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PG_MIGRATIONS,
  PgSchemaError,
  migratePostgres,
  openPostgres,
  type PgMigration,
} from '../../src/adapters/postgres/index.js';
import { createLogger } from '../../src/logger.js';
import { createServer } from '../../src/server.js';
import { freshPostgresSchema, postgresTestsRun, type TestSchema } from './postgres.js';

const log = createLogger('silent', 'json');
const LATEST = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version;

describe.runIf(await postgresTestsRun())('PostgreSQL schema migrations (--postgres)', () => {
  const schemas: TestSchema[] = [];
  const pools: pg.Pool[] = [];
  const fresh = async () => {
    const s = await freshPostgresSchema();
    schemas.push(s);
    return s;
  };
  const poolOn = (s: TestSchema) => {
    const p = new pg.Pool({ connectionString: s.url, max: 2 });
    pools.push(p);
    return p;
  };
  const applied = async (p: pg.Pool) =>
    (await p.query<{ version: number }>('SELECT version FROM parley_schema ORDER BY version')).rows.map(
      (r) => r.version,
    );

  beforeAll(async () => {
    await fresh();
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await Promise.all(schemas.map((s) => s.drop()));
  });

  it('builds the schema in an empty search_path schema, and a second run changes nothing', async () => {
    const s = await fresh();
    const p = poolOn(s);
    expect(await migratePostgres(p)).toEqual({ from: 0, to: LATEST });
    expect(await applied(p)).toEqual(PG_MIGRATIONS.map((m) => m.version));
    const tables = await p.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [s.schema],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['message_history', 'message_history_usage', 'parley_schema']),
    );
    expect(await migratePostgres(p)).toEqual({ from: LATEST, to: LATEST });
    expect(await applied(p)).toEqual(PG_MIGRATIONS.map((m) => m.version));
  });

  it('two nodes starting at once apply each step once (advisory lock)', async () => {
    const s = await fresh();
    const steps: PgMigration[] = [
      ...PG_MIGRATIONS,
      // A step that fails when run twice: CREATE TABLE without IF NOT EXISTS.
      { version: LATEST + 1, name: 'once', sql: 'CREATE TABLE only_once (x INT)' },
    ];
    const results = await Promise.all(
      [poolOn(s), poolOn(s), poolOn(s)].map((p) => migratePostgres(p, steps)),
    );
    expect(results.map((r) => r.to)).toEqual([LATEST + 1, LATEST + 1, LATEST + 1]);
    // exactly one of them found an empty schema
    expect(results.filter((r) => r.from === 0)).toHaveLength(1);
    expect(await applied(poolOn(s))).toEqual(steps.map((m) => m.version));
  });

  it('a failing step is rolled back whole and not recorded; the steps before it stay', async () => {
    const s = await fresh();
    const p = poolOn(s);
    const steps: PgMigration[] = [
      ...PG_MIGRATIONS,
      {
        version: LATEST + 1,
        name: 'broken',
        sql: 'CREATE TABLE half_done (x INT); SELECT no_such_column FROM half_done',
      },
    ];
    await expect(migratePostgres(p, steps)).rejects.toThrow(/no_such_column/);
    expect(await applied(p)).toEqual(PG_MIGRATIONS.map((m) => m.version));
    const t = await p.query(
      "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'half_done'",
      [s.schema],
    );
    expect(t.rowCount).toBe(0);
  });

  it('refuses a schema written by a newer Parley, changing nothing', async () => {
    const s = await fresh();
    const p = poolOn(s);
    await migratePostgres(p);
    await p.query("INSERT INTO parley_schema (version, name, applied_at) VALUES (999, 'future', 0)");
    const err = await migratePostgres(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PgSchemaError);
    expect((err as Error).message).toBe(
      `the PostgreSQL schema has version 999, newer than this Parley build understands (${LATEST}). ` +
        'It was written by a newer Parley: run that version. Nothing was changed.',
    );
    // and the server does not start on it
    await expect(createServer({ port: 0, dataDir: null, postgres: s.url }, { logger: log })).rejects.toThrow(
      /newer than this Parley build understands/,
    );
  });

  it('openPostgres rejects an unreachable PostgreSQL naming the URL without its password', async () => {
    await expect(
      openPostgres('postgres://parley:s3cret@127.0.0.1:1/test', log, { connectTimeoutMs: 1000 }),
    ).rejects.toThrow(/^cannot reach PostgreSQL at postgres:\/\/parley:\*\*\*@127\.0\.0\.1:1\/test: /);
  });

  it('a server with --postgres migrates at start and closes its pool on close', async () => {
    const s = await fresh();
    const server = await createServer({ port: 0, dataDir: null, postgres: s.url }, { logger: log });
    await server.listen();
    await server.close();
    expect(await applied(poolOn(s))).toEqual(PG_MIGRATIONS.map((m) => m.version));
  });
});
