import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmbeddedStore, DataDirError, DB_FILE } from '../../src/adapters/embedded/index.js';
import { MemoryOfflineStore } from '../../src/adapters/embedded/memory-offline-store.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/adapters/embedded/sqlite/migrations.js';
import { openDatabase } from '../../src/adapters/embedded/sqlite/database.js';
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
    expect(await t.store.putOnce(APP, 'bob', msg('1', 100), 'k', 10, 60_000)).toBeNull();
    // The same sender and key again (a retry under a new id): nothing stored, the first answered.
    expect(await t.store.putOnce(APP, 'bob', msg('2', 200), 'k', 10, 60_000)).toEqual({
      id: '1',
      ts: 100,
      stored: true,
      acked: false,
    });
    expect(ids(await t.store.fetch(APP, 'bob', 0))).toEqual(['1']);
    // Another sender, receiver or app with the same key is another message.
    expect(await t.store.putOnce(APP, 'bob', msg('3', 300, 'carol'), 'k', 10, 60_000)).toBeNull();
    expect(await t.store.putOnce(APP, 'dave', msg('4', 400), 'k', 10, 60_000)).toBeNull();
    expect(await t.store.putOnce('app2', 'bob', msg('5', 500), 'k', 10, 60_000)).toBeNull();
    await t.store.remove(APP, 'bob', ['1']);
    expect(await t.store.putOnce(APP, 'bob', msg('6', 600), 'k', 10, 60_000)).toEqual({
      id: '1',
      ts: 100,
      stored: false,
      acked: true,
    });
    expect(ids(await t.store.fetch(APP, 'bob', 0))).toEqual(['3']);
  });

  it('putOnce: a message dropped by the cap is neither stored nor acked; keys expire', async () => {
    expect(await t.store.putOnce(APP, 'bob', msg('1', 100), 'a', 1, 60_000)).toBeNull();
    expect(await t.store.putOnce(APP, 'bob', msg('2', 200), 'b', 1, 60_000)).toBeNull();
    expect(await t.store.putOnce(APP, 'bob', msg('3', 300), 'a', 1, 60_000)).toEqual({
      id: '1',
      ts: 100,
      stored: false,
      acked: false,
    });
    // Past the key's lifetime (ttl 0 here) it is a new message; purgeKeys forgets old keys.
    expect(await t.store.putOnce(APP, 'bob', msg('4', 400), 'b', 1, -1)).toBeNull();
    expect(ids(await t.store.fetch(APP, 'bob', 0))).toEqual(['4']);
    expect(await t.store.purgeKeys(Date.now() + 1000)).toBe(2);
    expect(await t.store.putOnce(APP, 'bob', msg('5', 500), 'a', 1, 60_000)).toBeNull();
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
    // ... and all of it is once the puts resolve, with one shared promise per batch.
    expect(new Set(puts).size).toBe(1);
    await puts[0];
    expect(count().n).toBe(100);
    spy.close();
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
