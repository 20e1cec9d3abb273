import type { Database, Statement } from 'better-sqlite3';
import type { OfflineMessage, OfflineStore } from '../../../ports/offline-store.js';
import type { WriteBatcher } from './write-batcher.js';

interface PutArgs {
  appId: string;
  to: string;
  msg: OfflineMessage;
  max: number;
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
  }

  put(appId: string, to: string, msg: OfflineMessage, maxPerUser: number): Promise<void> {
    return this.writes.enqueue(this.doPut, { appId, to, msg, max: maxPerUser });
  }

  private readonly doPut = (a: PutArgs): void => {
    const m = a.msg;
    this.insert.run(a.appId, a.to, m.id, m.from, m.ts, m.event);
    // The (max+1)-th newest and everything older goes: oldest dropped first.
    const seq = this.nthNewest.get(a.appId, a.to, a.max) as number | undefined;
    if (seq !== undefined) this.dropUpTo.run(a.appId, a.to, seq);
  };

  async fetch(appId: string, uid: string, notBefore: number): Promise<OfflineMessage[]> {
    this.writes.flush();
    const rows = this.select.all(appId, uid, notBefore) as Row[];
    return rows.map((r) => ({ id: r.id, from: r.sender, ts: r.ts, event: r.event }));
  }

  remove(appId: string, uid: string, ids: string[]): Promise<void> {
    return this.writes.enqueue(this.doRemove, { appId, uid, ids });
  }

  private readonly doRemove = (a: RemoveArgs): void => {
    for (const id of a.ids) this.deleteOne.run(a.appId, a.uid, id);
  };

  async purge(before: number): Promise<number> {
    this.writes.flush();
    return this.purgeOld.run(before).changes;
  }

  async count(appId: string, uid: string): Promise<number> {
    this.writes.flush();
    return this.countFor.get(appId, uid) as number;
  }
}
