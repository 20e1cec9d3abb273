import { createHash } from 'node:crypto';
import type { RtmClient, RtmFileMessage, RtmImageMessage, RtmMessage } from '@parley/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, next, setup, until } from '../helpers.js';

const sha256 = async (b: Blob) =>
  createHash('sha256')
    .update(Buffer.from(await b.arrayBuffer()))
    .digest('hex');
/** Bytes that differ everywhere, so a shifted or truncated copy cannot pass the hash. */
function bytes(n: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(n));
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
const blobOf = (n: number, type = 'application/octet-stream', seed = 1) =>
  new Blob([bytes(n, seed)], { type });

type Progress = { currentSize: number; totalSize: number };
type PeerGot = [RtmMessage, string, { isOfflineMessage: boolean }];

/**
 * Image and file messages end to end (docs/media.md): real server, real WebSocket sessions, real
 * HTTP transfers with the SDK's tickets, the in-memory media store.
 */
describe('media messages', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let alice: RtmClient;
  let bob: RtmClient;
  beforeEach(async () => {
    t = await setup({ rateLimits: false });
    alice = await t.login('alice');
    bob = await t.login('bob');
  });
  afterEach(() => t.cleanup());

  it('uploads an image with progress in steps, sends it to a peer, who downloads the same bytes', async () => {
    const file = blobOf(3 * 1024 * 1024 + 7, 'image/png');
    const up: Progress[] = [];
    const msg = await alice.createMediaMessageByUploading(
      file,
      { messageType: 'IMAGE', fileName: 'cat.png', description: 'a cat', width: 640, height: 480 },
      { onOperationProgress: (p) => up.push(p) },
    );
    expect(msg).toMatchObject({
      messageType: 'IMAGE',
      size: file.size,
      fileName: 'cat.png',
      description: 'a cat',
      width: 640,
      height: 480,
      thumbnailWidth: 0,
      thumbnailHeight: 0,
    });
    expect(msg.mediaId).toMatch(/^[\w-]{22}$/);
    // In steps: several reports below the total, increasing, ending at the total.
    expect(up.filter((p) => p.currentSize < file.size).length).toBeGreaterThan(2);
    expect(up.at(-1)).toEqual({ currentSize: file.size, totalSize: file.size });
    expect(up.every((p, i) => i === 0 || p.currentSize > up[i - 1]!.currentSize)).toBe(true);

    const got = next<PeerGot>(bob, 'MessageFromPeer');
    expect(await alice.sendMessageToPeer(msg, 'bob')).toEqual({ hasPeerReceived: true });
    const [received, from] = await got;
    expect(from).toBe('alice');
    const image = received as RtmImageMessage;
    expect(image).toMatchObject({
      messageType: 'IMAGE',
      mediaId: msg.mediaId,
      size: file.size,
      fileName: 'cat.png',
      description: 'a cat',
      width: 640,
      height: 480,
    });
    const down: Progress[] = [];
    const blob = await bob.downloadMedia(image.mediaId, { onOperationProgress: (p) => down.push(p) });
    expect(blob.size).toBe(file.size);
    expect(await sha256(blob)).toBe(await sha256(file));
    expect(down.filter((p) => p.currentSize < file.size).length).toBeGreaterThan(0);
    expect(down.at(-1)).toEqual({ currentSize: file.size, totalSize: file.size });

    const metrics = await t.server.metrics.registry.metrics();
    expect(metrics).toMatch(/parley_media_uploads_total 1\b/);
    expect(metrics).toMatch(new RegExp(`parley_media_bytes_total\\{direction="up"\\} ${file.size}\\b`));
    expect(metrics).toMatch(new RegExp(`parley_media_bytes_total\\{direction="down"\\} ${file.size}\\b`));
  });

  it('sends a file with a thumbnail to a channel; members get both names of the thumbnail', async () => {
    const room = 'room';
    const ch = alice.createChannel(room);
    const bobCh = bob.createChannel(room);
    await ch.join();
    await bobCh.join();
    const thumb = blobOf(500, 'image/png', 9);
    const file = blobOf(70_000, 'application/pdf', 3);
    const msg = await alice.createMediaMessageByUploading(file, {
      messageType: 'FILE',
      fileName: 'doc.pdf',
      thumbnail: thumb,
    });
    expect(msg.messageType).toBe('FILE');
    expect('width' in msg).toBe(false);
    const got = next<[RtmMessage, string]>(bobCh, 'ChannelMessage');
    await ch.sendMessage(msg);
    const [m, from] = await got;
    expect(from).toBe('alice');
    const f = m as RtmFileMessage;
    expect(f).toMatchObject({ messageType: 'FILE', mediaId: msg.mediaId, size: 70_000, fileName: 'doc.pdf' });
    expect(await sha256(f.thumbnail!)).toBe(await sha256(thumb));
    expect(f.thumbnailData).toBe(f.thumbnail);
    expect(await sha256(await bob.downloadMedia(f.mediaId))).toBe(await sha256(file));
  });

  it('rebuilds a media message from its id with createMessage, and carries it offline', async () => {
    const file = blobOf(10_000);
    const { mediaId } = await alice.createMediaMessageByUploading(file, { messageType: 'FILE' });
    const rebuilt = alice.createMessage<RtmFileMessage>({
      mediaId,
      messageType: 'FILE',
      fileName: 'again.bin',
    });
    expect(rebuilt).toMatchObject({
      mediaId,
      messageType: 'FILE',
      fileName: 'again.bin',
      size: 0,
      description: '',
    });
    const r = await alice.sendMessageToPeer(rebuilt, 'carol', { enableOfflineMessaging: true });
    expect(r.hasPeerReceived).toBe(false);
    const carol = t.client();
    const got = collect<PeerGot>(carol, 'MessageFromPeer');
    await carol.login({ uid: 'carol' });
    await until(() => got.length === 1, 5000, 'the offline media message');
    const [m, , props] = got[0]!;
    expect(props.isOfflineMessage).toBe(true);
    expect(m).toMatchObject({ messageType: 'FILE', mediaId, fileName: 'again.bin' });
    expect(await sha256(await carol.downloadMedia(mediaId))).toBe(await sha256(file));
  });

  it('refuses with the documented codes: 2, 4, 102 and NOT_EXIST', async () => {
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: { code: number }) => e.code,
      );
    expect(await code(alice.createMediaMessageByUploading('text' as unknown as Blob))).toBe(2);
    expect(await code(alice.createMediaMessageByUploading(new Blob([])))).toBe(2);
    const one = blobOf(10);
    expect(await code(alice.createMediaMessageByUploading(one, 'x' as never))).toBe(2);
    expect(await code(alice.createMediaMessageByUploading(one, { messageType: 'TEXT' as never }))).toBe(2);
    expect(await code(alice.createMediaMessageByUploading(one, { width: -1 }))).toBe(2);
    expect(await code(alice.createMediaMessageByUploading(one, { fileName: 'x'.repeat(33 * 1024) }))).toBe(2);
    const big = new Blob([new Uint8Array(30 * 1024 * 1024 + 1)]);
    const err = await alice.createMediaMessageByUploading(big).catch((e: Error & { code: number }) => e);
    expect((err as { code: number }).code).toBe(4);
    expect((err as Error).name).toBe('RtmLimitExceededError');
    expect(await code(alice.downloadMedia(''))).toBe(2);
    expect(await code(alice.downloadMedia('AAAAAAAAAAAAAAAAAAAAAA'))).toBe(4);
    expect(await code(alice.downloadMedia('not-a-media-id'))).toBe(4);
    const nobody = t.client();
    expect(await code(nobody.createMediaMessageByUploading(one))).toBe(102);
    expect(await code(nobody.downloadMedia('AAAAAAAAAAAAAAAAAAAAAA'))).toBe(102);
  });

  it('allows 9 transfers at once: the 10th is refused with 5, and all 9 complete', async () => {
    const files = [...Array(10).keys()].map((i) => blobOf(200_000 + i, 'application/octet-stream', i + 1));
    const uploads = files.map((f) =>
      alice.createMediaMessageByUploading(f).then(
        (m) => m,
        (e) => e,
      ),
    );
    const results = await Promise.all(uploads);
    expect((results[9] as { code: number }).code).toBe(5);
    expect(results.slice(0, 9).every((m) => typeof (m as RtmFileMessage).mediaId === 'string')).toBe(true);
    // The limit counts transfers in progress: once they are done, more can start.
    const ids = results.slice(0, 9).map((m) => (m as RtmFileMessage).mediaId);
    const blobs = await Promise.all(ids.map((id) => bob.downloadMedia(id)));
    for (let i = 0; i < 9; i++) expect(await sha256(blobs[i]!)).toBe(await sha256(files[i]!));
  });

  it('cancels mid-upload and mid-download with 6 (INTERRUPTED); nothing half is stored', async () => {
    const file = blobOf(8 * 1024 * 1024);
    const ctl = new AbortController();
    const err = await alice
      .createMediaMessageByUploading(
        file,
        { messageType: 'FILE' },
        {
          cancelSignal: ctl.signal,
          onOperationProgress: (p) => {
            if (p.currentSize > 2 * 1024 * 1024 && p.currentSize < p.totalSize) ctl.abort();
          },
        },
      )
      .catch((e: { code: number }) => e);
    expect((err as { code: number }).code).toBe(6);
    // Nothing was stored (what the server got of it is dropped: docs/media.md).
    expect(await t.server.metrics.registry.metrics()).toMatch(/parley_media_uploads_total 0\b/);

    // Agora's guide puts the signal in params: an aborted one refuses at once.
    const pre = new AbortController();
    pre.abort();
    const early = await alice
      .createMediaMessageByUploading(blobOf(10), { cancelSignal: pre.signal })
      .catch((e: { code: number }) => e);
    expect((early as { code: number }).code).toBe(6);

    const { mediaId } = await alice.createMediaMessageByUploading(file);
    const dl = new AbortController();
    const derr = await bob
      .downloadMedia(mediaId, {
        cancelSignal: dl.signal,
        onOperationProgress: (p) => {
          if (p.currentSize > 0 && p.currentSize < p.totalSize) dl.abort();
        },
      })
      .catch((e: { code: number }) => e);
    expect((derr as { code: number }).code).toBe(6);
    // The cancelled download freed its slot and the file is still there.
    expect(await sha256(await bob.downloadMedia(mediaId))).toBe(await sha256(file));
  });
});
