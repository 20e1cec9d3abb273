import type { Readable } from 'node:stream';

/** One stored image or file (docs/media.md). */
export interface MediaRecord {
  appId: string;
  id: string;
  /** bytes */
  size: number;
  /** uid of the uploader */
  uploader: string;
  createdAt: number;
  /** downloads are refused from this time on, and the sweeper removes it */
  expiresAt: number;
}

/** Why an upload was not stored. */
export type MediaRefusal =
  /** more bytes than `maxFileBytes` */
  | 'too_large'
  /** the body was not as long as the declared size */
  | 'size_mismatch'
  /** the app would hold more than its cap */
  | 'app_full'
  /** this server stores no media */
  | 'unavailable';

export interface MediaUpload {
  appId: string;
  id: string;
  uploader: string;
  /** the size the client declared; the body must be exactly this long */
  size: number;
  /** the body, streamed: never held whole in memory by a durable store */
  body: AsyncIterable<Uint8Array>;
  ttlMs: number;
  maxFileBytes: number;
  /** bytes the app may hold in all, in-progress uploads included (0 = no cap) */
  appMaxBytes: number;
}

/**
 * Where uploaded media lives until it expires. A stored file is complete and durable before
 * `put` resolves (no reader ever sees part of one); a failed or refused upload leaves nothing.
 */
export interface MediaStore {
  /** false: this server stores no media (cluster mode without a shared store); uploads are refused */
  readonly available: boolean;
  /** Stores the body; rejects when the body stream fails (client gone: nothing is kept). */
  put(upload: MediaUpload): Promise<MediaRecord | { refused: MediaRefusal }>;
  /** The record and its bytes, streamed; null when unknown, of another app, or expired at `now`. */
  open(appId: string, id: string, now: number): Promise<{ record: MediaRecord; body: Readable } | null>;
  /** Removes media expired at `now`; resolves with how many. */
  sweep(now: number): Promise<number>;
}
