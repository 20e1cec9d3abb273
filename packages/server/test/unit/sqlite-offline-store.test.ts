import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmbeddedStore, DataDirError, DB_FILE } from '../../src/adapters/embedded/index.js';
import { MemoryOfflineStore } from '../../src/adapters/embedded/memory-offline-store.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/adapters/embedded/sqlite/migrations.js';
import { closeDatabase, openDatabase } from '../../src/adapters/embedded/sqlite/database.js';
import type { OfflineMessage, OfflineStore } from '../../src/ports/offline-store.js';
import type { Store } from '../../src/ports/store.js';

const APP = 'app';
const msg = (id: string, ts = Date.now(), from = 'alice'): OfflineMessage => ({
  id,
  from,
  ts,
  event: new Uint8Array([1, 2, 3, id.length]),
});
const ids = (list: OfflineMessage[]) => list.map((m) => m.id);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-sqlite-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// The same contract over the memory store (tests) and the SQLite store (embedded server).
const impls: Array<[string, () => { store: OfflineStore; close: () => Promise<void> }]> = [
  ['memory', () => ({ store: new MemoryOfflineStore(), close: async () => {} })],
  [
    'sqlite',
    () => {
      const s = createEmbeddedStore({ dataDir: dir });
      return { store: s.offline, close: () => s.close() };
    },
  ],
];

describe.each(impls)('OfflineStore contract (%s)', (_name, make) => {
  let t: ReturnType<typeof make>;
  beforeEach(() => {
    t = make();
  });
  afterEach(() => t.close());

  it('putOnce stores a key once: a retry gets the first send, stored until acked, then acked', async () => {
    expect((await t.store.putOnce(APP, 'bob', msg('1', 100), 'k', 10, 60_000)).prior).toBeNull();
    // The same sender and key again (a retry under a new id): nothing stored, the first answered.
    expect((await t.store.putOnce(APP, 'bob', msg('2', 200), 'k', 10, 60_000)).prior).toEqual({
      id: '1',
      ts: 100,
      stored: true,
      acked: false,
    });
    expect(ids(await t.store.fetch(APP, 'bob', 0))).toEqual(['1']);
    // Another sender, receiver or app with the same key is another message.
    expect((await t.store.putOnce(APP, 'bob', msg('3', 300, 'carol'), 'k', 10, 60_000)).prior).toBeNull();
    expect((await t.store.putOnce(APP, 'dave', msg('4', 400), 'k', 10, 60_000)).prior).toBeNull();
    expect((await t.store.putOnce('app2', 'bob', msg('5', 500), 'k', 10, 60_000)).prior).toBeNull();
    await t.store.remove(APP, 'bob', ['1']);
    expect((await t.store.putOnce(APP, 'bob', msg('6', 600), 'k', 10, 60_000)).prior).toEqual({
      id: '1',
      ts: 100,
      stored: false,
      acked: true,
    });
    expect(ids(await t.store.fetch(APP, 'bob', 0))).toEqual(['3']);
  });

  it('putOnce: a message dropped by the cap is neither stored nor acked; keys expire', async () => {
    expect((await t.store.putOnce(APP, 'bob', msg('1', 100), 'a', 1, 60_000)).prior).toBeNull();
    expect((await t.store.putOnce(APP, 'bob', msg('2', 200), 'b', 1, 60_000)).prior).toBeNull();
    expect((await t.store.putOnce(APP, 'bob', msg('3', 300), 'a', 1, 60_000)).prior).toEqual({
      id: '1',
      ts: 100,
      stored: false,
      acked: false,
    });
    // Past the key's lifetime (ttl 0 here) it is a new message; purgeKeys forgets old keys.
    expect((await t.store.putOnce(APP, 'bob', msg('4', 400), 'b', 1, -1)).prior).toBeNull();
    expect(ids(await t.store.fetch(APP, 'bob', 0))).toEqual(['4']);
    expect(await t.store.purgeKeys(Date.now() + 1000)).toBe(2);
    expect((await t.store.putOnce(APP, 'bob', msg('5', 500), 'a', 1, 60_000)).prior).toBeNull();
  });

  it('returns a receiver’s messages oldest first, only theirs', async () => {
    await Promise.all([
      t.store.put(APP, 'bob', msg('1'), 10),
      t.store.put(APP, 'carol', msg('x'), 10),
      t.store.put(APP, 'bob', msg('2'), 10),
    ]);
    await t.store.put('other-app', 'bob', msg('y'), 10);
    expect(ids(await t.store.fetch(APP, 'bob', 0))).toEqual(['1', '2']);
    expect(ids(await t.store.fetch(APP, 'carol', 0))).toEqual(['x']);
    const [m] = await t.store.fetch(APP, 'carol', 0);
    expect(m!.from).toBe('alice');
    expect([...m!.event]).toEqual([1, 2, 3, 1]);
  });

  it('keeps at most maxPerUser per receiver, dropping the oldest', async () => {
    for (let i = 0; i < 7; i++) void t.store.put(APP, 'bob', msg(String(i)), 5);
    await t.store.put(APP, 'carol', msg('c'), 5);
    expect(ids(await t.store.fetch(APP, 'bob', 0))).toEqual(['2', '3', '4', '5', '6']);
    expect(await t.store.count(APP, 'bob')).toBe(5);
    expect(await t.store.count(APP, 'carol')).toBe(1);
  });

  it('removes acknowledged messages by id and ignores unknown ids', async () => {
    for (const id of ['a', 'b', 'c']) void t.store.put(APP, 'bob', msg(id), 10);
    await t.store.remove(APP, 'bob', ['b', 'zz']);
    await t.store.remove(APP, 'carol', ['a']);
    expect(ids(await t.store.fetch(APP, 'bob', 0))).toEqual(['a', 'c']);
  });

  it('filters and purges expired messages', async () => {
    await t.store.put(APP, 'bob', msg('old', 1000), 10);
    await t.store.put(APP, 'bob', msg('new', 5000), 10);
    await t.store.put(APP, 'carol', msg('older', 500), 10);
    expect(ids(await t.store.fetch(APP, 'bob', 2000))).toEqual(['new']);
    expect(await t.store.purge(2000)).toBe(2);
    expect(ids(await t.store.fetch(APP, 'bob', 0))).toEqual(['new']);
    expect(await t.store.count(APP, 'carol')).toBe(0);
  });

  it('put resolves with how many older messages the cap dropped', async () => {
    expect(await t.store.put(APP, 'bob', msg('1'), 2)).toBe(0);
    expect(await t.store.put(APP, 'bob', msg('2'), 2)).toBe(0);
    expect(await t.store.put(APP, 'bob', msg('3'), 2)).toBe(1);
    // A lower cap on a later put drops all that is over it at once.
    void t.store.put(APP, 'bob', msg('4'), 3);
    expect(await t.store.put(APP, 'bob', msg('5'), 1)).toBe(3);
    expect(ids(await t.store.fetch(APP, 'bob', 0))).toEqual(['5']);
  });

  it('usage: messages and event bytes held per app, through put, cap, remove and purge', async () => {
    const big = (id: string, ts = Date.now()) => ({ ...msg(id, ts), event: new Uint8Array(100) });
    expect(await t.store.usage(APP)).toEqual({ messages: 0, bytes: 0 });
    await t.store.put(APP, 'bob', big('1'), 2);
    await t.store.put(APP, 'carol', msg('c', 1000), 2);
    await t.store.put('other-app', 'bob', big('o'), 2);
    expect(await t.store.usage(APP)).toEqual({ messages: 2, bytes: 104 });
    await t.store.put(APP, 'bob', big('2'), 2);
    await t.store.put(APP, 'bob', big('3'), 2); // drops '1'
    expect(await t.store.usage(APP)).toEqual({ messages: 3, bytes: 204 });
    await t.store.remove(APP, 'bob', ['2', 'nope']);
    expect(await t.store.usage(APP)).toEqual({ messages: 2, bytes: 104 });
    expect(await t.store.purge(2000)).toBe(1); // carol's
    expect(await t.store.usage(APP)).toEqual({ messages: 1, bytes: 100 });
    expect(await t.store.usage('other-app')).toEqual({ messages: 1, bytes: 100 });
  });

  it('senderCount: a window starting at the first counted message, per app and sender', async () => {
    expect(await t.store.senderCount(APP, 'alice', 60_000, false)).toBe(0);
    expect(await t.store.senderCount(APP, 'alice', 60_000, true)).toBe(1);
    expect(await t.store.senderCount(APP, 'alice', 60_000, true)).toBe(2);
    expect(await t.store.senderCount(APP, 'alice', 60_000, false)).toBe(2);
    expect(await t.store.senderCount(APP, 'bob', 60_000, false)).toBe(0);
    expect(await t.store.senderCount('other-app', 'alice', 60_000, false)).toBe(0);
    // A window over: counting starts again.
    expect(await t.store.senderCount(APP, 'dave', 1, true)).toBe(1);
    await new Promise((r) => setTimeout(r, 5));
    expect(await t.store.senderCount(APP, 'dave', 1, false)).toBe(0);
    expect(await t.store.senderCount(APP, 'dave', 1, true)).toBe(1);
  });

  it('reads see writes issued before them (read-your-writes)', async () => {
    void t.store.put(APP, 'bob', msg('1'), 10);
    void t.store.remove(APP, 'bob', ['1']);
    void t.store.put(APP, 'bob', msg('2'), 10);
    expect(ids(await t.store.fetch(APP, 'bob', 0))).toEqual(['2']);
  });
});

describe('SQLite embedded store', () => {
  it('keeps committed messages across close and reopen', async () => {
    const a = createEmbeddedStore({ dataDir: dir });
    for (let i = 0; i < 50; i++) void a.offline.put(APP, 'bob', msg(String(i)), 200);
    await a.offline.put(APP, 'bob', msg('last'), 200);
    await a.close();
    const b = createEmbeddedStore({ dataDir: dir });
    const got = await b.offline.fetch(APP, 'bob', 0);
    expect(ids(got)).toEqual([...[...Array(50).keys()].map(String), 'last']);
    await b.close();
  });

  it('commits every put of one tick in one transaction, resolving after the commit', async () => {
    const s = createEmbeddedStore({ dataDir: dir });
    const spy = new BetterSqlite3(join(dir, DB_FILE), { readonly: true });
    const count = () => spy.prepare('SELECT count(*) AS n FROM offline_messages').get() as { n: number };
    const puts = [];
    for (let i = 0; i < 100; i++) puts.push(s.offline.put(APP, `u${i % 3}`, msg(String(i)), 200));
    // Nothing is committed before the tick ends ...
    expect(count().n).toBe(0);
    // ... and all of it is once the first put resolves: one transaction for the batch.
    await puts[0];
    expect(count().n).toBe(100);
    expect(await Promise.all(puts)).toEqual(puts.map(() => 0));
    spy.close();
    await s.close();
  });

  it('counts the messages of a file from before the usage table (migration 3) in the usage', async () => {
    const v2 = MIGRATIONS.filter((m) => m.version <= 2);
    const first = openDatabase(dir, { migrations: v2 });
    first.db
      .prepare('INSERT INTO offline_messages (app_id, uid, id, sender, ts, event) VALUES (?, ?, ?, ?, ?, ?)')
      .run(APP, 'bob', 'm1', 'alice', Date.now(), Buffer.alloc(42));
    closeDatabase(first.db);
    const s = createEmbeddedStore({ dataDir: dir });
    expect(await s.offline.usage(APP)).toEqual({ messages: 1, bytes: 42 });
    await s.close();
  });

  it('uses WAL mode, records the schema version and marks the file as Parley’s', async () => {
    const s = createEmbeddedStore({ dataDir: dir });
    await s.close();
    const db = new BetterSqlite3(join(dir, DB_FILE), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('application_id', { simple: true })).toBe(0x50524c59);
    const rows = db.prepare('SELECT version, name FROM parley_schema ORDER BY version').all();
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    db.close();
  });

  it('applies only the missing migrations to an older file', () => {
    const extra = [
      ...MIGRATIONS,
      { version: SCHEMA_VERSION + 1, name: 'test step', sql: 'CREATE TABLE later_table (x INTEGER)' },
    ];
    const first = openDatabase(dir);
    expect(first.schema).toEqual({ from: 0, to: SCHEMA_VERSION });
    first.db.close();
    const second = openDatabase(dir, { migrations: extra });
    expect(second.schema).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION + 1 });
    expect(second.db.prepare("SELECT name FROM sqlite_master WHERE name = 'later_table'").get()).toEqual({
      name: 'later_table',
    });
    second.db.close();
  });

  it('dataDir null keeps the inbox in memory', async () => {
    const s: Store = createEmbeddedStore({ dataDir: null });
    expect(s.offline).toBeInstanceOf(MemoryOfflineStore);
    await s.close();
  });
});

describe('unusable data dirs stop start-up with DataDirError', () => {
  const open = (d: string) => () => createEmbeddedStore({ dataDir: d });

  it('a data dir under a regular file', () => {
    writeFileSync(join(dir, 'file'), 'x');
    expect(open(join(dir, 'file', 'data'))).toThrow(DataDirError);
    expect(open(join(dir, 'file', 'data'))).toThrow(/cannot create data dir/);
  });

  it('a data dir that is a regular file', () => {
    writeFileSync(join(dir, 'file'), 'x');
    expect(open(join(dir, 'file'))).toThrow(/cannot create data dir|not a directory/);
  });

  it('a corrupt database file, left untouched', () => {
    const garbage = Buffer.alloc(8192, 0x5a);
    writeFileSync(join(dir, DB_FILE), garbage);
    expect(open(dir)).toThrow(/corrupt or not a SQLite database/);
    // never overwritten
    expect(Buffer.compare(readFileSync(join(dir, DB_FILE)), garbage)).toBe(0);
  });

  it('a schema newer than this build (schema table)', async () => {
    await createEmbeddedStore({ dataDir: dir }).close();
    const db = new BetterSqlite3(join(dir, DB_FILE));
    db.prepare('INSERT INTO parley_schema (version, name, applied_at) VALUES (?, ?, ?)').run(
      SCHEMA_VERSION + 5,
      'future',
      Date.now(),
    );
    db.close();
    expect(open(dir)).toThrow(
      new RegExp(`schema version ${SCHEMA_VERSION + 5}, newer than this Parley build`),
    );
  });

  it('a schema newer than this build (user_version)', async () => {
    await createEmbeddedStore({ dataDir: dir }).close();
    const db = new BetterSqlite3(join(dir, DB_FILE));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(open(dir)).toThrow(/newer than this Parley build/);
  });

  it('a SQLite database that is not Parley’s', () => {
    const db = new BetterSqlite3(join(dir, DB_FILE));
    db.exec('CREATE TABLE someone_elses (x INTEGER)');
    db.close();
    expect(open(dir)).toThrow(/does not belong to Parley/);
  });
});
