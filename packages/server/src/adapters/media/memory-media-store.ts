import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MediaRecord, MediaRefusal, MediaStore, MediaUpload } from '../../ports/media-store.js';
import { exactLength, MediaReservations, newRecord, refusalOf } from './media-intake.js';

/**
 * Media in process memory: the embedded server without a data dir (tests, `--data-dir ''`),
 * lost on exit. Shared by the in-process nodes of a multi-node test like the rest of the
 * embedded Store.
 */
export class MemoryMediaStore implements MediaStore {
  readonly available = true;
  private readonly files = new Map<string, { record: MediaRecord; bytes: Buffer }>();
  private readonly reservations = new MediaReservations();

  private held(appId: string, now: number): number {
    let n = 0;
    for (const f of this.files.values())
      if (f.record.appId === appId && f.record.expiresAt > now) n += f.record.size;
    return n;
  }

  async put(u: MediaUpload): Promise<MediaRecord | { refused: MediaRefusal }> {
    const refused = this.reservations.reserve(u, this.held(u.appId, Date.now()));
    if (refused) return { refused };
    try {
      const chunks: Buffer[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          chunks.push(chunk);
          done();
        },
      });
      await pipeline(Readable.from(u.body), exactLength(u.size), sink);
      const record = newRecord(u, Date.now());
      this.files.set(key(u.appId, u.id), { record, bytes: Buffer.concat(chunks) });
      return record;
    } catch (e) {
      return refusalOf(e);
    } finally {
      this.reservations.release(u);
    }
  }

  async open(appId: string, id: string, now: number) {
    const f = this.files.get(key(appId, id));
    if (!f || f.record.expiresAt <= now) return null;
    return { record: f.record, body: Readable.from([f.bytes]) };
  }

  async sweep(now: number): Promise<number> {
    let n = 0;
    for (const [k, f] of this.files)
      if (f.record.expiresAt <= now) {
        this.files.delete(k);
        n++;
      }
    return n;
  }
}

const key = (appId: string, id: string) => `${appId}\u0000${id}`;

/** Cluster mode without a shared media store: every upload is refused (docs/media.md). */
export const UNAVAILABLE_MEDIA: MediaStore = {
  available: false,
  put: async () => ({ refused: 'unavailable' }),
  open: async () => null,
  sweep: async () => 0,
};
