/**
 * Message history store benchmark: `npm run bench -- history [options]` (build first: `npm run
 * build`; PostgreSQL and Redis on 127.0.0.1 for those adapters: POSTGRES_URL, REDIS_URL).
 *
 * For each adapter (SQLite in a temp data dir, PostgreSQL in a schema of its own, Redis under a
 * prefix of its own), in this process: appends `entries` 100-byte entries of one app, `window`
 * in flight at a time (each resolves once committed, as a send with history waits), then runs
 * `queries` history queries (limit 100, desc, a random window of the time range; with and
 * without a source filter) and counts. Reported: appends per second, query and count latency
 * (p50 / p99, ms). Everything it creates is removed at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { Redis } from 'ioredis';
import { parseArgs } from './lib/args.mjs';
import { markdownTable } from './lib/report.mjs';

const dist = new URL('../packages/server/dist/', import.meta.url);
const { createEmbeddedStore } = await import(new URL('adapters/embedded/index.js', dist).href);
const { openPostgres, PgMessageHistoryStore } = await import(
  new URL('adapters/postgres/index.js', dist).href
);
const { RedisKeys } = await import(new URL('adapters/redis/keys.js', dist).href);
const { RedisMessageHistoryStore } = await import(
  new URL('adapters/redis/redis-message-history-store.js', dist).href
);
const { createLogger } = await import(new URL('logger.js', dist).href);

const opts = parseArgs(process.argv.slice(2), { entries: 20000, window: 200, queries: 300, only: '' });
const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const APP = '0123456789abcdef0123456789abcdef';
const LIMITS = { ttlMs: 7 * 24 * 3600 * 1000, maxBytesPerApp: 0 };
const USERS = Array.from({ length: 50 }, (_, i) => `user${i}`);
const log = createLogger('silent', 'json');

const adapters = {
  sqlite: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-bench-history-'));
    const s = createEmbeddedStore({ dataDir: dir });
    return {
      store: s.messageHistory,
      close: async () => {
        await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  postgres: async () => {
    const schema = `pbench_${process.pid}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const u = new URL(POSTGRES_URL);
    u.searchParams.set('options', `-c search_path=${schema}`);
    const h = await openPostgres(u.toString(), log);
    return {
      store: new PgMessageHistoryStore(h.pool),
      close: async () => {
        await h.close();
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
      },
    };
  },
  redis: async () => {
    const prefix = `pbench:${process.pid}`;
    const redis = new Redis(REDIS_URL, { enableAutoPipelining: true });
    return {
      store: new RedisMessageHistoryStore(redis, new RedisKeys(prefix)),
      close: async () => {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length) await redis.unlink(...keys);
        } while (cursor !== '0');
        redis.disconnect();
      },
    };
  },
};

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x) => x.toFixed(2);

const rows = [];
for (const [name, make] of Object.entries(adapters)) {
  if (opts.only && opts.only !== name) continue;
  let a;
  try {
    a = await make();
  } catch (e) {
    console.error(`${name}: skipped (${e.message})`);
    continue;
  }
  try {
    const t0 = Date.now();
    const payload = 'x'.repeat(100);
    const start = performance.now();
    for (let i = 0; i < opts.entries; i += opts.window) {
      const batch = [];
      for (let j = i; j < Math.min(opts.entries, i + opts.window); j++) {
        const src = USERS[j % USERS.length];
        const e = {
          id: `m${j}`,
          src,
          dst: 'room',
          kind: 'channel',
          messageType: 'channel_message',
          ts: t0 + j,
          payload,
        };
        batch.push(a.store.append(APP, e, LIMITS));
      }
      await Promise.all(batch);
    }
    const appendS = (performance.now() - start) / 1000;
    const timed = async (fn) => {
      const out = [];
      for (let i = 0; i < opts.queries; i++) {
        const from = t0 + Math.floor(Math.random() * opts.entries);
        const q = performance.now();
        await fn(from, USERS[i % USERS.length]);
        out.push(performance.now() - q);
      }
      return out;
    };
    const range = (from) => ({ startMs: from, endMs: from + opts.entries / 10 });
    const all = await timed((from) =>
      a.store.query(APP, { ...range(from), offset: 0, limit: 100, order: 'desc' }),
    );
    const bySrc = await timed((from, src) =>
      a.store.query(APP, { ...range(from), source: src, offset: 0, limit: 100, order: 'desc' }),
    );
    const counts = await timed((from, src) => a.store.count(APP, { ...range(from), source: src }));
    rows.push([
      name,
      Math.round(opts.entries / appendS).toLocaleString('en'),
      `${ms(pct(all, 50))} / ${ms(pct(all, 99))}`,
      `${ms(pct(bySrc, 50))} / ${ms(pct(bySrc, 99))}`,
      `${ms(pct(counts, 50))} / ${ms(pct(counts, 99))}`,
    ]);
  } finally {
    await a.close();
  }
}
console.log(
  `\n${opts.entries} appends of 100 bytes, ${opts.window} in flight; ${opts.queries} queries each (limit 100, desc, a tenth of the range)\n`,
);
console.log(
  markdownTable([
    [
      'adapter',
      'appends/s',
      'query p50 / p99 ms',
      'query by source p50 / p99 ms',
      'count by source p50 / p99 ms',
    ],
    ...rows,
  ]),
);
