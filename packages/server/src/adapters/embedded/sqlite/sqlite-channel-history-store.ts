import type { WireMessage } from '@parley/protocol';
import type { Database, Statement } from 'better-sqlite3';
import type {
  ChannelHistoryEntry,
  ChannelHistoryStore,
  HistoryCursor,
  HistoryRetention,
} from '../../../ports/channel-history-store.js';
import type { WriteBatcher } from './write-batcher.js';

interface AppendArgs {
  appId: string;
  channelId: string;
  e: ChannelHistoryEntry;
  keep: HistoryRetention;
}
interface Row {
  id: string;
  sender: string;
  ts: number;
  type: 'TEXT' | 'RAW';
  text: string | null;
  raw: Uint8Array | null;
  description: string | null;
}

/**
 * Channel history in SQLite (table channel_history, schema v2). Appends of one tick commit in one
 * transaction through the shared WriteBatcher; each trims its channel to `maxMessages`, and
 * entries older than `maxAgeMs` are swept from all channels at most once per `maxAgeMs`.
 */
export class SqliteChannelHistoryStore implements ChannelHistoryStore {
  private readonly insert: Statement;
  private readonly nthNewest: Statement;
  private readonly dropUpTo: Statement;
  private readonly sweepOld: Statement;
  private readonly seqOf: Statement;
  private readonly afterSeq: Statement;
  private readonly fromTs: Statement;
  private lastSweep = Date.now();

  constructor(
    db: Database,
    private readonly writes: WriteBatcher,
  ) {
    this.insert = db.prepare(
      'INSERT INTO channel_history (app_id, channel_id, id, sender, ts, type, text, raw, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.nthNewest = db
      .prepare(
        'SELECT seq FROM channel_history WHERE app_id = ? AND channel_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?',
      )
      .pluck();
    this.dropUpTo = db.prepare(
      'DELETE FROM channel_history WHERE app_id = ? AND channel_id = ? AND seq <= ?',
    );
    this.sweepOld = db.prepare('DELETE FROM channel_history WHERE ts < ?');
    this.seqOf = db
      .prepare('SELECT seq FROM channel_history WHERE app_id = ? AND channel_id = ? AND id = ?')
      .pluck();
    const cols = 'SELECT id, sender, ts, type, text, raw, description FROM channel_history';
    this.afterSeq = db.prepare(
      `${cols} WHERE app_id = ? AND channel_id = ? AND seq > ? AND ts >= ? ORDER BY seq`,
    );
    this.fromTs = db.prepare(`${cols} WHERE app_id = ? AND channel_id = ? AND ts >= ? ORDER BY seq`);
  }

  append(
    appId: string,
    channelId: string,
    entry: ChannelHistoryEntry,
    keep: HistoryRetention,
  ): Promise<void> {
    if (keep.maxMessages <= 0) return Promise.resolve();
    return this.writes.enqueue(this.doAppend, { appId, channelId, e: entry, keep });
  }

  private readonly doAppend = (a: AppendArgs): void => {
    const { e, keep } = a;
    const m = e.msg;
    const raw = m.type === 'RAW' ? (m.raw ?? new Uint8Array(0)) : null;
    this.insert.run(
      a.appId,
      a.channelId,
      e.id,
      e.from,
      e.ts,
      m.type,
      m.type === 'TEXT' ? (m.text ?? '') : null,
      raw,
      m.type === 'RAW' ? (m.description ?? '') : null,
    );
    const seq = this.nthNewest.get(a.appId, a.channelId, keep.maxMessages) as number | undefined;
    if (seq !== undefined) this.dropUpTo.run(a.appId, a.channelId, seq);
    const now = Date.now();
    if (now - this.lastSweep >= keep.maxAgeMs) {
      this.lastSweep = now;
      this.sweepOld.run(now - keep.maxAgeMs);
    }
  };

  async since(
    appId: string,
    channelId: string,
    after: HistoryCursor,
    keep: HistoryRetention,
  ): Promise<ChannelHistoryEntry[]> {
    this.writes.flush();
    const oldest = Date.now() - keep.maxAgeMs;
    const seq =
      after.id === null ? undefined : (this.seqOf.get(appId, channelId, after.id) as number | undefined);
    const rows = (
      seq !== undefined
        ? this.afterSeq.all(appId, channelId, seq, oldest)
        : this.fromTs.all(appId, channelId, Math.max(after.ts, oldest))
    ) as Row[];
    return rows.map(toEntry);
  }
}

function toEntry(r: Row): ChannelHistoryEntry {
  const msg: WireMessage =
    r.type === 'RAW'
      ? { type: 'RAW', raw: new Uint8Array(r.raw ?? new Uint8Array(0)), description: r.description ?? '' }
      : { type: 'TEXT', text: r.text ?? '' };
  return { id: r.id, ts: r.ts, from: r.sender, msg };
}
