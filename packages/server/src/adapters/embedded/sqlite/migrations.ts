import type { Database } from 'better-sqlite3';
import { DataDirError } from './data-dir-error.js';

/** One step of the schema. Applied once, in a transaction, in version order; never edited after release. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The schema, as the list of steps that build it. To change it, append a step with the next
 * version (never edit a released one): a server opening an older file applies the missing steps;
 * a server finding a newer version than it knows refuses to start.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'offline inbox',
    sql: `
      CREATE TABLE offline_messages (
        seq INTEGER PRIMARY KEY,
        app_id TEXT NOT NULL,
        uid TEXT NOT NULL,
        id TEXT NOT NULL,
        sender TEXT NOT NULL,
        ts INTEGER NOT NULL,
        event BLOB NOT NULL
      );
      CREATE INDEX offline_by_user ON offline_messages (app_id, uid, seq);
      CREATE INDEX offline_by_id ON offline_messages (app_id, uid, id);
      CREATE INDEX offline_by_ts ON offline_messages (ts);
    `,
  },
  {
    version: 2,
    name: 'channel history',
    sql: `
      CREATE TABLE channel_history (
        seq INTEGER PRIMARY KEY,
        app_id TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        id TEXT NOT NULL,
        sender TEXT NOT NULL,
        ts INTEGER NOT NULL,
        type TEXT NOT NULL,
        text TEXT,
        raw BLOB,
        description TEXT
      );
      CREATE INDEX history_by_channel ON channel_history (app_id, channel_id, seq);
      CREATE INDEX history_by_ts ON channel_history (ts);
    `,
  },
  {
    version: 3,
    name: 'offline usage per app',
    // Kept by triggers, so every write path (put, cap, ack, purge) counts without a change of its own.
    sql: `
      CREATE TABLE offline_usage (
        app_id TEXT PRIMARY KEY,
        messages INTEGER NOT NULL,
        bytes INTEGER NOT NULL
      );
      INSERT INTO offline_usage (app_id, messages, bytes)
        SELECT app_id, count(*), sum(length(event)) FROM offline_messages GROUP BY app_id;
      CREATE TRIGGER offline_usage_insert AFTER INSERT ON offline_messages BEGIN
        INSERT INTO offline_usage (app_id, messages, bytes) VALUES (NEW.app_id, 1, length(NEW.event))
          ON CONFLICT (app_id) DO UPDATE SET messages = messages + 1, bytes = bytes + length(NEW.event);
      END;
      CREATE TRIGGER offline_usage_delete AFTER DELETE ON offline_messages BEGIN
        UPDATE offline_usage SET messages = messages - 1, bytes = bytes - length(OLD.event)
          WHERE app_id = OLD.app_id;
      END;
    `,
  },
  {
    version: 4,
    name: 'idempotency keys of offline peer messages',
    // One row per keyed offline send, written in the inbox write's transaction; `acked` is set in
    // the transaction that removes the inbox copy on the receiver's ack.
    sql: `
      CREATE TABLE peer_send_keys (
        app_id TEXT NOT NULL,
        uid TEXT NOT NULL,
        sender TEXT NOT NULL,
        send_key TEXT NOT NULL,
        id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        acked INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (app_id, uid, sender, send_key)
      ) WITHOUT ROWID;
      CREATE INDEX send_keys_by_id ON peer_send_keys (app_id, uid, id);
      CREATE INDEX send_keys_by_age ON peer_send_keys (created_at);
    `,
  },
  {
    version: 5,
    name: 'idempotency keys in the channel history',
    // Replayed with the message, so a member drops a re-send it got live under the same key.
    sql: 'ALTER TABLE channel_history ADD COLUMN send_key TEXT;',
  },
  {
    version: 6,
    name: 'message history',
    // Messages sent with enableHistoricalMessaging, for Agora's history query (docs/history.md).
    // One table, indexed for the query (app and time, optionally source or destination); `seq`
    // orders equal timestamps by append. The app's payload bytes are kept beside it for the cap.
    sql: `
      CREATE TABLE message_history (
        seq INTEGER PRIMARY KEY,
        app_id TEXT NOT NULL,
        id TEXT NOT NULL,
        src TEXT NOT NULL,
        dst TEXT NOT NULL,
        kind TEXT NOT NULL,
        message_type TEXT NOT NULL,
        ts INTEGER NOT NULL,
        payload TEXT NOT NULL,
        bytes INTEGER NOT NULL
      );
      CREATE INDEX message_history_by_time ON message_history (app_id, ts, seq);
      CREATE INDEX message_history_by_src ON message_history (app_id, src, ts, seq);
      CREATE INDEX message_history_by_dst ON message_history (app_id, dst, ts, seq);
      CREATE INDEX message_history_by_age ON message_history (ts);
      CREATE TABLE message_history_usage (app_id TEXT PRIMARY KEY, bytes INTEGER NOT NULL);
    `,
  },
  {
    version: 7,
    name: 'media',
    // Uploaded images and files: the bytes are files under <data dir>/media, named by id; a row
    // exists only for a file that is complete on disk. History rows of IMAGE / FILE messages keep
    // their media metadata (msgpack) in `media`.
    sql: `
      CREATE TABLE media (
        app_id TEXT NOT NULL,
        id TEXT NOT NULL,
        size INTEGER NOT NULL,
        uploader TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (app_id, id)
      ) WITHOUT ROWID;
      CREATE INDEX media_by_expiry ON media (expires_at);
      ALTER TABLE channel_history ADD COLUMN media BLOB;
    `,
  },
];

/** Marks the file as Parley's (PRAGMA application_id): 'PRLY'. */
export const APPLICATION_ID = 0x50524c59;

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings the database to the latest schema. Refuses (DataDirError) a file written by a newer
 * Parley, or a SQLite file that belongs to something else: never touch data we do not understand.
 * Resolves with the version found and the version now in force.
 */
export function migrate(
  db: Database,
  file: string,
  migrations: readonly Migration[] = MIGRATIONS,
): { from: number; to: number } {
  const latest = migrations[migrations.length - 1]!.version;
  const appId = db.pragma('application_id', { simple: true }) as number;
  const userVersion = db.pragma('user_version', { simple: true }) as number;
  const hasSchemaTable =
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'parley_schema'").get() !==
    undefined;
  const tableCount = (
    db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }
  ).n;
  if ((appId !== 0 && appId !== APPLICATION_ID) || (!hasSchemaTable && tableCount > 0))
    throw new DataDirError(
      `${file} is a SQLite database that does not belong to Parley; refusing to touch it. Point --data-dir at another directory.`,
    );

  let current = userVersion;
  if (hasSchemaTable) {
    const row = db.prepare('SELECT max(version) AS v FROM parley_schema').get() as { v: number | null };
    current = Math.max(current, row.v ?? 0);
  }
  if (current > latest)
    throw new DataDirError(
      `${file} has schema version ${current}, newer than this Parley build understands (${latest}). ` +
        'It was written by a newer Parley: run that version, or restore a backup made for this one. Nothing was changed.',
    );

  if (!hasSchemaTable)
    db.exec(
      'CREATE TABLE parley_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
  if (appId === 0) db.pragma(`application_id = ${APPLICATION_ID}`);
  const record = db.prepare('INSERT INTO parley_schema (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return { from: current, to: Math.max(current, latest) };
}
