import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmbeddedStore } from '../../src/adapters/embedded/index.js';
import { MemoryChannelHistoryStore } from '../../src/adapters/embedded/memory-channel-history-store.js';
import type {
  ChannelHistoryEntry,
  ChannelHistoryStore,
  HistoryRetention,
} from '../../src/ports/channel-history-store.js';

const APP = 'app';
const KEEP: HistoryRetention = { maxMessages: 5, maxAgeMs: 60_000 };
const text = (id: string, ts = Date.now(), from = 'alice'): ChannelHistoryEntry => ({
  id,
  ts,
  from,
  msg: { type: 'TEXT', text: `t${id}` },
});
const ids = (l: ChannelHistoryEntry[]) => l.map((e) => e.id);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-history-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const impls: Array<[string, () => { store: ChannelHistoryStore; close: () => Promise<void> }]> = [
  ['memory', () => ({ store: new MemoryChannelHistoryStore(), close: async () => {} })],
  [
    'sqlite',
    () => {
      const s = createEmbeddedStore({ dataDir: dir });
      return { store: s.history, close: () => s.close() };
    },
  ],
];

describe.each(impls)('ChannelHistoryStore contract (%s)', (_name, make) => {
  let t: ReturnType<typeof make>;
  beforeEach(() => {
    t = make();
  });
  afterEach(() => t.close());

  it('returns what follows a cursor id, oldest first, per channel', async () => {
    for (const id of ['1', '2', '3']) void t.store.append(APP, 'room', text(id), KEEP);
    await t.store.append(APP, 'other', text('x'), KEEP);
    expect(ids(await t.store.since(APP, 'room', { id: '1', ts: 0 }, KEEP))).toEqual(['2', '3']);
    expect(ids(await t.store.since(APP, 'room', { id: '3', ts: 0 }, KEEP))).toEqual([]);
    expect(ids(await t.store.since(APP, 'other', { id: null, ts: 0 }, KEEP))).toEqual(['x']);
  });

  it('keeps image and file messages with their media (schema v7)', async () => {
    const image: ChannelHistoryEntry = {
      id: 'i',
      ts: Date.now(),
      from: 'alice',
      msg: {
        type: 'IMAGE',
        description: 'd',
        media: {
          id: 'AAAAAAAAAAAAAAAAAAAAAA',
          size: 9,
          fileName: 'a.png',
          thumbnail: new Uint8Array([1, 2]),
          width: 3,
        },
      },
    };
    const file: ChannelHistoryEntry = {
      id: 'f',
      ts: Date.now(),
      from: 'bob',
      msg: { type: 'FILE', description: '', media: { id: 'BBBBBBBBBBBBBBBBBBBBBB', size: 0, fileName: '' } },
    };
    await t.store.append(APP, 'media', image, KEEP);
    await t.store.append(APP, 'media', file, KEEP);
    expect(await t.store.since(APP, 'media', { id: null, ts: 0 }, KEEP)).toEqual([image, file]);
  });

  it('falls back to the timestamp when the cursor entry is gone', async () => {
    const now = Date.now();
    for (let i = 0; i < 8; i++) void t.store.append(APP, 'room', text(String(i), now - 8 + i), KEEP);
    // only the newest 5 are kept: 3..7
    expect(ids(await t.store.since(APP, 'room', { id: null, ts: 0 }, KEEP))).toEqual([
      '3',
      '4',
      '5',
      '6',
      '7',
    ]);
    expect(ids(await t.store.since(APP, 'room', { id: '1', ts: now - 3 }, KEEP))).toEqual(['5', '6', '7']);
  });

  it('never returns entries older than maxAgeMs', async () => {
    const now = Date.now();
    await t.store.append(APP, 'room', text('old', now - 120_000), KEEP);
    await t.store.append(APP, 'room', text('new', now), KEEP);
    expect(ids(await t.store.since(APP, 'room', { id: null, ts: 0 }, KEEP))).toEqual(['new']);
  });

  it('keeps text and raw messages intact', async () => {
    const raw: ChannelHistoryEntry = {
      id: 'r',
      ts: Date.now(),
      from: 'bob',
      msg: { type: 'RAW', raw: new Uint8Array([0, 9, 255]), description: 'd' },
    };
    await t.store.append(APP, 'room', text('t'), KEEP);
    await t.store.append(APP, 'room', raw, KEEP);
    const got = await t.store.since(APP, 'room', { id: null, ts: 0 }, KEEP);
    expect(got[0]).toEqual(text('t', got[0]!.ts));
    expect(got[1]!.from).toBe('bob');
    expect(got[1]!.msg.type).toBe('RAW');
    expect([...(got[1]!.msg.raw as Uint8Array)]).toEqual([0, 9, 255]);
    expect(got[1]!.msg.description).toBe('d');
  });

  it('keeps nothing when maxMessages is 0', async () => {
    await t.store.append(APP, 'room', text('1'), { ...KEEP, maxMessages: 0 });
    expect(await t.store.since(APP, 'room', { id: null, ts: 0 }, KEEP)).toEqual([]);
  });
});

describe('SQLite channel history', () => {
  it('survives a restart', async () => {
    const a = createEmbeddedStore({ dataDir: dir });
    for (const id of ['1', '2']) void a.history.append(APP, 'room', text(id), KEEP);
    await a.history.append(APP, 'room', text('3'), KEEP);
    await a.close();
    const b = createEmbeddedStore({ dataDir: dir });
    expect(ids(await b.history.since(APP, 'room', { id: '1', ts: 0 }, KEEP))).toEqual(['2', '3']);
    await b.close();
  });
});
