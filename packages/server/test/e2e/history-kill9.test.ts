import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AgoraRTM, { type RtmClient } from '@parley/sdk';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbeddedStore } from '../../src/adapters/embedded/index.js';
import { openPostgres, PgMessageHistoryStore } from '../../src/adapters/postgres/index.js';
import { RedisKeys } from '../../src/adapters/redis/keys.js';
import { RedisMessageHistoryStore } from '../../src/adapters/redis/redis-message-history-store.js';
import { createLogger } from '../../src/logger.js';
import type { HistoryEntry, MessageHistoryStore } from '../../src/ports/message-history-store.js';
import { REDIS_URL, cleanPrefix, redisReachable, uniquePrefix, warnSkipped } from '../cluster/nodes.js';
import { freshPostgresSchema, postgresTestsRun } from '../cluster/postgres.js';
import { APP_ID, WHOLE_HISTORY, WITH_HISTORY } from '../helpers.js';
import { spawnServer, type ServerProcess } from '../server-process.js';

/**
 * Issue 15: `kill -9` loses no history entry whose send was answered. A real `parley serve`
 * process (needs `npm run build`) takes sends with enableHistoricalMessaging, is killed with
 * SIGKILL right after the last answer, and its storage is opened again: SQLite on the same data
 * dir (embedded), PostgreSQL (--postgres, embedded and cluster mode), Redis (cluster mode).
 */

const log = createLogger('silent', 'json');

const postgresUp = await postgresTestsRun();
const redisUp = await redisReachable();
if (!redisUp && process.env.PARLEY_REQUIRE_REDIS !== '1') warnSkipped();
const redisRuns = redisUp || process.env.PARLEY_REQUIRE_REDIS === '1';

/** Where one variant's history lives: the flags of the server, and how to read it after the kill. */
interface Storage {
  args: string[];
  reopen(): Promise<{ store: MessageHistoryStore; close(): Promise<void> }>;
  cleanup(): Promise<void>;
}

const variants: Array<[string, boolean, () => Promise<Storage>]> = [
  [
    'embedded, SQLite on the same data dir',
    true,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'parley-hist-kill9-'));
      return {
        args: ['--data-dir', dir],
        async reopen() {
          const s = createEmbeddedStore({ dataDir: dir });
          return { store: s.messageHistory, close: () => s.close() };
        },
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
  ...(['embedded', 'cluster'] as const).map((mode): [string, boolean, () => Promise<Storage>] => [
    `${mode}, --postgres`,
    postgresUp && (mode === 'embedded' || redisRuns),
    async () => {
      const schema = await freshPostgresSchema();
      const prefix = uniquePrefix();
      const dir = mkdtempSync(join(tmpdir(), 'parley-hist-kill9-'));
      return {
        args: [
          '--postgres',
          schema.url,
          ...(mode === 'cluster' ? ['--redis', REDIS_URL, '--redis-prefix', prefix] : ['--data-dir', dir]),
        ],
        async reopen() {
          const pg = await openPostgres(schema.url, log);
          return { store: new PgMessageHistoryStore(pg.pool), close: () => pg.close() };
        },
        async cleanup() {
          await schema.drop();
          if (mode === 'cluster') await cleanPrefix(prefix);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ]),
  [
    'cluster, Redis (no --postgres)',
    redisRuns,
    async () => {
      const prefix = uniquePrefix();
      return {
        args: ['--redis', REDIS_URL, '--redis-prefix', prefix],
        async reopen() {
          const redis = new Redis(REDIS_URL);
          return {
            store: new RedisMessageHistoryStore(redis, new RedisKeys(prefix)),
            close: async () => void redis.disconnect(),
          };
        },
        cleanup: () => cleanPrefix(prefix),
      };
    },
  ],
];

describe.each(variants.filter(([, run]) => run))('history across kill -9 (%s)', (_name, _run, make) => {
  let server: ServerProcess | null = null;
  let storage: Storage | null = null;
  const clients: RtmClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.release();
    if (server && server.proc.exitCode === null && server.proc.signalCode === null) await server.kill9();
    server = null;
    await storage?.cleanup();
    storage = null;
  });

  it('every send answered before the kill is in the history after it and a restart, once, in order', async () => {
    storage = await make();
    server = await spawnServer(['--port', '0', '--rate-limits', 'off', ...storage.args]);
    const login = async (uid: string) => {
      const c = AgoraRTM.createInstance(APP_ID, { serverUrl: server!.wsUrl });
      clients.push(c);
      await c.login({ uid });
      return c;
    };
    const [alice, bob] = [await login('alice'), await login('bob')];
    const [a, b] = [alice.createChannel('room'), bob.createChannel('room')];
    await a.join();
    await b.join();
    // Concurrent sends share commits; every one is answered before the kill.
    const sends: Array<Promise<unknown>> = [];
    for (let i = 0; i < 50; i++) {
      sends.push(alice.sendMessageToPeer({ text: `p${i}` }, 'bob', WITH_HISTORY));
      sends.push(a.sendMessage({ text: `c${i}` }, WITH_HISTORY));
    }
    sends.push(
      alice.sendMessageToPeer({ text: 'offline' }, 'carol', {
        ...WITH_HISTORY,
        enableOfflineMessaging: true,
      }),
    );
    sends.push(alice.sendMessageToPeer({ rawMessage: new Uint8Array([7, 8]) }, 'bob', WITH_HISTORY));
    await Promise.all(sends);
    await server.kill9();
    expect(server.proc.signalCode).toBe('SIGKILL');
    // A restart on the same storage (its start-up sweep included) keeps them; then a clean stop.
    server = await spawnServer(['--port', '0', ...storage.args]);
    expect(await server.stop()).toBe(0);

    const r = await storage.reopen();
    try {
      const got: HistoryEntry[] = await r.store.query(APP_ID, WHOLE_HISTORY);
      const of = (dst: string) => got.filter((e) => e.dst === dst).map((e) => e.payload);
      expect(of('bob')).toEqual([...Array.from({ length: 50 }, (_, i) => `p${i}`), 'Bwg=']);
      expect(of('room')).toEqual(Array.from({ length: 50 }, (_, i) => `c${i}`));
      expect(of('carol')).toEqual(['offline']);
      expect(got).toHaveLength(102);
      expect(new Set(got.map((e) => e.id)).size).toBe(102);
    } finally {
      await r.close();
    }
  });
});
