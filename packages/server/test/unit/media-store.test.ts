import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEmbeddedStore } from '../../src/adapters/embedded/index.js';
import { MemoryMediaStore } from '../../src/adapters/media/memory-media-store.js';
import { migratePostgres, PostgresMediaStore } from '../../src/adapters/postgres/index.js';
import type { MediaStore, MediaUpload } from '../../src/ports/media-store.js';
import { freshPostgresSchema, postgresReachable, type TestSchema } from '../cluster/postgres.js';

const APP = 'app';
let seq = 0;
const upload = (bytes: Uint8Array, over: Partial<MediaUpload> = {}): MediaUpload => ({
  appId: APP,
  id: `id${String(++seq).padStart(20, '0')}`,
  uploader: 'alice',
  size: bytes.byteLength,
  body: (async function* () {
    yield bytes;
  })(),
  ttlMs: 60_000,
  maxFileBytes: 1000,
  appMaxBytes: 0,
  ...over,
});
const read = async (s: MediaStore, appId: string, id: string) => {
  const f = await s.open(appId, id, Date.now());
  if (!f) return null;
  const chunks: Buffer[] = [];
  for await (const c of f.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};
/** A body that fails after its first bytes, as a client that goes away mid-upload. */
async function* cutShort(): AsyncIterable<Uint8Array> {
  yield new Uint8Array(10);
  throw new Error('client gone');
}

let dir: string;
let schema: TestSchema | null = null;
const pools: pg.Pool[] = [];
beforeAll(async () => {
  if (await postgresReachable()) schema = await freshPostgresSchema();
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await schema?.drop();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-media-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

type Made = { store: MediaStore; close: () => Promise<void> };
const impls: Array<[string, () => Promise<Made>]> = [
  ['memory', async () => ({ store: new MemoryMediaStore(), close: async () => {} })],
  [
    'files + sqlite',
    async () => {
      const s = createEmbeddedStore({ dataDir: dir });
      return { store: s.media, close: () => s.close() };
    },
  ],
  [
    'postgres',
    async () => {
      if (!schema) throw new Error('PostgreSQL unreachable');
      const pool = new pg.Pool({ connectionString: schema.url, max: 2 });
      pools.push(pool);
      await migratePostgres(pool);
      return { store: new PostgresMediaStore(pool), close: async () => {} };
    },
  ],
];

describe.each(impls)('MediaStore contract (%s)', (name, make) => {
  let m: Made;
  beforeEach(async (ctx) => {
    if (name === 'postgres' && !schema) ctx.skip();
    m = await make();
  });
  afterEach(() => m?.close());

  it('stores exactly the bytes and reads them back for that app only', async () => {
    const bytes = Uint8Array.from({ length: 700 }, (_, i) => i & 255);
    const u = upload(bytes);
    const r = await m.store.put(u);
    expect(r).toMatchObject({ appId: APP, id: u.id, size: 700, uploader: 'alice' });
    expect(await read(m.store, APP, u.id)).toEqual(Buffer.from(bytes));
    expect(await read(m.store, 'other', u.id)).toBeNull();
    expect(await read(m.store, APP, 'unknown')).toBeNull();
  });

  it('refuses too large, a body of another length, and past the app cap; keeps nothing of them', async () => {
    expect(await m.store.put(upload(new Uint8Array(1001)))).toEqual({ refused: 'too_large' });
    const longer = upload(new Uint8Array(20), { size: 10 });
    expect(await m.store.put(longer)).toEqual({ refused: 'size_mismatch' });
    expect(await read(m.store, APP, longer.id)).toBeNull();
    const shorter = upload(new Uint8Array(5), { size: 10 });
    expect(await m.store.put(shorter)).toEqual({ refused: 'size_mismatch' });
    const capped = { appId: `capped-${seq}`, appMaxBytes: 1000 };
    expect(await m.store.put(upload(new Uint8Array(600), capped))).toMatchObject({ size: 600 });
    expect(await m.store.put(upload(new Uint8Array(600), capped))).toEqual({ refused: 'app_full' });
    expect(await m.store.put(upload(new Uint8Array(600), { ...capped, appId: `b-${seq}` }))).toMatchObject({
      size: 600,
    });
    if (name === 'files + sqlite')
      expect(readdirSync(join(dir, 'media')).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('rejects when the body fails and leaves nothing', async () => {
    const u = upload(new Uint8Array(0), { size: 100, body: cutShort() });
    await expect(m.store.put(u)).rejects.toThrow('client gone');
    expect(await read(m.store, APP, u.id)).toBeNull();
    // Its reservation is gone too: the whole cap is free again.
    const again = upload(new Uint8Array(1000), { appMaxBytes: 1000, appId: `c-${seq}` });
    expect(await m.store.put(again)).toMatchObject({ size: 1000 });
  });

  it('expires: not readable from expiresAt on, and swept', async () => {
    const u = upload(new Uint8Array(10), { ttlMs: 1000 });
    const r = await m.store.put(u);
    if ('refused' in r) throw new Error('refused');
    expect(await m.store.open(APP, u.id, r.expiresAt - 1)).not.toBeNull();
    expect(await m.store.open(APP, u.id, r.expiresAt)).toBeNull();
    expect(await m.store.sweep(r.expiresAt)).toBeGreaterThanOrEqual(1);
    expect(await read(m.store, APP, u.id)).toBeNull();
    if (name === 'files + sqlite') expect(readdirSync(join(dir, 'media'))).not.toContain(u.id);
  });
});
