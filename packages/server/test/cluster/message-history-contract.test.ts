import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbeddedStore } from '../../src/adapters/embedded/index.js';
import { MemoryMessageHistoryStore } from '../../src/adapters/embedded/memory-message-history-store.js';
import { openPostgres, PgMessageHistoryStore } from '../../src/adapters/postgres/index.js';
import { RedisKeys } from '../../src/adapters/redis/keys.js';
import { RedisMessageHistoryStore } from '../../src/adapters/redis/redis-message-history-store.js';
import { createLogger } from '../../src/logger.js';
import type {
  HistoryEntry,
  HistoryRetentionLimits,
  MessageHistoryStore,
} from '../../src/ports/message-history-store.js';
import {
  ON_REDIS_CLUSTER,
  REDIS_URL,
  cleanPrefix,
  redisClusterSeeds,
  redisReachable,
  seedNodes,
  skipWithoutRedis,
  uniquePrefix,
  warnSkipped,
} from './nodes.js';
import { WHOLE_HISTORY } from '../helpers.js';
import { freshPostgresSchema, postgresTestsRun } from './postgres.js';

/**
 * The MessageHistoryStore contract, one suite run on every adapter: memory (tests), SQLite
 * (embedded), PostgreSQL (--postgres) and Redis (cluster mode without --postgres). Each test gets
 * a fresh store (own data dir, schema or key prefix).
 */

const APP = '0123456789abcdef0123456789abcdef';
const OTHER = 'ABCDEFabcdef0123456789abcdef0123';
const NO_CAP: HistoryRetentionLimits = { ttlMs: 7 * 24 * 3600 * 1000, maxBytesPerApp: 0 };
const ALL = WHOLE_HISTORY;

let n = 0;
const entry = (o: Partial<HistoryEntry> = {}): HistoryEntry => ({
  id: `m${++n}`,
  src: 'alice',
  dst: 'bob',
  kind: 'peer',
  messageType: 'peer_message',
  ts: 1000,
  payload: 'hi',
  ...o,
});
const ids = (list: HistoryEntry[]) => list.map((e) => e.id);

interface Made {
  store: MessageHistoryStore;
  close(): Promise<void>;
}
const log = createLogger('silent', 'json');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const redisUp = await redisReachable();
if (!redisUp && process.env.PARLEY_REQUIRE_REDIS !== '1') warnSkipped();
const postgresUp = await postgresTestsRun();

const impls: Array<[string, boolean, () => Promise<Made>]> = [
  ['memory', true, async () => ({ store: new MemoryMessageHistoryStore(), close: async () => {} })],
  [
    'sqlite',
    true,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'parley-history-'));
      const s = createEmbeddedStore({ dataDir: dir });
      return {
        store: s.messageHistory,
        close: async () => {
          await s.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  [
    'postgres',
    postgresUp,
    async () => {
      const schema = await freshPostgresSchema();
      const pg = await openPostgres(schema.url, log);
      return {
        store: new PgMessageHistoryStore(pg.pool),
        close: async () => {
          await pg.close();
          await schema.drop();
        },
      };
    },
  ],
  [
    'redis',
    redisUp || process.env.PARLEY_REQUIRE_REDIS === '1',
    async () => {
      if (!redisUp) skipWithoutRedis();
      const redis = ON_REDIS_CLUSTER
        ? new Cluster(seedNodes(redisClusterSeeds()))
        : new Redis(REDIS_URL, { enableAutoPipelining: true });
      const prefix = uniquePrefix();
      return {
        store: new RedisMessageHistoryStore(redis, new RedisKeys(prefix)),
        close: async () => {
          await cleanPrefix(prefix);
          redis.disconnect();
        },
      };
    },
  ],
];

describe.each(impls.filter(([, run]) => run))('MessageHistoryStore contract (%s)', (_name, _run, make) => {
  const fresh = async () => {
    const m = await make();
    cleanups.push(() => m.close());
    return m.store;
  };

  it('keeps every field of an entry (text, base64 of raw, ids with : { } and spaces, non-ASCII)', async () => {
    const s = await fresh();
    const a = entry({
      src: 'x:y}{ z',
      dst: 'room:1}',
      kind: 'channel',
      messageType: 'channel_message',
      payload: 'héllo ✓',
    });
    const b = entry({
      messageType: 'peer_raw_message',
      payload: Buffer.from([0, 255, 1]).toString('base64'),
      ts: 1001,
    });
    await s.append(APP, a, NO_CAP);
    await s.append(APP, b, NO_CAP);
    expect(await s.query(APP, ALL)).toEqual([a, b]);
    expect(await s.query(OTHER, ALL)).toEqual([]);
  });

  it('filters by source, destination, both or neither, within the app', async () => {
    const s = await fresh();
    const ab = entry({ src: 'alice', dst: 'bob' });
    const ac = entry({ src: 'alice', dst: 'carol' });
    const cb = entry({ src: 'carol', dst: 'bob' });
    const room = entry({ src: 'bob', dst: 'room', kind: 'channel', messageType: 'channel_message' });
    for (const e of [ab, ac, cb, room]) await s.append(APP, e, NO_CAP);
    await s.append(OTHER, entry({ src: 'alice', dst: 'bob' }), NO_CAP);
    expect(ids(await s.query(APP, ALL))).toEqual(ids([ab, ac, cb, room]));
    expect(ids(await s.query(APP, { ...ALL, source: 'alice' }))).toEqual(ids([ab, ac]));
    expect(ids(await s.query(APP, { ...ALL, destination: 'bob' }))).toEqual(ids([ab, cb]));
    expect(ids(await s.query(APP, { ...ALL, source: 'alice', destination: 'bob' }))).toEqual(ids([ab]));
    expect(ids(await s.query(APP, { ...ALL, destination: 'room' }))).toEqual(ids([room]));
    expect(await s.query(APP, { ...ALL, source: 'nobody' })).toEqual([]);
    expect(await s.count(APP, { startMs: 0, endMs: 1e15, source: 'alice' })).toBe(2);
    expect(await s.count(APP, { startMs: 0, endMs: 1e15, destination: 'bob' })).toBe(2);
    expect(await s.count(APP, { startMs: 0, endMs: 1e15, source: 'carol', destination: 'bob' })).toBe(1);
    expect(await s.count(APP, { startMs: 0, endMs: 1e15 })).toBe(4);
    expect(await s.count(OTHER, { startMs: 0, endMs: 1e15 })).toBe(1);
  });

  it('time range: both ends inclusive, to the millisecond', async () => {
    const s = await fresh();
    const [a, b, c] = [1000, 2000, 3000].map((ts) => entry({ ts }));
    for (const e of [a!, b!, c!]) await s.append(APP, e, NO_CAP);
    const range = async (startMs: number, endMs: number) =>
      ids(await s.query(APP, { ...ALL, startMs, endMs }));
    expect(await range(1000, 3000)).toEqual(ids([a!, b!, c!]));
    expect(await range(1001, 3000)).toEqual(ids([b!, c!]));
    expect(await range(1000, 2999)).toEqual(ids([a!, b!]));
    expect(await range(2000, 2000)).toEqual(ids([b!]));
    expect(await range(2001, 2999)).toEqual([]);
    expect(await range(3001, 4000)).toEqual([]);
    expect(await s.count(APP, { startMs: 2000, endMs: 3000 })).toBe(2);
    expect(await s.count(APP, { startMs: 2000, endMs: 2000, destination: 'bob' })).toBe(1);
  });

  it('offset, limit and order page through (ts, append order); count ignores paging', async () => {
    const s = await fresh();
    const list = Array.from({ length: 10 }, (_, i) => entry({ ts: 1000 + i * 10 }));
    // appended out of time order: the query orders by ts, not by arrival
    for (const e of [...list.slice(5), ...list.slice(0, 5)]) await s.append(APP, e, NO_CAP);
    expect(ids(await s.query(APP, ALL))).toEqual(ids(list));
    expect(ids(await s.query(APP, { ...ALL, offset: 2, limit: 3 }))).toEqual(ids(list.slice(2, 5)));
    expect(ids(await s.query(APP, { ...ALL, offset: 2, limit: 3, order: 'desc' }))).toEqual(
      ids([list[7]!, list[6]!, list[5]!]),
    );
    expect(ids(await s.query(APP, { ...ALL, order: 'desc' }))).toEqual(ids([...list].reverse()));
    expect(await s.query(APP, { ...ALL, offset: 10 })).toEqual([]);
    expect(ids(await s.query(APP, { ...ALL, offset: 8, limit: 100 }))).toEqual(ids(list.slice(8)));
    expect(await s.query(APP, { ...ALL, limit: 0 })).toEqual([]);
    expect(ids(await s.query(APP, { ...ALL, source: 'alice', offset: 9, order: 'desc' }))).toEqual(
      ids([list[0]!]),
    );
  });

  it('equal timestamps keep append order: asc as appended, desc reversed, under every filter', async () => {
    const s = await fresh();
    const list = Array.from({ length: 5 }, () => entry({ ts: 5000 }));
    for (const e of list) await s.append(APP, e, NO_CAP);
    const rev = ids([...list].reverse());
    expect(ids(await s.query(APP, ALL))).toEqual(ids(list));
    expect(ids(await s.query(APP, { ...ALL, order: 'desc' }))).toEqual(rev);
    expect(ids(await s.query(APP, { ...ALL, source: 'alice', order: 'desc' }))).toEqual(rev);
    expect(ids(await s.query(APP, { ...ALL, destination: 'bob' }))).toEqual(ids(list));
    expect(
      ids(await s.query(APP, { ...ALL, source: 'alice', destination: 'bob', offset: 1, limit: 2 })),
    ).toEqual(ids(list.slice(1, 3)));
  });

  it('appends in flight at once keep their call order (equal timestamps), in several apps', async () => {
    const s = await fresh();
    const list = Array.from({ length: 40 }, (_, i) => entry({ ts: 7000, payload: `n${i}` }));
    const other = Array.from({ length: 5 }, () => entry({ ts: 7000 }));
    const results = await Promise.all([
      ...list.map((e) => s.append(APP, e, NO_CAP)),
      ...other.map((e) => s.append(OTHER, e, NO_CAP)),
    ]);
    expect(results.every((r) => r.dropped === 0)).toBe(true);
    expect(ids(await s.query(APP, ALL))).toEqual(ids(list));
    expect(ids(await s.query(OTHER, { ...ALL, order: 'desc' }))).toEqual(ids([...other].reverse()));
  });

  it('appends in flight at once over the cap: the oldest go, the total drops are told', async () => {
    const s = await fresh();
    const cap: HistoryRetentionLimits = { ...NO_CAP, maxBytesPerApp: 12 };
    const list = Array.from({ length: 6 }, (_, i) => entry({ ts: 8000 + i, payload: 'abcd' }));
    const results = await Promise.all(list.map((e) => s.append(APP, e, cap)));
    expect(results.reduce((n, r) => n + r.dropped, 0)).toBe(3);
    expect(ids(await s.query(APP, ALL))).toEqual(ids(list.slice(3)));
  });

  it('the per-app cap drops the oldest first, counts UTF-8 bytes, and tells how many it dropped', async () => {
    const s = await fresh();
    const cap: HistoryRetentionLimits = { ...NO_CAP, maxBytesPerApp: 10 };
    const [a, b, c] = [1, 2, 3].map((i) => entry({ ts: 1000 + i, payload: 'abcd' }));
    expect(await s.append(APP, a!, cap)).toEqual({ dropped: 0 });
    expect(await s.append(APP, b!, cap)).toEqual({ dropped: 0 });
    // 12 bytes > 10: the oldest goes
    expect(await s.append(APP, c!, cap)).toEqual({ dropped: 1 });
    expect(ids(await s.query(APP, ALL))).toEqual(ids([b!, c!]));
    // 'éé' is 4 bytes in UTF-8 (2 characters): 4 + 4 + 4 > 10
    const d = entry({ ts: 1004, payload: 'éé' });
    expect(await s.append(APP, d, cap)).toEqual({ dropped: 1 });
    expect(ids(await s.query(APP, ALL))).toEqual(ids([c!, d]));
    // another app has a cap of its own
    expect(await s.append(OTHER, entry({ payload: 'abcdefgh' }), cap)).toEqual({ dropped: 0 });
    expect(await s.count(APP, { startMs: 0, endMs: 1e15 })).toBe(2);
  });

  it('the oldest by time goes first, not the first appended; an entry over the whole cap is kept alone', async () => {
    const s = await fresh();
    const cap: HistoryRetentionLimits = { ...NO_CAP, maxBytesPerApp: 8 };
    const late = entry({ ts: 2000, payload: 'abcd' });
    const early = entry({ ts: 1000, payload: 'abcd' });
    await s.append(APP, late, cap);
    await s.append(APP, early, cap);
    expect(await s.append(APP, entry({ ts: 3000, payload: 'ab' }), cap)).toEqual({ dropped: 1 });
    expect(ids(await s.query(APP, ALL))).not.toContain(early.id);
    const huge = entry({ ts: 4000, payload: 'x'.repeat(20) });
    expect(await s.append(APP, huge, cap)).toEqual({ dropped: 2 });
    expect(ids(await s.query(APP, ALL))).toEqual([huge.id]);
    // and the next one pushes it out again: the count is exact after drops
    const next = entry({ ts: 5000, payload: 'abcd' });
    expect(await s.append(APP, next, cap)).toEqual({ dropped: 1 });
    expect(ids(await s.query(APP, ALL))).toEqual([next.id]);
  });

  it('cap 0 keeps everything', async () => {
    const s = await fresh();
    for (let i = 0; i < 50; i++)
      expect(await s.append(APP, entry({ ts: 1000 + i, payload: 'x'.repeat(100) }), NO_CAP)).toEqual({
        dropped: 0,
      });
    expect(await s.count(APP, { startMs: 0, endMs: 1e15 })).toBe(50);
  });

  it('sweep deletes entries older than `before` in every app (ts == before stays) and frees their bytes', async () => {
    const s = await fresh();
    const cap: HistoryRetentionLimits = { ...NO_CAP, maxBytesPerApp: 12 };
    const [a, b, c] = [1000, 2000, 3000].map((ts) => entry({ ts, payload: 'abcd' }));
    for (const e of [a!, b!, c!]) await s.append(APP, e, cap);
    await s.append(OTHER, entry({ ts: 500 }), cap);
    expect(await s.sweep(2000)).toBe(2);
    expect(ids(await s.query(APP, ALL))).toEqual(ids([b!, c!]));
    expect(await s.query(OTHER, ALL)).toEqual([]);
    expect(await s.sweep(2000)).toBe(0);
    // 8 bytes left after the sweep: one more 4-byte entry fits without a drop
    expect(await s.append(APP, entry({ ts: 4000, payload: 'abcd' }), cap)).toEqual({ dropped: 0 });
    expect(await s.count(APP, { startMs: 0, endMs: 1e15 })).toBe(3);
    expect(await s.sweep(Number.MAX_SAFE_INTEGER)).toBe(3);
    expect(await s.query(APP, ALL)).toEqual([]);
  });
});
