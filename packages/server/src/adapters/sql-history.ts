import type { HistoryCountFilter, HistoryEntry } from '../ports/message-history-store.js';

/**
 * What the SQL message history stores (SQLite's and PostgreSQL's `message_history`, the same
 * columns) share: the columns an entry is read from, a row as read, and the WHERE of a filter.
 */
export const HISTORY_COLUMNS = 'id, src, dst, kind, message_type, ts, payload';

export interface HistoryRow {
  id: string;
  src: string;
  dst: string;
  kind: HistoryEntry['kind'];
  message_type: string;
  /** PostgreSQL answers a BIGINT as a string */
  ts: number | string;
  payload: string;
}

export const rowToEntry = (r: HistoryRow): HistoryEntry => ({
  id: r.id,
  src: r.src,
  dst: r.dst,
  kind: r.kind,
  messageType: r.message_type,
  ts: Number(r.ts),
  payload: r.payload,
});

/**
 * The WHERE of a filter with its values: the app and the inclusive time range, then source and
 * destination when given. `param(n)` writes the n-th placeholder (`?` or `$n`).
 */
export function historyWhere(
  appId: string,
  f: HistoryCountFilter,
  param: (n: number) => string,
): { sql: string; values: Array<string | number> } {
  const values: Array<string | number> = [appId, f.startMs, f.endMs];
  let sql = `app_id = ${param(1)} AND ts >= ${param(2)} AND ts <= ${param(3)}`;
  if (f.source !== undefined) sql += ` AND src = ${param(values.push(f.source))}`;
  if (f.destination !== undefined) sql += ` AND dst = ${param(values.push(f.destination))}`;
  return { sql, values };
}
