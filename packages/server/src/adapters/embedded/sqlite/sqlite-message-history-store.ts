import type { Database, Statement } from 'better-sqlite3';
import {
  historyEntryBytes,
  type HistoryAppendResult,
  type HistoryCountFilter,
  type HistoryEntry,
  type HistoryFilter,
  type HistoryRetentionLimits,
  type MessageHistoryStore,
} from '../../../ports/message-history-store.js';
import { HISTORY_COLUMNS, type HistoryRow, historyWhere, rowToEntry } from '../../sql-history.js';
import type { WriteBatcher } from './write-batcher.js';

interface AppendArgs {
  appId: string;
  e: HistoryEntry;
  cap: number;
  /** set by the write: how many older entries it dropped */
  dropped: number;
}
/** how many of the oldest entries one step of the cap looks at */
const DROP_STEP = 64;

/**
 * The message history in SQLite (table message_history, schema v6). Appends go through the
 * shared WriteBatcher: `append` resolves after the commit, so an entry answered is on disk. The
 * cap runs in the append's transaction, against the app's byte count (message_history_usage).
 */
export class SqliteMessageHistoryStore implements MessageHistoryStore {
  private readonly insert: Statement;
  private readonly addUsage: Statement;
  private readonly oldest: Statement;
  private readonly deleteSeq: Statement;
  private readonly deleteOld: Statement;
  private readonly oldBytes: Statement;
  /** prepared queries by shape (which filters, which order): at most 8 of each */
  private readonly queries = new Map<string, Statement>();

  constructor(
    private readonly db: Database,
    private readonly writes: WriteBatcher,
  ) {
    this.insert = db.prepare(
      `INSERT INTO message_history (app_id, ${HISTORY_COLUMNS}, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.addUsage = db
      .prepare(
        `INSERT INTO message_history_usage (app_id, bytes) VALUES (?, ?)
           ON CONFLICT (app_id) DO UPDATE SET bytes = bytes + excluded.bytes RETURNING bytes`,
      )
      .pluck();
    this.oldest = db.prepare(
      `SELECT seq, bytes FROM message_history WHERE app_id = ? AND seq <> ? ORDER BY ts, seq LIMIT ${DROP_STEP}`,
    );
    this.deleteSeq = db.prepare('DELETE FROM message_history WHERE seq = ?');
    this.deleteOld = db.prepare('DELETE FROM message_history WHERE ts < ?');
    this.oldBytes = db.prepare(
      'SELECT app_id, sum(bytes) AS bytes FROM message_history WHERE ts < ? GROUP BY app_id',
    );
  }

  append(appId: string, e: HistoryEntry, limits: HistoryRetentionLimits): Promise<HistoryAppendResult> {
    const a: AppendArgs = { appId, e, cap: limits.maxBytesPerApp, dropped: 0 };
    return this.writes.enqueue(this.doAppend, a).then(() => ({ dropped: a.dropped }));
  }

  /** In the batch's transaction: the insert, the byte count and the cap commit (or fail) together. */
  private readonly doAppend = (a: AppendArgs): void => {
    const e = a.e;
    const bytes = historyEntryBytes(e);
    const seq = this.insert.run(
      a.appId,
      e.id,
      e.src,
      e.dst,
      e.kind,
      e.messageType,
      e.ts,
      e.payload,
      bytes,
    ).lastInsertRowid;
    let total = this.addUsage.get(a.appId, bytes) as number;
    if (a.cap <= 0 || total <= a.cap) return;
    let freed = 0;
    while (total > a.cap) {
      const olds = this.oldest.all(a.appId, seq) as Array<{ seq: number; bytes: number }>;
      if (olds.length === 0) break;
      for (const o of olds) {
        if (total <= a.cap) break;
        this.deleteSeq.run(o.seq);
        total -= o.bytes;
        freed += o.bytes;
        a.dropped++;
      }
    }
    this.addUsage.get(a.appId, -freed);
  };

  async query(appId: string, f: HistoryFilter): Promise<HistoryEntry[]> {
    this.writes.flush();
    const dir = f.order === 'desc' ? 'DESC' : 'ASC';
    const w = historyWhere(appId, f, () => '?');
    const shape = `${f.source !== undefined}${f.destination !== undefined}${dir}`;
    let st = this.queries.get(shape);
    if (!st)
      this.queries.set(
        shape,
        (st = this.db.prepare(
          `SELECT ${HISTORY_COLUMNS} FROM message_history WHERE ${w.sql} ORDER BY ts ${dir}, seq ${dir} LIMIT ? OFFSET ?`,
        )),
      );
    const rows = st.all(...w.values, f.limit, f.offset) as HistoryRow[];
    return rows.map(rowToEntry);
  }

  async count(appId: string, f: HistoryCountFilter): Promise<number> {
    this.writes.flush();
    const w = historyWhere(appId, f, () => '?');
    const shape = `count${f.source !== undefined}${f.destination !== undefined}`;
    let st = this.queries.get(shape);
    if (!st)
      this.queries.set(
        shape,
        (st = this.db.prepare(`SELECT count(*) FROM message_history WHERE ${w.sql}`).pluck()),
      );
    return st.get(...w.values) as number;
  }

  async sweep(before: number): Promise<number> {
    this.writes.flush();
    // The apps' byte counts lose what goes, in the same transaction.
    return this.db.transaction(() => {
      for (const r of this.oldBytes.all(before) as Array<{ app_id: string; bytes: number }>)
        this.addUsage.get(r.app_id, -r.bytes);
      return this.deleteOld.run(before).changes;
    })();
  }
}
