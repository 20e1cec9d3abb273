import { MEDIA_OFFSET_HEADER, MEDIA_PATH, MEDIA_SIZE_HEADER, MediaOp } from '@parley/protocol';
import type { RtmClient } from '@parley/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../tcp-proxy.js';
import { setup, until } from '../helpers.js';

const OTHER_APP = 'fedcba9876543210fedcba9876543210';
const MB3 = 3 * 1024 * 1024;
const blobOf = (n: number) => new Blob([new Uint8Array(n).fill(7)]);
/** A streamed body (no Content-Length) of `n` bytes of `fill`. */
const stream = (n: number, fill = 7) =>
  new ReadableStream({
    start(c) {
      c.enqueue(new Uint8Array(n).fill(fill));
      c.close();
    },
  });

/**
 * The transfer routes as any HTTP client sees them (docs/media.md, "HTTP"): tickets of live
 * sessions only, the size rules, CORS; and the SDK's answers to the server's limits: the app's
 * byte cap, expiry, and a transfer that stops making progress.
 */
describe('media transfer routes', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let alice: RtmClient;
  /** A ticket as the SDK gets one (its core is internal: not in the typings). */
  const ticket = async (c: RtmClient) => {
    const { core } = c as unknown as {
      core: { call(op: number, body: unknown, ms: number): Promise<{ code: number; body: unknown }> };
    };
    const r = await core.call(MediaOp.Ticket, {}, 5000);
    expect(r.code).toBe(0);
    return (r.body as { ticket: string }).ticket;
  };
  const url = () => `${t.server.url}${MEDIA_PATH}`;
  const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
  const upload = (auth: string | null, body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(url(), {
      method: 'POST',
      headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...headers },
      body,
      duplex: 'half',
    } as RequestInit);

  beforeEach(async () => {
    t = await setup({
      rateLimits: false,
      mediaMaxBytesPerApp: 5 * 1024 * 1024,
      mediaTtlMs: 60_000,
      httpRequestTimeoutMs: 1000,
    });
    alice = await t.login('alice');
  });
  afterEach(() => t.cleanup());

  it('needs a ticket of a live session: none, unknown, spent, or after logout → 401', async () => {
    expect((await upload(null, blobOf(10))).status).toBe(401);
    const none = await upload('bogus', blobOf(10));
    expect(none.status).toBe(401);
    expect(await errorCode(none)).toBe('unauthorized');
    expect(none.headers.get('access-control-allow-origin')).toBe('*');

    const tk = await ticket(alice);
    const ok = await upload(tk, blobOf(10));
    expect(ok.status).toBe(201);
    const { mediaId, size } = (await ok.json()) as { mediaId: string; size: number };
    expect(size).toBe(10);
    expect((await upload(tk, blobOf(10))).status).toBe(401); // single use

    const get = (tk2: string | null, id = mediaId) =>
      fetch(`${url()}/${id}`, { headers: tk2 ? { authorization: `Bearer ${tk2}` } : {} });
    expect((await get(null)).status).toBe(401);
    const got = await get(await ticket(alice));
    expect(got.status).toBe(200);
    expect(got.headers.get('content-length')).toBe('10');
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(new Uint8Array(10).fill(7));

    // Another app's live session cannot read it.
    const other = t.client({}, OTHER_APP);
    await other.login({ uid: 'mallory' });
    const foreign = await get(await ticket(other));
    expect(foreign.status).toBe(404);
    expect(await errorCode(foreign)).toBe('media_not_found');

    // A ticket whose session ended is worth nothing.
    const late = await ticket(alice);
    await alice.logout();
    await until(() => t.sessionOf('alice') === undefined, 5000, 'the session to end');
    expect((await get(late)).status).toBe(401);
  });

  it('answers the size rules: 413 over 30 MB, 400 without a size or with more bytes than it', async () => {
    const big = await upload(await ticket(alice), new Uint8Array(0), {
      [MEDIA_SIZE_HEADER]: String(30 * 1024 * 1024 + 1),
    });
    expect(big.status).toBe(413);
    expect(await errorCode(big)).toBe('media_too_large');
    const empty = await upload(await ticket(alice), new Uint8Array(0));
    expect(empty.status).toBe(400);
    expect(await errorCode(empty)).toBe('invalid_size');
    const longer = await upload(await ticket(alice), blobOf(30), { [MEDIA_SIZE_HEADER]: '20' });
    expect(longer.status).toBe(400);
    // Streamed (no Content-Length): more bytes than the header said.
    const cut = await upload(await ticket(alice), stream(30), { [MEDIA_SIZE_HEADER]: '20' });
    expect(cut.status).toBe(400);
    expect(await errorCode(cut)).toBe('invalid_size');
    const metrics = await t.server.metrics.registry.metrics();
    expect(metrics).toMatch(/parley_media_refusals_total\{code="media_too_large"\} 1\b/);
    expect(metrics).toMatch(/parley_media_refusals_total\{code="invalid_size"\} 3\b/);
    expect(metrics).toMatch(/parley_media_uploads_total 0\b/);
  });

  it('takes a file in parts, each its own request: offsets checked, longer than the request timeout in all', async () => {
    const first = await upload(await ticket(alice), stream(10, 1), { [MEDIA_SIZE_HEADER]: '25' });
    expect(first.status).toBe(202);
    const { uploadId, received } = (await first.json()) as { uploadId: string; received: number };
    expect(received).toBe(10);
    const part = async (offset: number, body: BodyInit, id = uploadId) =>
      fetch(`${url()}/uploads/${id}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await ticket(alice)}`, [MEDIA_OFFSET_HEADER]: String(offset) },
        body,
        duplex: 'half',
      } as RequestInit);
    const wrong = await part(5, stream(5, 2));
    expect(wrong.status).toBe(409);
    expect(await errorCode(wrong)).toBe('invalid_offset');
    const unknown = await part(10, stream(5, 2), 'nosuchupload');
    expect(unknown.status).toBe(404);
    expect(await errorCode(unknown)).toBe('upload_not_found');
    // The request timeout (1 s here) bounds one request, not the upload.
    await new Promise((r) => setTimeout(r, 1200));
    const second = await part(10, stream(10, 2));
    expect(second.status).toBe(202);
    expect(await second.json()).toEqual({ uploadId, received: 20 });
    const last = await part(20, stream(5, 3));
    expect(last.status).toBe(201);
    const { mediaId, size } = (await last.json()) as { mediaId: string; size: number };
    expect(size).toBe(25);
    const got = await fetch(`${url()}/${mediaId}`, {
      headers: { authorization: `Bearer ${await ticket(alice)}` },
    });
    expect([...new Uint8Array(await got.arrayBuffer())]).toEqual([
      ...new Uint8Array(10).fill(1),
      ...new Uint8Array(10).fill(2),
      ...new Uint8Array(5).fill(3),
    ]);
    // The SDK uploads in parts too: a file of several MB is stored whole.
    const many = await alice.createMediaMessageByUploading(blobOf(3 * 1024 * 1024 + 1));
    expect(many.size).toBe(3 * 1024 * 1024 + 1);
  });

  it('answers CORS preflights, so pages of any origin can use their tickets', async () => {
    const res = await fetch(url(), {
      method: 'OPTIONS',
      headers: { origin: 'http://example.test', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toContain(MEDIA_SIZE_HEADER);
  });

  it("refuses an upload past the app's byte cap with 1 (FAILURE): storage full", async () => {
    await alice.createMediaMessageByUploading(blobOf(MB3));
    const err = await alice
      .createMediaMessageByUploading(blobOf(MB3))
      .catch((e: Error & { code: number }) => e);
    expect((err as { code: number }).code).toBe(1);
    expect((err as Error).message).toMatch(/storage is full/);
    // Another app has its own cap.
    const other = t.client({}, OTHER_APP);
    await other.login({ uid: 'olga' });
    expect((await other.createMediaMessageByUploading(blobOf(MB3))).size).toBe(MB3);
  });
});

describe('media expiry and stalled transfers', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let proxy: TcpProxy | null = null;
  afterEach(async () => {
    await proxy?.close();
    proxy = null;
    await t.cleanup();
  });

  it('limits tickets to 100 per 10 s per client: the 101st is refused with 1', async () => {
    t = await setup();
    const alice = await t.login('alice');
    const { core } = alice as unknown as {
      core: { call(op: number, body: unknown, ms: number): Promise<{ code: number }> };
    };
    const codes = await Promise.all([...Array(101).keys()].map(() => core.call(MediaOp.Ticket, {}, 5000)));
    expect(codes.slice(0, 100).every((r) => r.code === 0)).toBe(true);
    expect(codes[100]!.code).toBe(1);
  });

  it('an expired media id is NOT_EXIST (4)', async () => {
    t = await setup({ mediaTtlMs: 300 });
    const alice = await t.login('alice');
    const { mediaId } = await alice.createMediaMessageByUploading(blobOf(100));
    const code = () =>
      alice.downloadMedia(mediaId).then(
        () => 0,
        (e: { code: number }) => e.code,
      );
    expect(await code()).toBe(0);
    let last = -1;
    for (let i = 0; i < 100 && last !== 4; i++) {
      last = await code();
      if (last !== 4) await new Promise((r) => setTimeout(r, 50));
    }
    expect(last).toBe(4);
  });

  it('a transfer without progress for mediaIdleTimeoutMs fails with 3 (TIMEOUT)', async () => {
    t = await setup({ rateLimits: false });
    proxy = await startTcpProxy(t.server.port);
    const p = proxy;
    const alice = await t.login('alice', { serverUrl: p.url, mediaIdleTimeoutMs: 500 });
    const file = blobOf(4 * 1024 * 1024);
    const { mediaId } = await alice.createMediaMessageByUploading(file);
    let stalled = false;
    const err = await alice
      .downloadMedia(mediaId, {
        onOperationProgress: ({ currentSize }) => {
          if (!stalled && currentSize > 0) {
            stalled = true;
            p.stall('down');
          }
        },
      })
      .catch((e: { code: number }) => e);
    expect(stalled).toBe(true);
    expect((err as { code: number }).code).toBe(3);
    p.resume();

    stalled = false;
    const uerr = await alice
      .createMediaMessageByUploading(file, undefined, {
        onOperationProgress: ({ currentSize }) => {
          if (!stalled && currentSize > 1024 * 1024) {
            stalled = true;
            p.stall();
          }
        },
      })
      .catch((e: { code: number }) => e);
    expect((uerr as { code: number }).code).toBe(3);
  });
});
