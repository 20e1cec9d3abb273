import {
  historyEntryBytes,
  type HistoryAppendResult,
  type HistoryCountFilter,
  type HistoryEntry,
  type HistoryFilter,
  type HistoryRetentionLimits,
  type MessageHistoryStore,
} from '../../ports/message-history-store.js';
import type { PgPool } from './pool.js';

interface Row {
  id: string;
  src: string;
  dst: string;
  kind: HistoryEntry['kind'];
  message_type: string;
  /** BIGINT: pg answers it as a string */
  ts: string;
  payload: string;
}
/** how many of the oldest entries one step of the cap looks at */
const DROP_STEP = 256;
const COLUMNS = 'id, src, dst, kind, message_type, ts, payload';

/** The WHERE of a filter with its parameters: app and inclusive time range, then source and destination. */
function where(appId: string, f: HistoryCountFilter): { sql: string; values: Array<string | number> } {
  const values: Array<string | number> = [appId, f.startMs, f.endMs];
  let sql = 'app_id = $1 AND ts >= $2 AND ts <= $3';
  if (f.source !== undefined) sql += ` AND src = $${values.push(f.source)}`;
  if (f.destination !== undefined) sql += ` AND dst = $${values.push(f.destination)}`;
  return { sql, values };
}

/** One statement: the row and the app's byte count, committed together (autocommit). */
const APPEND = `
  WITH ins AS (
    INSERT INTO message_history (app_id, ${COLUMNS}, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    RETURNING seq, bytes
  ), usage AS (
    INSERT INTO message_history_usage (app_id, bytes) SELECT $1, bytes FROM ins
    ON CONFLICT (app_id) DO UPDATE SET bytes = message_history_usage.bytes + EXCLUDED.bytes
    RETURNING bytes
  )
  SELECT ins.seq, usage.bytes AS total FROM ins, usage`;

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

/**
 * The message history in PostgreSQL (`--postgres`), shared by every node. Each append is one
 * autocommitted statement (resolves once committed), then, over the cap, trim statements until
 * the app fits.
 */
export class PgMessageHistoryStore implements MessageHistoryStore {
  constructor(private readonly pool: PgPool) {}

  async append(appId: string, e: HistoryEntry, limits: HistoryRetentionLimits): Promise<HistoryAppendResult> {
    const bytes = historyEntryBytes(e);
    const r = await this.pool.query<{ seq: string; total: string }>(APPEND, [
      appId,
      e.id,
      e.src,
      e.dst,
      e.kind,
      e.messageType,
      e.ts,
      e.payload,
      bytes,
    ]);
    const cap = limits.maxBytesPerApp;
    let total = Number(r.rows[0]!.total);
    let dropped = 0;
    while (cap > 0 && total > cap) {
      const t = await this.pool.query<{ total: string; dropped: number }>(TRIM, [appId, r.rows[0]!.seq, cap]);
      const step = t.rows[0]?.dropped ?? 0;
      if (step === 0) break;
      dropped += step;
      total = Number(t.rows[0]!.total);
    }
    return { dropped };
  }

  async query(appId: string, f: HistoryFilter): Promise<HistoryEntry[]> {
    const w = where(appId, f);
    const dir = f.order === 'desc' ? 'DESC' : 'ASC';
    const n = w.values.length;
    const r = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM message_history WHERE ${w.sql} ORDER BY ts ${dir}, seq ${dir} OFFSET $${n + 1} LIMIT $${n + 2}`,
      [...w.values, f.offset, f.limit],
    );
    return r.rows.map((row) => ({
      id: row.id,
      src: row.src,
      dst: row.dst,
      kind: row.kind,
      messageType: row.message_type,
      ts: Number(row.ts),
      payload: row.payload,
    }));
  }

  async count(appId: string, f: HistoryCountFilter): Promise<number> {
    const w = where(appId, f);
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
