import type { Database, Statement } from 'better-sqlite3';
import type {
  OfflineMessage,
  OfflineStore,
  OfflineUsage,
  PriorSend,
  PutOnceResult,
} from '../../../ports/offline-store.js';
import { WindowCounters } from '../window-counters.js';
import type { WriteBatcher } from './write-batcher.js';

interface PutArgs {
  appId: string;
  to: string;
  msg: OfflineMessage;
  max: number;
  /** set by the write: how many older messages it dropped */
  dropped: number;
}
interface PutOnceArgs extends PutArgs {
  key: string;
  /** where the write tells its caller about an earlier send with the same key */
  prior: PriorSend | null;
}
interface KeyRow {
  id: string;
  ts: number;
  acked: number;
}
interface RemoveArgs {
  appId: string;
  uid: string;
  ids: string[];
}
interface Row {
  id: string;
  sender: string;
  ts: number;
  event: Uint8Array;
}

/**
 * The offline inbox in SQLite (table offline_messages, schema v1). Writes go through the shared
 * WriteBatcher: the puts of one tick commit together, and `put` resolves after the commit.
 */
export class SqliteOfflineStore implements OfflineStore {
  private readonly insert: Statement;
  private readonly nthNewest: Statement;
  private readonly dropUpTo: Statement;
  private readonly select: Statement;
  private readonly deleteOne: Statement;
  private readonly purgeOld: Statement;
  private readonly countFor: Statement;
  private readonly usageOf: Statement;
  /** per-sender windows: in memory, as the embedded server is one process (a restart resets them) */
  private readonly senders = new WindowCounters();
  private readonly insertKey: Statement;
  private readonly selectKey: Statement;
  private readonly hasId: Statement;
  private readonly markAcked: Statement;
  private readonly purgeKeysOld: Statement;

  constructor(
    db: Database,
    private readonly writes: WriteBatcher,
  ) {
    this.insert = db.prepare(
      'INSERT INTO offline_messages (app_id, uid, id, sender, ts, event) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.nthNewest = db
      .prepare(
        'SELECT seq FROM offline_messages WHERE app_id = ? AND uid = ? ORDER BY seq DESC LIMIT 1 OFFSET ?',
      )
      .pluck();
    this.dropUpTo = db.prepare('DELETE FROM offline_messages WHERE app_id = ? AND uid = ? AND seq <= ?');
    this.select = db.prepare(
      'SELECT id, sender, ts, event FROM offline_messages WHERE app_id = ? AND uid = ? AND ts >= ? ORDER BY seq',
    );
    this.deleteOne = db.prepare('DELETE FROM offline_messages WHERE app_id = ? AND uid = ? AND id = ?');
    this.purgeOld = db.prepare('DELETE FROM offline_messages WHERE ts < ?');
    this.countFor = db.prepare('SELECT count(*) FROM offline_messages WHERE app_id = ? AND uid = ?').pluck();
    this.usageOf = db.prepare('SELECT messages, bytes FROM offline_usage WHERE app_id = ?');
    this.insertKey = db.prepare(
      'INSERT OR REPLACE INTO peer_send_keys (app_id, uid, sender, send_key, id, ts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.selectKey = db.prepare(
      'SELECT id, ts, acked FROM peer_send_keys WHERE app_id = ? AND uid = ? AND sender = ? AND send_key = ? AND created_at >= ?',
    );
    this.hasId = db
      .prepare('SELECT 1 FROM offline_messages WHERE app_id = ? AND uid = ? AND id = ? LIMIT 1')
      .pluck();
    this.markAcked = db.prepare(
      'UPDATE peer_send_keys SET acked = 1 WHERE app_id = ? AND uid = ? AND id = ?',
    );
    this.purgeKeysOld = db.prepare('DELETE FROM peer_send_keys WHERE created_at < ?');
  }

  put(appId: string, to: string, msg: OfflineMessage, maxPerUser: number): Promise<number> {
    const args: PutArgs = { appId, to, msg, max: maxPerUser, dropped: 0 };
    return this.writes.enqueue(this.doPut, args).then(() => args.dropped);
  }

  private readonly doPut = (a: PutArgs): void => {
    const m = a.msg;
    this.insert.run(a.appId, a.to, m.id, m.from, m.ts, m.event);
    // The (max+1)-th newest and everything older goes: oldest dropped first.
    const seq = this.nthNewest.get(a.appId, a.to, a.max) as number | undefined;
    if (seq !== undefined) a.dropped = this.dropUpTo.run(a.appId, a.to, seq).changes;
  };

  async putOnce(
    appId: string,
    to: string,
    msg: OfflineMessage,
    key: string,
    maxPerUser: number,
    keyTtlMs: number,
  ): Promise<PutOnceResult> {
    const a: PutOnceArgs = { appId, to, msg, max: maxPerUser, dropped: 0, key, prior: null };
    await this.writes.enqueue(this.doPutOnce, { a, ttl: keyTtlMs });
    return { prior: a.prior, dropped: a.dropped };
  }

  /** In the batch's transaction: the key lookup and the inbox write commit (or fail) together. */
  private readonly doPutOnce = ({ a, ttl }: { a: PutOnceArgs; ttl: number }): void => {
    const m = a.msg;
    const now = Date.now();
    const row = this.selectKey.get(a.appId, a.to, m.from, a.key, now - ttl) as KeyRow | undefined;
    if (row) {
      const stored = this.hasId.get(a.appId, a.to, row.id) !== undefined;
      a.prior = { id: row.id, ts: row.ts, stored, acked: row.acked === 1 };
      return;
    }
    // REPLACE: an expired row of the same key may still be there (purged later).
    this.insertKey.run(a.appId, a.to, m.from, a.key, m.id, m.ts, now);
    this.doPut(a);
  };

  async purgeKeys(before: number): Promise<number> {
    this.writes.flush();
    return this.purgeKeysOld.run(before).changes;
  }

  async fetch(appId: string, uid: string, notBefore: number): Promise<OfflineMessage[]> {
    this.writes.flush();
    const rows = this.select.all(appId, uid, notBefore) as Row[];
    return rows.map((r) => ({ id: r.id, from: r.sender, ts: r.ts, event: r.event }));
  }

  remove(appId: string, uid: string, ids: string[]): Promise<void> {
    return this.writes.enqueue(this.doRemove, { appId, uid, ids });
  }

  private readonly doRemove = (a: RemoveArgs): void => {
    for (const id of a.ids) {
      // A keyed message's key row learns that the receiver got it (a retry is answered `received`).
      if (this.deleteOne.run(a.appId, a.uid, id).changes > 0) this.markAcked.run(a.appId, a.uid, id);
    }
  };

  async purge(before: number): Promise<number> {
    this.writes.flush();
    return this.purgeOld.run(before).changes;
  }

  async count(appId: string, uid: string): Promise<number> {
    this.writes.flush();
    return this.countFor.get(appId, uid) as number;
  }

  async usage(appId: string): Promise<OfflineUsage> {
    // Not flushed: committed writes are what a cap compares against (a batch in flight is one tick).
    const row = this.usageOf.get(appId) as OfflineUsage | undefined;
    return { messages: Math.max(0, row?.messages ?? 0), bytes: Math.max(0, row?.bytes ?? 0) };
  }

  async senderCount(appId: string, from: string, windowMs: number, add: boolean): Promise<number> {
    return this.senders.count(`${appId}\u0000${from}`, windowMs, add);
  }
}
