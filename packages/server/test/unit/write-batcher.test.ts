import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WriteBatcher } from '../../src/adapters/embedded/sqlite/write-batcher.js';

describe('WriteBatcher', () => {
  let db: BetterSqlite3.Database;
  let w: WriteBatcher;
  const rows = () => db.prepare('SELECT x FROM t ORDER BY rowid').pluck().all();
  beforeEach(() => {
    db = new BetterSqlite3(':memory:');
    db.exec('CREATE TABLE t (x INTEGER NOT NULL)');
    w = new WriteBatcher(db);
  });
  afterEach(() => db.close());

  const insert = (x: number | null) => db.prepare('INSERT INTO t (x) VALUES (?)').run(x);

  it('commits the writes of one tick together, in call order', async () => {
    const a = w.enqueue(insert, 1);
    const b = w.enqueue(insert, 2);
    expect(a).toBe(b);
    expect(rows()).toEqual([]);
    await a;
    expect(rows()).toEqual([1, 2]);
    await w.enqueue(insert, 3);
    expect(rows()).toEqual([1, 2, 3]);
  });

  it('a failing write rolls back its whole batch and rejects every caller of it', async () => {
    const ok = w.enqueue(insert, 1);
    const bad = w.enqueue(insert, null); // NOT NULL violation
    await expect(ok).rejects.toThrow(/NOT NULL/);
    await expect(bad).rejects.toThrow(/NOT NULL/);
    expect(rows()).toEqual([]);
    // the next batch is independent
    await w.enqueue(insert, 2);
    expect(rows()).toEqual([2]);
  });

  it('flush() commits at once, so a read right after sees the writes', () => {
    void w.enqueue(insert, 7);
    w.flush();
    expect(rows()).toEqual([7]);
  });

  it('refuses writes once closed, after committing what was queued', async () => {
    const last = w.enqueue(insert, 1);
    w.close();
    await last;
    expect(rows()).toEqual([1]);
    await expect(w.enqueue(insert, 2)).rejects.toThrow(/closed/);
  });

  it('with delayMs, writes of several turns share one transaction, committed after the delay; afterBatch runs inside it', async () => {
    vi.useFakeTimers();
    try {
      const batches: number[][] = [];
      const delayed = new WriteBatcher(db, {
        delayMs: 20,
        afterBatch: () => batches.push(rows() as number[]),
      });
      const a = delayed.enqueue(insert, 1);
      await vi.advanceTimersByTimeAsync(5); // other turns pass
      const b = delayed.enqueue(insert, 2);
      expect(b).toBe(a);
      expect(rows()).toEqual([]);
      await vi.advanceTimersByTimeAsync(15);
      await a;
      expect(rows()).toEqual([1, 2]);
      expect(batches).toEqual([[1, 2]]); // afterBatch saw the batch's writes, in its transaction
      // flush() commits early (a read must see every earlier write)
      void delayed.enqueue(insert, 3);
      delayed.flush();
      expect(rows()).toEqual([1, 2, 3]);
      await vi.advanceTimersByTimeAsync(100);
      expect(batches).toEqual([
        [1, 2],
        [1, 2, 3],
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});
