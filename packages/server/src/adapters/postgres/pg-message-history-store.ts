import {
  historyEntryBytes,
  type HistoryAppendResult,
  type HistoryCountFilter,
  type HistoryEntry,
  type HistoryFilter,
  type HistoryRetentionLimits,
  type MessageHistoryStore,
} from '../../ports/message-history-store.js';
import { HISTORY_COLUMNS, type HistoryRow, historyWhere, rowToEntry } from '../sql-history.js';
import type { PgPool } from './pool.js';

/** how many of the oldest entries one step of the cap looks at */
const DROP_STEP = 256;

/** A batch as the column arrays of APPEND's unnest. */
function columns(batch: Pending[]): unknown[][] {
  const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
  for (const { appId, e } of batch) {
    const row = [appId, e.id, e.src, e.dst, e.kind, e.messageType, e.ts, e.payload, historyEntryBytes(e)];
    for (let i = 0; i < row.length; i++) cols[i]!.push(row[i]);
  }
  return cols;
}

/**
 * One statement: a batch of rows (arrays, in call order: `seq` grows in that order) and their
 * apps' byte counts, committed together (autocommit). Answers, per app, its byte count and the
 * batch's newest row (which the cap never drops).
 */
const APPEND = `
  WITH ins AS (
    INSERT INTO message_history (app_id, ${HISTORY_COLUMNS}, bytes)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::int[])
    RETURNING seq, app_id, bytes
  ), per_app AS (
    SELECT app_id, sum(bytes) AS bytes, max(seq) AS newest FROM ins GROUP BY app_id
  ), usage AS (
    INSERT INTO message_history_usage (app_id, bytes) SELECT app_id, bytes FROM per_app
    ON CONFLICT (app_id) DO UPDATE SET bytes = message_history_usage.bytes + EXCLUDED.bytes
    RETURNING app_id, bytes
  )
  SELECT usage.app_id, usage.bytes AS total, per_app.newest FROM usage JOIN per_app USING (app_id)`;

/**
 * One step of the cap: deletes the app's oldest entries (never `$2`, the one just appended)
 * whose bytes, summed oldest first, are needed to bring it back to `$3`, and takes them off the
 * app's count in the same statement. Two nodes trimming at once pick the same oldest rows; the
 * second finds them gone and subtracts only what it deleted, so the count stays exact.
 */
const TRIM = `
  WITH cur AS (SELECT bytes FROM message_history_usage WHERE app_id = $1),
  oldest AS (
    SELECT seq, bytes, sum(bytes) OVER (ORDER BY ts, seq) AS upto FROM (
      SELECT seq, bytes, ts FROM message_history WHERE app_id = $1 AND seq <> $2 ORDER BY ts, seq LIMIT ${DROP_STEP}
    ) o
  ), del AS (
    DELETE FROM message_history h USING oldest, cur
    WHERE h.seq = oldest.seq AND oldest.upto - oldest.bytes < cur.bytes - $3
    RETURNING h.bytes
  )
  UPDATE message_history_usage SET bytes = bytes - (SELECT coalesce(sum(bytes), 0) FROM del)
  WHERE app_id = $1
  RETURNING bytes AS total, (SELECT count(*) FROM del)::int AS dropped`;

/** The sweep: old rows gone and their bytes off their apps' counts, in one statement. */
const SWEEP = `
  WITH del AS (DELETE FROM message_history WHERE ts < $1 RETURNING app_id, bytes),
  per_app AS (SELECT app_id, sum(bytes) AS bytes, count(*) AS n FROM del GROUP BY app_id),
  upd AS (
    UPDATE message_history_usage u SET bytes = u.bytes - p.bytes FROM per_app p WHERE u.app_id = p.app_id
  )
  SELECT coalesce(sum(n), 0)::int AS n FROM per_app`;

interface Pending {
  appId: string;
  e: HistoryEntry;
  cap: number;
  resolve: (r: HistoryAppendResult) => void;
  reject: (e: unknown) => void;
}

/**
 * The message history in PostgreSQL (`--postgres`), shared by every node. Appends are batched:
 * those of one event-loop turn go out as one statement, one batch at a time, so a node's appends
 * keep their call order (the order of equal timestamps) and a burst costs one commit; each
 * resolves once its batch is committed. Over an app's cap, trim statements follow until it fits.
 */
export class PgMessageHistoryStore implements MessageHistoryStore {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(private readonly pool: PgPool) {}

  append(appId: string, e: HistoryEntry, limits: HistoryRetentionLimits): Promise<HistoryAppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ appId, e, cap: limits.maxBytesPerApp, resolve, reject });
      if (this.queue.length === 1 && !this.flushing) setImmediate(this.flush);
    });
  }

  private readonly flush = async (): Promise<void> => {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue;
    this.queue = [];
    try {
      const r = await this.pool.query<{ app_id: string; total: string; newest: string }>(
        APPEND,
        columns(batch),
      );
      // Each app's last append of the batch: its cap applies, and it is told the app's drops.
      const last = new Map(batch.map((p) => [p.appId, p]));
      const dropped = new Map<string, number>();
      for (const row of r.rows)
        dropped.set(
          row.app_id,
          await this.trim(row.app_id, row.newest, Number(row.total), last.get(row.app_id)!.cap),
        );
      for (const p of batch)
        p.resolve({ dropped: last.get(p.appId) === p ? (dropped.get(p.appId) ?? 0) : 0 });
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) void this.flush();
    }
  };

  /** Trims the app to `cap` (0: no cap), never dropping `newest`; resolves with how many went. */
  private async trim(appId: string, newest: string, total: number, cap: number): Promise<number> {
    let dropped = 0;
    while (cap > 0 && total > cap) {
      const t = await this.pool.query<{ total: string; dropped: number }>(TRIM, [appId, newest, cap]);
      const step = t.rows[0]?.dropped ?? 0;
      if (step === 0) break;
      dropped += step;
      total = Number(t.rows[0]!.total);
    }
    return dropped;
  }

  async query(appId: string, f: HistoryFilter): Promise<HistoryEntry[]> {
    const w = historyWhere(appId, f, (n) => `$${n}`);
    const dir = f.order === 'desc' ? 'DESC' : 'ASC';
    const n = w.values.length;
    const r = await this.pool.query<HistoryRow>(
      `SELECT ${HISTORY_COLUMNS} FROM message_history WHERE ${w.sql} ORDER BY ts ${dir}, seq ${dir} OFFSET $${n + 1} LIMIT $${n + 2}`,
      [...w.values, f.offset, f.limit],
    );
    return r.rows.map(rowToEntry);
  }

  async count(appId: string, f: HistoryCountFilter): Promise<number> {
    const w = historyWhere(appId, f, (n) => `$${n}`);
    const r = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM message_history WHERE ${w.sql}`,
      w.values,
    );
    return r.rows[0]!.n;
  }

  async sweep(before: number): Promise<number> {
    const r = await this.pool.query<{ n: number }>(SWEEP, [before]);
    return r.rows[0]!.n;
  }
}
