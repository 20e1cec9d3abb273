import { describe, expect, it } from 'vitest';
import { MemoryMediaStore } from '../../src/adapters/media/memory-media-store.js';
import { MediaUploads } from '../../src/media-uploads.js';

let live = true;
const owner = { appId: 'app', uid: 'alice', live: () => live };
/** A part's body: `n` bytes of `fill`, as a request stream yields them. */
async function* part(n: number, fill: number): AsyncIterable<Uint8Array> {
  yield new Uint8Array(n).fill(fill);
}

describe('MediaUploads (an upload in parts, fed to one store put)', () => {
  const setup = (waitMs = 60_000, appMaxBytes = 0) => {
    const store = new MemoryMediaStore();
    let seq = 0;
    const uploads = new MediaUploads(async (o, size, body) => {
      const r = await store.put({
        appId: o.appId,
        uploader: o.uid,
        id: `id${String(++seq).padStart(20, '0')}`,
        size,
        body,
        ttlMs: 60_000,
        maxFileBytes: 100,
        appMaxBytes,
      });
      return 'refused' in r ? r : { mediaId: r.id, size: r.size };
    }, waitMs);
    return { store, uploads };
  };

  it('stores the parts as one file, refusing a part at another offset or after its session ended', async () => {
    const { store, uploads } = setup();
    const first = await uploads.begin(owner, 6, part(2, 1));
    if (!('uploadId' in first)) throw new Error('expected more');
    expect(first.received).toBe(2);
    expect(await uploads.part('nosuchupload', 2, part(2, 2))).toEqual({ refused: 'unknown_upload' });
    expect(await uploads.part(first.uploadId, 1, part(2, 2))).toEqual({ refused: 'invalid_offset' });
    expect(await uploads.part(first.uploadId, 2, part(2, 2))).toEqual({
      uploadId: first.uploadId,
      received: 4,
    });
    live = false;
    expect(await uploads.part(first.uploadId, 4, part(2, 3))).toEqual({ refused: 'session_ended' });
    live = true;
    const done = await uploads.part(first.uploadId, 4, part(2, 3));
    if (!('mediaId' in done)) throw new Error('expected the media');
    const f = await store.open('app', done.mediaId, Date.now());
    const chunks: Buffer[] = [];
    for await (const c of f!.body) chunks.push(c as Buffer);
    expect([...Buffer.concat(chunks)]).toEqual([1, 1, 2, 2, 3, 3]);
    expect(await uploads.part(first.uploadId, 6, part(1, 0))).toEqual({ refused: 'unknown_upload' });
  });

  it('drops an upload whose next part does not come in time, and frees its reservation', async () => {
    const { uploads } = setup(50, 10);
    const first = await uploads.begin(owner, 8, part(2, 1));
    if (!('uploadId' in first)) throw new Error('expected more');
    // Reserved: another upload of 8 bytes does not fit under the cap of 10.
    expect(await uploads.begin(owner, 8, part(8, 1))).toEqual({ refused: 'app_full' });
    // Without a part for 50 ms it is dropped (its timer was set before this one, so it fires
    // first): its id is unknown, and the cap is free again.
    await new Promise((r) => setTimeout(r, 100));
    expect(await uploads.part(first.uploadId, 2, part(1, 1))).toEqual({ refused: 'unknown_upload' });
    expect(await uploads.begin(owner, 8, part(8, 1))).toMatchObject({ size: 8 });
  });
});
