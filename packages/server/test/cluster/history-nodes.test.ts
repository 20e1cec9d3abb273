import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgres, PgMessageHistoryStore } from '../../src/adapters/postgres/index.js';
import { RedisKeys } from '../../src/adapters/redis/keys.js';
import { RedisMessageHistoryStore } from '../../src/adapters/redis/redis-message-history-store.js';
import { createLogger } from '../../src/logger.js';
import type { MessageHistoryStore } from '../../src/ports/message-history-store.js';
import { APP_ID, collect, setup, until, WHOLE_HISTORY, WITH_HISTORY } from '../helpers.js';
import { REDIS_URL, redisReachable } from './nodes.js';
import { freshPostgresSchema, postgresTestsRun, type TestSchema } from './postgres.js';

/**
 * Issue 15, cluster mode: a history that every node sees. Two nodes on Redis; the history in
 * Redis (no --postgres) or in PostgreSQL (--postgres). Sender and receivers on different nodes:
 * each message is recorded once, by the sender's node, and read back from the shared storage.
 */

const log = createLogger('silent', 'json');
const postgresUp = await postgresTestsRun();
const redisRuns = (await redisReachable()) || process.env.PARLEY_REQUIRE_REDIS === '1';

describe.each([
  ['Redis', false],
  ['PostgreSQL (--postgres)', true],
] as const)('message history on two nodes, in %s', (_name, withPostgres) => {
  const open: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of open.splice(0).reverse()) await c();
  });

  it.runIf(redisRuns && (!withPostgres || postgresUp))(
    'peer and channel messages across nodes are recorded once and read from the shared storage',
    async () => {
      let schema: TestSchema | null = null;
      if (withPostgres) {
        schema = await freshPostgresSchema();
        open.push(() => schema!.drop());
      }
      const t = await setup({ cluster: 2, rateLimits: false, ...(schema ? { postgres: schema.url } : {}) });
      open.push(() => t.cleanup());
      const alice = await t.login('alice'); // node 1
      const bob = await t.login('bob'); // node 2
      const got = collect(bob, 'MessageFromPeer');
      expect(await alice.sendMessageToPeer({ text: 'to bob' }, 'bob', WITH_HISTORY)).toEqual({
        hasPeerReceived: true,
      });
      const [a, b] = [alice.createChannel('room'), bob.createChannel('room')];
      await a.join();
      await b.join();
      const inRoom = collect(b, 'ChannelMessage');
      await a.sendMessage({ text: 'to room' }, WITH_HISTORY);
      await b.sendMessage({ text: 'from bob' }, WITH_HISTORY);
      await until(() => got.length === 1 && inRoom.length === 1);

      let store: MessageHistoryStore;
      if (schema) {
        const pg = await openPostgres(schema.url, log);
        open.push(() => pg.close());
        store = new PgMessageHistoryStore(pg.pool);
      } else {
        const redis = new Redis(REDIS_URL);
        open.push(async () => redis.disconnect());
        store = new RedisMessageHistoryStore(redis, new RedisKeys(t.prefix!));
      }
      const list = await store.query(APP_ID, WHOLE_HISTORY);
      expect(list.map((e) => [e.src, e.dst, e.messageType, e.payload])).toEqual([
        ['alice', 'bob', 'peer_message', 'to bob'],
        ['alice', 'room', 'channel_message', 'to room'],
        ['bob', 'room', 'channel_message', 'from bob'],
      ]);
      expect(list[0]!.id.startsWith('n1.')).toBe(true);
      expect(list[2]!.id.startsWith('n2.')).toBe(true);
    },
  );
});
