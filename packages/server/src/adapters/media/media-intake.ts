import { Transform, type TransformCallback } from 'node:stream';
import type { MediaRecord, MediaRefusal, MediaUpload } from '../../ports/media-store.js';

/** Thrown through a body stream that turned out longer (or shorter) than it should be. */
export class MediaIntakeRefused extends Error {
  constructor(readonly refusal: MediaRefusal) {
    super(refusal);
  }
}

/**
 * Checks common to every media store before a byte is written: the declared size against the
 * file limit, and the app's cap counting what it holds plus the uploads in progress (reserved
 * here until `release`), so two concurrent uploads cannot both pass a cap only one fits under.
 */
export class MediaReservations {
  private readonly inFlight = new Map<string, number>();

  /** null: go ahead (call `release` when done); else why not. */
  reserve(u: MediaUpload, held: number): MediaRefusal | null {
    if (u.size > u.maxFileBytes) return 'too_large';
    const pending = this.inFlight.get(u.appId) ?? 0;
    if (u.appMaxBytes > 0 && held + pending + u.size > u.appMaxBytes) return 'app_full';
    this.inFlight.set(u.appId, pending + u.size);
    return null;
  }

  release(u: MediaUpload): void {
    const left = (this.inFlight.get(u.appId) ?? 0) - u.size;
    if (left > 0) this.inFlight.set(u.appId, left);
    else this.inFlight.delete(u.appId);
  }
}

/** A pass-through that fails the stream as soon as more than `size` bytes came, or fewer at the end. */
export function exactLength(size: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      seen += chunk.byteLength;
      if (seen > size) return done(new MediaIntakeRefused('size_mismatch'));
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      done(seen === size ? null : new MediaIntakeRefused('size_mismatch'));
    },
  });
}

export function newRecord(u: MediaUpload, now: number): MediaRecord {
  return {
    appId: u.appId,
    id: u.id,
    size: u.size,
    uploader: u.uploader,
    createdAt: now,
    expiresAt: now + u.ttlMs,
  };
}

/** The refusal a failed intake stands for, or the error again when it is not one. */
export function refusalOf(e: unknown): { refused: MediaRefusal } {
  if (e instanceof MediaIntakeRefused) return { refused: e.refusal };
  throw e;
}
