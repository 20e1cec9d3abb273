import { randomBytes } from 'node:crypto';
import type { MediaUploadResponse } from '@parley/protocol';
import type { MediaOwner, MediaUploadAnswer, MediaUploadRefusal } from './http/rest-services.js';

type Stored = MediaUploadResponse | { refused: MediaUploadRefusal };
interface Part {
  body: AsyncIterable<Uint8Array>;
  consumed: () => void;
}

/** An upload waits this long for its next part before it is dropped (nothing of it is kept), ms. */
export const UPLOAD_PART_WAIT_MS = 60_000;

/**
 * One upload whose bytes come in parts, each the body of its own HTTP request (so no request has
 * to carry a whole 30 MB file within the HTTP request timeout). The store sees one stream: a
 * generator that yields each part's bytes as they arrive, then waits for the next part.
 */
class PartedUpload {
  received = 0;
  private pending: Part | null = null;
  private wake: (() => void) | null = null;
  private inPart = false;
  result!: Promise<Stored>;

  constructor(
    readonly id: string,
    readonly owner: MediaOwner,
    readonly size: number,
    private readonly waitMs: number,
  ) {}

  async *bytes(): AsyncGenerator<Uint8Array> {
    while (this.received < this.size) {
      const part = await this.nextPart();
      for await (const chunk of part.body) {
        this.received += chunk.byteLength;
        yield chunk;
      }
      this.inPart = false;
      part.consumed();
    }
  }

  private async nextPart(): Promise<Part> {
    if (!this.pending) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve, reject) => {
        this.wake = resolve;
        timer = setTimeout(() => reject(new Error('upload abandoned: no next part')), this.waitMs);
        // A waiting upload never keeps a stopping server's process alive.
        timer.unref();
      }).finally(() => clearTimeout(timer));
    }
    const part = this.pending!;
    this.pending = null;
    return part;
  }

  /** Hands the store the next part; resolves once it is all read. null: not the expected offset. */
  offer(offset: number, body: AsyncIterable<Uint8Array>): Promise<void> | null {
    if (this.inPart || offset !== this.received) return null;
    this.inPart = true;
    return new Promise<void>((consumed) => {
      this.pending = { body, consumed };
      this.wake?.();
      this.wake = null;
    });
  }
}

/** The uploads in progress on this node, by their secret id. */
export class MediaUploads {
  private readonly uploads = new Map<string, PartedUpload>();

  constructor(
    private readonly store: (
      owner: MediaOwner,
      size: number,
      body: AsyncIterable<Uint8Array>,
    ) => Promise<Stored>,
    /** how long an upload waits for its next part (tests shorten it) */
    private readonly partWaitMs = UPLOAD_PART_WAIT_MS,
  ) {}

  begin(owner: MediaOwner, size: number, firstPart: AsyncIterable<Uint8Array>): Promise<MediaUploadAnswer> {
    const u = new PartedUpload(randomBytes(18).toString('base64url'), owner, size, this.partWaitMs);
    this.uploads.set(u.id, u);
    u.result = this.store(owner, size, u.bytes()).finally(() => this.uploads.delete(u.id));
    // Nobody may await the result of an upload abandoned between parts: keep its rejection handled.
    u.result.catch(() => undefined);
    return this.feed(u, 0, firstPart);
  }

  /** The upload id is the secret of the client that began it; its session must still be live. */
  part(uploadId: string, offset: number, body: AsyncIterable<Uint8Array>): Promise<MediaUploadAnswer> {
    const u = this.uploads.get(uploadId);
    if (!u) return Promise.resolve({ refused: 'unknown_upload' });
    if (!u.owner.live()) return Promise.resolve({ refused: 'session_ended' });
    return this.feed(u, offset, body);
  }

  /** The part's answer: the stored media, more to come, or the store's refusal (or its failure). */
  private async feed(
    u: PartedUpload,
    offset: number,
    body: AsyncIterable<Uint8Array>,
  ): Promise<MediaUploadAnswer> {
    const consumed = u.offer(offset, body);
    if (!consumed) return { refused: 'invalid_offset' };
    const first = await Promise.race([consumed.then(() => null), u.result]);
    if (first) return first;
    if (u.received < u.size) return { uploadId: u.id, received: u.received };
    return u.result;
  }
}
