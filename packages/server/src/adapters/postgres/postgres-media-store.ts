import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MediaRecord, MediaRefusal, MediaStore, MediaUpload } from '../../ports/media-store.js';
import { exactLength, newRecord, refusalOf } from '../media/media-intake.js';
import type { PgPool } from './pool.js';

/** Bytes per row of media_chunks: big enough for few round trips, small enough to stream. */
export const MEDIA_CHUNK_BYTES = 256 * 1024;
/** An upload not complete after this long was cut off by a crash: the sweeper removes it, ms. */
const STALE_UPLOAD_MS = 3600_000;

interface Row {
  app_id: string;
  id: string;
  size: string;
  uploader: string;
  created_at: string;
  expires_at: string;
}

/**
 * Media in PostgreSQL (cluster mode with --postgres: every node reads what any node stored).
 * An upload first inserts its `media` row, incomplete, which reserves its size against the app's
 * cap for all nodes; then the body goes in as `media_chunks` rows of MEDIA_CHUNK_BYTES, one
 * insert per chunk as the bytes arrive (no transaction held open for a slow client); the row is
 * marked complete last. Readers see only complete rows and stream the chunks one query each. A
 * refused or failed upload deletes what it wrote; one cut off by a crash is swept after an hour.
 */
export class PostgresMediaStore implements MediaStore {
  readonly available = true;

  constructor(private readonly pool: PgPool) {}

  async put(u: MediaUpload): Promise<MediaRecord | { refused: MediaRefusal }> {
    if (u.size > u.maxFileBytes) return { refused: 'too_large' };
    const r = newRecord(u, Date.now());
    // The cap counts every unexpired row of the app, incomplete ones included (uploads in progress).
    const reserved = await this.pool.query(
      `INSERT INTO media (app_id, id, size, uploader, created_at, expires_at, complete)
       SELECT $1, $2, $3::bigint, $4, $5::bigint, $6::bigint, false
       WHERE $7::bigint = 0
          OR (SELECT coalesce(sum(size), 0) FROM media WHERE app_id = $1 AND expires_at > $5::bigint) + $3::bigint <= $7::bigint`,
      [r.appId, r.id, r.size, r.uploader, r.createdAt, r.expiresAt, u.appMaxBytes],
    );
    if (reserved.rowCount === 0) return { refused: 'app_full' };
    try {
      await this.writeChunks(u);
      await this.pool.query('UPDATE media SET complete = true WHERE app_id = $1 AND id = $2', [
        r.appId,
        r.id,
      ]);
      return r;
    } catch (e) {
      await this.drop(r.appId, r.id).catch(() => undefined);
      return refusalOf(e);
    }
  }

  private async writeChunks(u: MediaUpload): Promise<void> {
    const counted = exactLength(u.size);
    const flowing = pipeline(Readable.from(u.body), counted);
    // A failure of the pipeline also ends the loop below with that error, which is what reports it.
    flowing.catch(() => undefined);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let n = 0;
    const flush = async () => {
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await this.pool.query('INSERT INTO media_chunks (app_id, id, n, data) VALUES ($1, $2, $3, $4)', [
        u.appId,
        u.id,
        n++,
        data,
      ]);
    };
    for await (const chunk of counted as AsyncIterable<Buffer>) {
      let c = chunk;
      while (c.byteLength > 0) {
        const take = Math.min(c.byteLength, MEDIA_CHUNK_BYTES - pendingBytes);
        pending.push(c.subarray(0, take));
        pendingBytes += take;
        c = c.subarray(take);
        if (pendingBytes === MEDIA_CHUNK_BYTES) await flush();
      }
    }
    await flowing;
    if (pendingBytes > 0) await flush();
  }

  async open(appId: string, id: string, now: number) {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM media WHERE app_id = $1 AND id = $2 AND complete AND expires_at > $3',
      [appId, id, now],
    );
    const row = rows[0];
    if (!row) return null;
    const record = toRecord(row);
    const chunks = Math.ceil(record.size / MEDIA_CHUNK_BYTES);
    const pool = this.pool;
    async function* read() {
      for (let n = 0; n < chunks; n++) {
        const r = await pool.query<{ data: Buffer }>(
          'SELECT data FROM media_chunks WHERE app_id = $1 AND id = $2 AND n = $3',
          [appId, id, n],
        );
        // Swept while being read (it expired): the body ends short, the client sees a failure.
        if (!r.rows[0]) throw new Error(`media ${id} was removed while being read`);
        yield r.rows[0].data;
      }
    }
    return { record, body: Readable.from(read(), { objectMode: false }) };
  }

  async sweep(now: number): Promise<number> {
    const { rows } = await this.pool.query<{ app_id: string; id: string }>(
      'DELETE FROM media WHERE expires_at <= $1 OR (NOT complete AND created_at < $2) RETURNING app_id, id',
      [now, now - STALE_UPLOAD_MS],
    );
    for (const r of rows)
      await this.pool.query('DELETE FROM media_chunks WHERE app_id = $1 AND id = $2', [r.app_id, r.id]);
    return rows.length;
  }

  private async drop(appId: string, id: string): Promise<void> {
    await this.pool.query('DELETE FROM media_chunks WHERE app_id = $1 AND id = $2', [appId, id]);
    await this.pool.query('DELETE FROM media WHERE app_id = $1 AND id = $2', [appId, id]);
  }
}

function toRecord(r: Row): MediaRecord {
  return {
    appId: r.app_id,
    id: r.id,
    size: Number(r.size),
    uploader: r.uploader,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
  };
}
