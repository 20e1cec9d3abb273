import { createReadStream, createWriteStream, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Database, Statement } from 'better-sqlite3';
import type { MediaRecord, MediaRefusal, MediaStore, MediaUpload } from '../../../ports/media-store.js';
import { exactLength, MediaReservations, newRecord, refusalOf } from '../../media/media-intake.js';

/** The media folder inside the data dir. */
export const MEDIA_DIR = 'media';
const TEMP_PREFIX = '.part-';

interface Row {
  app_id: string;
  id: string;
  size: number;
  uploader: string;
  created_at: number;
  expires_at: number;
}

/**
 * Media of the embedded server: each file under `<data dir>/media/<id>`, its metadata in SQLite
 * (table media, schema v6). An upload streams into a temp file, which is fsynced, renamed to its
 * name and the directory fsynced; only then is its row committed. A reader finds a file through
 * its row, so it never sees a half-written one; a kill -9 at any point leaves either a complete
 * file with its row or a file without one, which the next start removes (`removeOrphans`).
 */
export class FileMediaStore implements MediaStore {
  readonly available = true;
  private readonly dir: string;
  private readonly reservations = new MediaReservations();
  private readonly insert: Statement;
  private readonly byId: Statement;
  private readonly held: Statement;
  private readonly expired: Statement;
  private readonly remove: Statement;

  constructor(
    private readonly db: Database,
    dataDir: string,
  ) {
    this.dir = join(dataDir, MEDIA_DIR);
    mkdirSync(this.dir, { recursive: true });
    this.insert = db.prepare(
      'INSERT INTO media (app_id, id, size, uploader, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.byId = db.prepare('SELECT * FROM media WHERE app_id = ? AND id = ? AND expires_at > ?');
    this.held = db
      .prepare('SELECT coalesce(sum(size), 0) FROM media WHERE app_id = ? AND expires_at > ?')
      .pluck();
    this.expired = db.prepare('SELECT app_id, id FROM media WHERE expires_at <= ?');
    this.remove = db.prepare('DELETE FROM media WHERE app_id = ? AND id = ?');
    this.removeOrphans();
  }

  /** Start-up: temp files of uploads a crash cut short, and files whose row never committed. */
  private removeOrphans(): void {
    const known = new Set(this.db.prepare('SELECT id FROM media').pluck().all() as string[]);
    for (const name of readdirSync(this.dir))
      if (name.startsWith(TEMP_PREFIX) || !known.has(name)) unlinkSync(join(this.dir, name));
  }

  async put(u: MediaUpload): Promise<MediaRecord | { refused: MediaRefusal }> {
    const refused = this.reservations.reserve(u, this.held.get(u.appId, Date.now()) as number);
    if (refused) return { refused };
    const temp = join(this.dir, `${TEMP_PREFIX}${u.id}`);
    try {
      await pipeline(Readable.from(u.body), exactLength(u.size), createWriteStream(temp, { flags: 'wx' }));
      await fsync(temp, 'r+');
      await rename(temp, join(this.dir, u.id));
      await fsync(this.dir, 'r');
      const r = newRecord(u, Date.now());
      this.insert.run(r.appId, r.id, r.size, r.uploader, r.createdAt, r.expiresAt);
      return r;
    } catch (e) {
      await unlink(temp).catch(() => undefined);
      return refusalOf(e);
    } finally {
      this.reservations.release(u);
    }
  }

  async open(appId: string, id: string, now: number) {
    const row = this.byId.get(appId, id, now) as Row | undefined;
    if (!row) return null;
    const body = createReadStream(join(this.dir, id));
    // Opened before answering, so a file the sweeper just removed is "not found", not a cut body.
    const opened = await new Promise<boolean>((resolve) => {
      body.once('open', () => resolve(true));
      body.once('error', () => resolve(false));
    });
    return opened ? { record: toRecord(row), body } : null;
  }

  async sweep(now: number): Promise<number> {
    const rows = this.expired.all(now) as Array<Pick<Row, 'app_id' | 'id'>>;
    for (const r of rows) {
      // Row first: a crash between the two leaves an orphan file, removed at the next start.
      this.remove.run(r.app_id, r.id);
      await unlink(join(this.dir, r.id)).catch(() => undefined);
    }
    return rows.length;
  }
}

async function fsync(path: string, flags: string): Promise<void> {
  const fh = await open(path, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function toRecord(r: Row): MediaRecord {
  return {
    appId: r.app_id,
    id: r.id,
    size: r.size,
    uploader: r.uploader,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  };
}
