import type { MessageType, WireMedia, WireMessage } from '@parley/protocol';
import type { Database, Statement } from 'better-sqlite3';
import { Packr } from 'msgpackr';
import type {
  ChannelHistoryEntry,
  ChannelHistoryStore,
  HistoryCursor,
  HistoryRetention,
} from '../../../ports/channel-history-store.js';
import { WriteBatcher } from './write-batcher.js';

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
  type: MessageType;
  text: string | null;
  raw: Uint8Array | null;
  description: string | null;
  send_key: string | null;
  media: Uint8Array | null;
}

/** The media of IMAGE / FILE rows (column `media`, schema v6). */
const packr = new Packr({ useRecords: false });

/** Appends commit this long after the first of a batch, ms (a crash loses at most that much). */
export const HISTORY_COMMIT_DELAY_MS = 20;

/**
 * Channel history in SQLite (table channel_history, schema v2). History only fills a rejoining
 * member's gap and no sender waits for it, so appends are batched over `HISTORY_COMMIT_DELAY_MS`
 * (its own WriteBatcher, not the offline inbox's, whose senders wait for each commit): a busy
 * channel costs one transaction per batch, not per message. Each batch then trims every channel
 * it touched to `maxMessages` once, and entries older than `maxAgeMs` are swept from all channels
 * at most once per `maxAgeMs`. Reads commit what is pending first.
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
  private readonly writes: WriteBatcher;
  /** channels appended to in the pending batch → their retention */
  private readonly touched = new Map<string, { appId: string; channelId: string; keep: HistoryRetention }>();

  constructor(db: Database) {
    this.writes = new WriteBatcher(db, { delayMs: HISTORY_COMMIT_DELAY_MS, afterBatch: this.trim });
    this.insert = db.prepare(
      'INSERT INTO channel_history (app_id, channel_id, id, sender, ts, type, text, raw, description, send_key, media) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
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
    const cols = 'SELECT id, sender, ts, type, text, raw, description, send_key, media FROM channel_history';
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
    const { e } = a;
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
      m.type === 'TEXT' ? null : (m.description ?? ''),
      e.key ?? null,
      m.media ? packr.pack(m.media) : null,
    );
    this.touched.set(`${a.appId}\u0000${a.channelId}`, a);
  };

  /** End of a batch (same transaction): each channel it touched keeps its newest `maxMessages`. */
  private readonly trim = (): void => {
    let maxAgeMs = Number.POSITIVE_INFINITY;
    for (const { appId, channelId, keep } of this.touched.values()) {
      const seq = this.nthNewest.get(appId, channelId, keep.maxMessages) as number | undefined;
      if (seq !== undefined) this.dropUpTo.run(appId, channelId, seq);
      maxAgeMs = Math.min(maxAgeMs, keep.maxAgeMs);
    }
    this.touched.clear();
    const now = Date.now();
    if (now - this.lastSweep >= maxAgeMs) {
      this.lastSweep = now;
      this.sweepOld.run(now - maxAgeMs);
    }
  };

  /** Commits what is pending and refuses further appends (storage close). */
  close(): void {
    this.writes.close();
  }

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
      : r.media !== null
        ? { type: r.type, description: r.description ?? '', media: unpackMedia(r.media) }
        : { type: 'TEXT', text: r.text ?? '' };
  const e: ChannelHistoryEntry = { id: r.id, ts: r.ts, from: r.sender, msg };
  if (r.send_key !== null) e.key = r.send_key;
  return e;
}

function unpackMedia(b: Uint8Array): WireMedia {
  const m = packr.unpack(b) as WireMedia;
  if (m.thumbnail) m.thumbnail = new Uint8Array(m.thumbnail);
  return m;
}
