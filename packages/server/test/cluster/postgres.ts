import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { getCurrentTest } from 'vitest/suite';

/**
 * PostgreSQL for tests: `POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432/test, trust
 * auth). Each test file takes a schema of its own (`freshPostgresSchema`), reached through a URL
 * whose `options` set the `search_path`, and drops it afterwards, so parallel files never share
 * tables. PostgreSQL unreachable: the tests are skipped with a loud message, or fail when
 * PARLEY_REQUIRE_POSTGRES=1 (CI: .ci/run sets it and starts PostgreSQL).
 */
export const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** CI: an unreachable PostgreSQL fails the tests instead of skipping them. */
export const POSTGRES_REQUIRED = process.env.PARLEY_REQUIRE_POSTGRES === '1';

let probe: Promise<boolean> | null = null;

/** Whether PostgreSQL answers at POSTGRES_URL (checked once per test process). */
export function postgresReachable(): Promise<boolean> {
  probe ??= (async () => {
    const c = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 1000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  })();
  return probe;
}

const unreachable = () =>
  `PostgreSQL is not reachable at ${POSTGRES_URL}: PostgreSQL tests need it (start postgresql, or set POSTGRES_URL)`;

let warned = false;

/** Prints the loud "skipping PostgreSQL tests" line once per test process. */
export function warnPostgresSkipped(): void {
  if (warned) return;
  warned = true;
  console.warn(`\n${'!'.repeat(100)}\n!!! SKIPPING: ${unreachable()}\n${'!'.repeat(100)}\n`);
}

/**
 * Whether this file's PostgreSQL tests run: reachable, or required (then they fail loudly in
 * their setup). Unreachable and not required: warns loudly and answers false (`describe.runIf`).
 */
export async function postgresTestsRun(): Promise<boolean> {
  const ok = await postgresReachable();
  if (!ok && !POSTGRES_REQUIRED) warnPostgresSkipped();
  return ok || POSTGRES_REQUIRED;
}

/**
 * PostgreSQL is unreachable: fail when PARLEY_REQUIRE_POSTGRES=1 (CI), else skip the current test
 * with a loud line (outside a test it throws with the same explanation).
 */
export function skipWithoutPostgres(): never {
  const msg = unreachable();
  if (POSTGRES_REQUIRED) throw new Error(`${msg}; PARLEY_REQUIRE_POSTGRES=1 makes this a failure`);
  warnPostgresSkipped();
  const test = getCurrentTest();
  if (test) test.context.skip(msg);
  throw new Error(msg);
}

/** A schema of one test file, with the URL that works in it (give it to `--postgres`). */
export interface TestSchema {
  schema: string;
  /** POSTGRES_URL with `options=-c search_path=<schema>` */
  url: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** A URL of POSTGRES_URL's database whose connections work in `schema`. */
export function urlInSchema(schema: string, base = POSTGRES_URL): string {
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

/** Creates an empty schema unique to this test process and call (skips or fails when unreachable). */
export async function freshPostgresSchema(): Promise<TestSchema> {
  if (!(await postgresReachable())) skipWithoutPostgres();
  const schema = `ptest_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE SCHEMA ${schema}`);
  return {
    schema,
    url: urlInSchema(schema),
    drop: () => admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`),
  };
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
