import fc from 'fast-check';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryChannelAttrsStore } from '../../src/adapters/embedded/memory-channel-attrs-store.js';
import { MemoryChannelHistoryStore } from '../../src/adapters/embedded/memory-channel-history-store.js';
import { MemoryChannelStore } from '../../src/adapters/embedded/memory-channel-store.js';
import { MemoryEventQueueStore } from '../../src/adapters/embedded/memory-event-queue-store.js';
import { MemoryInvitationStore } from '../../src/adapters/embedded/memory-invitation-store.js';
import { MemoryOfflineStore } from '../../src/adapters/embedded/memory-offline-store.js';
import { MemoryPresenceStore } from '../../src/adapters/embedded/memory-presence-store.js';
import { MemorySessionStore } from '../../src/adapters/embedded/memory-session-store.js';
import { MemoryUserAttrsStore } from '../../src/adapters/embedded/memory-user-attrs-store.js';
import type { RedisClient } from '../../src/adapters/redis/connection.js';
import { RedisKeys } from '../../src/adapters/redis/keys.js';
import { RedisChannelAttrsStore } from '../../src/adapters/redis/redis-channel-attrs-store.js';
import { RedisChannelHistoryStore } from '../../src/adapters/redis/redis-channel-history-store.js';
import { RedisChannelStore } from '../../src/adapters/redis/redis-channel-store.js';
import { RedisEventQueueStore } from '../../src/adapters/redis/redis-event-queue-store.js';
import { RedisInvitationStore } from '../../src/adapters/redis/redis-invitation-store.js';
import { RedisOfflineStore } from '../../src/adapters/redis/redis-offline-store.js';
import { RedisPresenceStore } from '../../src/adapters/redis/redis-presence-store.js';
import { RedisSessionStore } from '../../src/adapters/redis/redis-session-store.js';
import { RedisUserAttrsStore } from '../../src/adapters/redis/redis-user-attrs-store.js';
import type { InvitationPhase, InvitationRecord } from '../../src/ports/invitation-store.js';
import type { Store } from '../../src/ports/store.js';
import {
  ON_REDIS_CLUSTER,
  REDIS_URL,
  cleanPrefix,
  redisClusterSeeds,
  seedNodes,
  redisReachable,
  skipWithoutRedis,
  uniquePrefix,
  warnSkipped,
} from './nodes.js';

/**
 * Contract of the Redis Store parts, checked against the memory parts: random sequences of
 * operations run on both, and every answer must be the same (orders that the port leaves open are
 * compared sorted). Ids include `:`, `{`, `}` and spaces to exercise key building.
 */

const APPS = ['0123456789abcdef0123456789abcdef', 'ABCDEFabcdef0123456789abcdef0123'];
const USERS = ['alice', 'bob', 'x:y}{ z', '12'];
const SESSIONS = ['s1', 's2'];
const nodeOf = (sid: string) => (sid === 's1' ? 'n1' : 'n2');
const RUNS = Number(process.env.STORE_RUNS ?? 25);

const app = fc.constantFrom(...APPS);
const user = fc.constantFrom(...USERS);
const sid = fc.constantFrom(...SESSIONS);
/** the object without its undefined properties (a caller never sets a patch field to undefined) */
const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
const some = <T>(xs: T[]) => fc.array(fc.constantFrom(...xs), { maxLength: 4 });

/** a single Redis, or the Redis Cluster in project 'redis-cluster' (every multi-key step in one slot) */
let redis: RedisClient;
/** every run gets its own prefix under one root, deleted at the end */
const root = uniquePrefix();
let runs = 0;
const keysFor = () => new RedisKeys(`${root}:${++runs}`);

const reachable = await redisReachable();
if (!reachable && process.env.PARLEY_REQUIRE_REDIS !== '1') warnSkipped();

describe.runIf(reachable || process.env.PARLEY_REQUIRE_REDIS === '1')(
  'Redis Store parts behave like the memory ones',
  () => {
    beforeAll(async () => {
      if (!reachable) skipWithoutRedis();
      redis = ON_REDIS_CLUSTER
        ? new Cluster(seedNodes(redisClusterSeeds()), { enableAutoPipelining: true })
        : new Redis(REDIS_URL, { enableAutoPipelining: true });
    });
    afterAll(async () => {
      if (!redis) return;
      await cleanPrefix(root);
      redis.disconnect();
    });

    /** Runs `ops` on a memory and a Redis store and expects equal answers, op by op. */
    async function same<S, O>(
      ops: O[],
      mem: S,
      red: S,
      run: (s: S, op: O) => Promise<unknown>,
    ): Promise<void> {
      for (const op of ops) {
        const a = await run(mem, op);
        const b = await run(red, op);
        expect(b, JSON.stringify(op)).toEqual(a);
      }
    }

    it('SessionStore', async () => {
      const op = fc.record({
        k: fc.constantFrom('claim', 'lookup', 'many', 'state', 'release', 'replaced', 'wasReplaced'),
        app,
        u: user,
        s: sid,
        on: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
          const keys = keysFor();
          await same(
            ops,
            new MemorySessionStore() as Store['sessions'],
            new RedisSessionStore(redis, keys, 'n1'),
            async (st, o) => {
              switch (o.k) {
                case 'claim':
                  return st.claim(o.app, o.u, {
                    nodeId: nodeOf(o.s),
                    sessionId: o.s,
                    state: o.on ? 'ONLINE' : 'UNREACHABLE',
                  });
                case 'lookup':
                  return st.lookup(o.app, o.u);
                case 'many':
                  return st.lookupMany(o.app, USERS);
                case 'state':
                  return st.setState(o.app, o.u, o.s, o.on ? 'ONLINE' : 'UNREACHABLE');
                case 'replaced':
                  return st.markReplaced(o.app, o.u, o.s, 60_000);
                case 'wasReplaced':
                  return st.wasReplaced(o.app, o.u, o.s);
                default:
                  return st.release(o.app, o.u, o.s);
              }
            },
          );
        }),
        { numRuns: RUNS },
      );
    });

    it('PresenceStore', async () => {
      const op = fc.record({
        k: fc.constantFrom('sub', 'unsub', 'watchers', 'targets', 'drop'),
        app,
        u: user,
        s: sid,
        targets: some(USERS),
        max: fc.integer({ min: 0, max: 4 }),
      });
      const sortW = (ws: { uid: string; sessionId: string }[]) =>
        [...ws].sort((a, b) => (a.uid + a.sessionId).localeCompare(b.uid + b.sessionId));
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
          await same(
            ops,
            new MemoryPresenceStore() as Store['presence'],
            new RedisPresenceStore(redis, keysFor()),
            async (st, o) => {
              switch (o.k) {
                case 'sub':
                  return st.subscribe(
                    o.app,
                    { uid: o.u, sessionId: o.s, nodeId: nodeOf(o.s) },
                    o.targets,
                    o.max,
                  );
                case 'unsub':
                  return st.unsubscribe(o.app, o.u, o.s, o.targets);
                case 'watchers':
                  return sortW(await st.watchersOf(o.app, o.u));
                case 'targets':
                  return (await st.targetsOf(o.app, o.u, o.s)).sort();
                default:
                  return st.dropWatcher(o.app, o.u, o.s);
              }
            },
          );
        }),
        { numRuns: RUNS },
      );
    });

    it('UserAttrsStore', async () => {
      const KEYS = ['k1', 'k2', '1', '0'];
      const op = fc.record({
        k: fc.constantFrom('get', 'getKeys', 'put', 'drop'),
        app,
        u: user,
        s: sid,
        keys: some(KEYS),
        vals: fc.array(fc.tuple(fc.constantFrom(...KEYS), fc.string({ maxLength: 4 })), { maxLength: 4 }),
      });
      const norm = (r: { sessionId: string; attrs: Map<string, string> } | null) =>
        r && { sessionId: r.sessionId, attrs: [...r.attrs] };
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
          await same(
            ops,
            new MemoryUserAttrsStore() as Store['userAttrs'],
            new RedisUserAttrsStore(redis, keysFor()),
            async (st, o) => {
              switch (o.k) {
                case 'get':
                  return norm(await st.get(o.app, o.u));
                case 'getKeys':
                  return norm(await st.get(o.app, o.u, o.keys));
                case 'put':
                  return st.put(o.app, o.u, o.s, new Map(o.vals));
                default:
                  return st.drop(o.app, o.u, o.s);
              }
            },
          );
        }),
        { numRuns: RUNS },
      );
    });

    it('ChannelStore', async () => {
      const CH = ['c1', 'c:2}'];
      const op = fc.record({
        k: fc.constantFrom('join', 'join', 'leave', 'of', 'members', 'counts'),
        app,
        c: fc.constantFrom(...CH),
        u: user,
        s: sid,
      });
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
          await same(
            ops,
            new MemoryChannelStore() as Store['channels'],
            new RedisChannelStore(redis, keysFor()),
            async (st, o) => {
              switch (o.k) {
                case 'join':
                  return st.join(o.app, o.c, { uid: o.u, sessionId: o.s, nodeId: nodeOf(o.s) });
                case 'leave':
                  return st.leave(o.app, o.c, o.u, o.s);
                case 'of':
                  return (await st.channelsOf(o.app, o.u, o.s)).sort();
                case 'members':
                  return (await st.members(o.app, o.c)).sort();
                default:
                  return st.counts(o.app, CH);
              }
            },
          );
        }),
        { numRuns: RUNS },
      );
    });

    it('ChannelAttrsStore', async () => {
      const KEYS = ['k1', 'k2', '7', 'é'];
      const now = Date.now();
      const attr = fc.record({
        key: fc.constantFrom(...KEYS),
        value: fc.string({ maxLength: 6 }),
        lastUpdateUserId: user,
        lastUpdateTs: fc.integer({ min: 0, max: 2e12 }),
      });
      const op = fc.record({
        k: fc.constantFrom(
          'replace',
          'upsert',
          'upsert',
          'remove',
          'get',
          'byKeys',
          'drop',
          'cancel',
          'empty',
        ),
        app,
        c: fc.constantFrom('c1', 'c2'),
        attrs: fc.array(attr, { maxLength: 3 }),
        keys: some(KEYS),
        at: fc.constantFrom(now - 1000, now + 3_600_000, now + 7_200_000),
      });
      const limits = { maxPairs: 3, maxTotalBytes: 16 };
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
          await same(
            ops,
            new MemoryChannelAttrsStore() as Store['channelAttrs'],
            new RedisChannelAttrsStore(redis, keysFor()),
            async (st, o) => {
              switch (o.k) {
                case 'replace':
                  return st.replace(o.app, o.c, o.attrs);
                case 'upsert':
                  return st.upsert(o.app, o.c, o.attrs, limits);
                case 'remove':
                  return st.remove(o.app, o.c, o.keys);
                case 'get':
                  return st.get(o.app, o.c);
                case 'byKeys':
                  return st.getByKeys(o.app, o.c, o.keys);
                case 'drop':
                  return st.scheduleDrop(o.app, o.c, o.at);
                case 'empty':
                  return st.emptyBytes(o.app);
                default:
                  return st.cancelDrop(o.app, o.c);
              }
            },
          );
        }),
        { numRuns: RUNS },
      );
    });

    it('ChannelHistoryStore', async () => {
      const op = fc.record({
        k: fc.constantFrom('append', 'append', 'since'),
        app,
        c: fc.constantFrom('c1', 'c2'),
        from: user,
        text: fc.string({ maxLength: 5 }),
        raw: fc.boolean(),
        after: fc.integer({ min: 0, max: 12 }),
      });
      const keep = { maxMessages: 3, maxAgeMs: 60_000 };
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
          const t0 = Date.now();
          // ids and timestamps depend on the op index only, so both stores see the same entries
          const withIds = ops.map((o, i) => ({ ...o, id: `m${i}`, ts: t0 + i }));
          await same(
            withIds,
            new MemoryChannelHistoryStore() as Store['history'],
            new RedisChannelHistoryStore(redis, keysFor()),
            async (st, o) => {
              if (o.k === 'append') {
                const msg = o.raw
                  ? { type: 'RAW' as const, raw: new Uint8Array([1, 2, o.ts & 255]), description: o.text }
                  : { type: 'TEXT' as const, text: o.text };
                return st.append(o.app, o.c, { id: o.id, ts: o.ts, from: o.from, msg }, keep);
              }
              const list = await st.since(o.app, o.c, { id: `m${o.after}`, ts: t0 + o.after }, keep);
              return list.map((e) => ({
                ...e,
                msg: { ...e.msg, raw: e.msg.raw ? [...e.msg.raw] : undefined },
              }));
            },
          );
        }),
        { numRuns: RUNS },
      );
    });

    it('InvitationStore', async () => {
      const PH: InvitationPhase[] = ['SENT', 'RECEIVED', 'ACCEPTING'];
      const op = fc.record({
        k: fc.constantFrom('create', 'create', 'get', 'advance', 'finish', 'list'),
        app,
        n: fc.integer({ min: 0, max: 5 }),
        caller: user,
        callee: user,
        phases: fc.subarray(PH, { minLength: 1 }),
        byCallee: fc.option(user, { nil: undefined }),
        bySession: fc.option(sid, { nil: undefined }),
        phase: fc.option(fc.constantFrom(...PH), { nil: undefined }),
        calleeSid: fc.option(fc.option(sid, { nil: null }), { nil: undefined }),
        response: fc.option(fc.string({ maxLength: 4 }), { nil: undefined }),
        deadline: fc.option(fc.integer({ min: 0, max: 1e13 }), { nil: undefined }),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
          const t0 = Date.now();
          const withIdx = ops.map((o, i) => ({ ...o, i }));
          await same(
            withIdx,
            new MemoryInvitationStore() as Store['invitations'],
            new RedisInvitationStore(redis, keysFor()),
            async (st, o) => {
              const id = `inv${o.n}`;
              switch (o.k) {
                case 'create': {
                  const rec: InvitationRecord = {
                    id: `inv${o.i}`,
                    appId: o.app,
                    caller: o.caller,
                    callerSessionId: 's1',
                    callee: o.callee,
                    calleeSessionId: null,
                    ownerNode: 'n1',
                    content: `c${o.i}`,
                    channelId: '',
                    phase: 'SENT',
                    response: '',
                    createdAt: t0 + o.i,
                    deadline: t0 + 60_000,
                    keepUntil: t0 + 3_600_000,
                  };
                  return st.create(rec);
                }
                case 'get':
                  return st.get(o.app, id);
                case 'advance':
                  return st.advance(
                    o.app,
                    id,
                    { phases: o.phases, callee: o.byCallee, callerSessionId: o.bySession },
                    defined({
                      phase: o.phase,
                      calleeSessionId: o.calleeSid,
                      response: o.response,
                      deadline: o.deadline,
                      keepUntil: o.deadline === undefined ? undefined : t0 + 7_200_000,
                    }),
                  );
                case 'finish':
                  return st.finish(o.app, id, { phases: o.phases, caller: o.byCallee });
                default:
                  return st.listForUser(o.app, o.caller);
              }
            },
          );
        }),
        { numRuns: RUNS },
      );
    });

    it('OfflineStore', async () => {
      const op = fc.record({
        k: fc.constantFrom(
          'put',
          'put',
          'putOnce',
          'putOnce',
          'fetch',
          'remove',
          'count',
          'purge',
          'usage',
          'sent',
        ),
        app,
        u: user,
        f: fc.constantFrom('bob', 'carol'),
        key: fc.constantFrom('k1', 'k2', 'k}:3'),
        ts: fc.integer({ min: 1000, max: 1006 }),
        ids: fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 3 }),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
          const withIdx = ops.map((o, i) => ({ ...o, i }));
          await same(
            withIdx,
            new MemoryOfflineStore() as Store['offline'],
            new RedisOfflineStore(redis, keysFor()),
            async (st, o) => {
              switch (o.k) {
                case 'put':
                  return st.put(
                    o.app,
                    o.u,
                    {
                      id: `m${o.i}`,
                      from: 'bob',
                      ts: o.ts,
                      event: new Uint8Array([o.i, 0, 255, ...Array(o.i % 4).fill(7)]),
                    },
                    3,
                  );
                case 'usage':
                  return st.usage(o.app);
                case 'sent':
                  return st.senderCount(o.app, o.u, 60_000, o.ids.length > 0);
                case 'putOnce':
                  return st.putOnce(
                    o.app,
                    o.u,
                    { id: `m${o.i}`, from: o.f, ts: o.ts, event: new Uint8Array([o.i, 1]) },
                    o.key,
                    3,
                    60_000,
                  );
                case 'fetch':
                  return (await st.fetch(o.app, o.u, o.ts)).map((m) => ({ ...m, event: [...m.event] }));
                case 'remove':
                  return st.remove(
                    o.app,
                    o.u,
                    o.ids.map((x) => `m${x}`),
                  );
                case 'count':
                  return st.count(o.app, o.u);
                default:
                  return st.purge(o.ts);
              }
            },
          );
        }),
        { numRuns: RUNS },
      );
    });

    it('EventQueueStore', async () => {
      const op = fc.record({
        k: fc.constantFrom('push', 'push', 'push', 'take'),
        app,
        kind: fc.constantFrom('user' as const, 'channel' as const),
        subject: user,
        uid: fc.option(user, { nil: undefined }),
        n: fc.integer({ min: 0, max: 4 }),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
          const withIdx = ops.map((o, i) => ({ ...o, i }));
          await same(
            withIdx,
            new MemoryEventQueueStore() as Store['events'],
            new RedisEventQueueStore(redis, keysFor()),
            async (st, o) => {
              if (o.k === 'take') return st.take(o.app, o.kind, o.n);
              const ev =
                o.uid === undefined
                  ? { type: 'Login', subject: o.subject, ts: 1000 + o.i }
                  : { type: 'Join', subject: o.subject, uid: o.uid, ts: 1000 + o.i };
              return st.push(o.app, o.kind, ev, 3);
            },
          );
        }),
        { numRuns: RUNS },
      );
    });

    it('EventQueueStore: concurrent takes never share an event', async () => {
      const st = new RedisEventQueueStore(redis, keysFor());
      for (let i = 0; i < 50; i++)
        await st.push(APPS[0]!, 'user', { type: 'Login', subject: `u${i}`, ts: i }, 2000);
      const reads = await Promise.all(Array.from({ length: 8 }, () => st.take(APPS[0]!, 'user', 10)));
      const all = reads.flat().map((e) => e.subject);
      expect(all.length).toBe(50);
      expect(new Set(all).size).toBe(50);
    });
  },
);
