import {
  DownloadMediaError,
  MEDIA_LIMITS,
  MEDIA_OFFSET_HEADER,
  MEDIA_SIZE_HEADER,
  MediaHttpCode,
  type MediaUploadProgress,
  type MediaUploadResponse,
  UploadMediaError,
  utf8Length,
} from '@parley/protocol';
import type { Core } from './core.js';
import { DOWNLOAD_MEDIA_ERRORS, UPLOAD_MEDIA_ERRORS } from './error-tables.js';
import { errorFrom, type ErrorTable } from './errors.js';
import { httpError, type TransferRun, Transfers } from './media-transfer.js';
import { keepThumbnailBytes, mediaMessage } from './messages.js';
import { sendUpload } from './platform.js';
import type { MediaMessageParams, MediaTransferHandler, RtmFileMessage, RtmImageMessage } from './types.js';

const isBlob = (v: unknown): v is Blob => typeof Blob !== 'undefined' && v instanceof Blob;
const optStr = (v: unknown) => v === undefined || typeof v === 'string';
const optDim = (v: unknown) => v === undefined || (Number.isInteger(v) && (v as number) >= 0);
const DIMENSIONS = ['width', 'height', 'thumbnailWidth', 'thumbnailHeight'] as const;
/** Bytes per upload request: at the server's default 30 s request timeout, 280 kbit/s suffice. */
const UPLOAD_PART_BYTES = 1024 * 1024;

/**
 * agora-rtm-sdk 1.4.x image and file messages (docs/media.md): `createMediaMessageByUploading`,
 * `downloadMedia`, and media messages rebuilt by `createMessage`. The bytes go over HTTP to the
 * server the client is connected to, streamed, each transfer with a ticket of the live session.
 */
export class MediaApi {
  private readonly transfers: Transfers;

  constructor(
    private readonly core: Core,
    idleTimeoutMs: () => number,
  ) {
    this.transfers = new Transfers(core, idleTimeoutMs);
  }

  async upload(
    payload: Blob,
    params: MediaMessageParams | undefined,
    handler: MediaTransferHandler | undefined,
  ): Promise<RtmImageMessage | RtmFileMessage> {
    const E = UPLOAD_MEDIA_ERRORS;
    if (!this.core.loggedIn) throw errorFrom(E, UploadMediaError.NOT_LOGGED_IN);
    const p = checkParams(payload, params);
    if (typeof p === 'string') throw errorFrom(E, UploadMediaError.INVALID_ARGUMENT, p);
    if (payload.size > MEDIA_LIMITS.maxFileBytes) throw errorFrom(E, UploadMediaError.SIZE_OVERFLOW);
    const thumbBytes = isBlob(p.thumbnail)
      ? new Uint8Array(await p.thumbnail.arrayBuffer())
      : (p.thumbnail as Uint8Array | undefined);
    const fileName = p.fileName ?? (payload as { name?: string }).name ?? '';
    const description = p.description ?? '';
    const maxBytes = this.core.limits?.messageBytes ?? 0;
    if (utf8Length(fileName) + utf8Length(description) + (thumbBytes?.byteLength ?? 0) > maxBytes)
      throw errorFrom(
        E,
        UploadMediaError.INVALID_ARGUMENT,
        `File name, description and thumbnail are over ${maxBytes} bytes.`,
      );
    const cancel = handler?.cancelSignal ?? p.cancelSignal;
    const size = payload.size;
    const r = await this.transfers.run(
      E,
      cancel,
      handler?.onOperationProgress,
      () => size,
      (t) => this.sendParts(t, payload),
    );
    const thumbnail = isBlob(p.thumbnail) ? p.thumbnail : thumbBytes && new Blob([thumbBytes as BlobPart]);
    const { width, height, thumbnailWidth, thumbnailHeight } = p;
    const msg = mediaMessage(p.messageType, {
      ...{ width, height, thumbnailWidth, thumbnailHeight },
      ...{ mediaId: r.mediaId, size: r.size, fileName, description },
    });
    if (thumbnail) Object.assign(msg, { thumbnail, thumbnailData: thumbnail });
    if (thumbBytes) keepThumbnailBytes(msg, thumbBytes);
    return msg;
  }

  /**
   * Sends the file in parts of UPLOAD_PART_BYTES, each its own request, so a
   * slow link never needs one 30 MB request to fit in the server's HTTP request timeout.
   */
  private async sendParts(t: TransferRun, payload: Blob): Promise<MediaUploadResponse> {
    const size = payload.size;
    let at: MediaUploadProgress = { uploadId: '', received: 0 };
    for (;;) {
      const from = at.received;
      const res = await sendUpload({
        url: at.uploadId ? `${t.url}/uploads/${at.uploadId}` : t.url,
        headers: {
          // The first part with a ticket; later ones name the upload, a secret of this client.
          ...(at.uploadId ? {} : { authorization: await t.authorization() }),
          'content-type': 'application/octet-stream',
          [MEDIA_SIZE_HEADER]: String(size),
          [MEDIA_OFFSET_HEADER]: String(from),
        },
        body: payload.slice(from, from + UPLOAD_PART_BYTES),
        signal: t.signal,
        onSent: (n) => t.progress(from + n),
      });
      if (res.status === 201) {
        t.progress(size);
        return JSON.parse(res.body) as MediaUploadResponse;
      }
      if (res.status !== 202)
        throw this.refusal(UPLOAD_MEDIA_ERRORS, res.status, res.body, UploadMediaError.SIZE_OVERFLOW);
      at = JSON.parse(res.body) as MediaUploadProgress;
    }
  }

  async download(mediaId: string, handler: MediaTransferHandler | undefined): Promise<Blob> {
    const E = DOWNLOAD_MEDIA_ERRORS;
    if (!this.core.loggedIn) throw errorFrom(E, DownloadMediaError.NOT_LOGGED_IN);
    if (typeof mediaId !== 'string' || mediaId === '')
      throw errorFrom(E, DownloadMediaError.INVALID_ARGUMENT);
    let total = 0;
    return this.transfers.run(
      E,
      handler?.cancelSignal,
      handler?.onOperationProgress,
      () => total,
      async (t) => {
        const res = await fetch(`${t.url}/${encodeURIComponent(mediaId)}`, {
          headers: { authorization: await t.authorization() },
          signal: t.signal,
        });
        if (res.status !== 200)
          throw this.refusal(E, res.status, await res.text(), DownloadMediaError.NOT_EXIST);
        total = Number(res.headers.get('content-length') ?? 0);
        const chunks: Uint8Array[] = [];
        let n = 0;
        const reader = res.body!.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          chunks.push(value);
          n += value.byteLength;
          t.progress(n);
        }
        return new Blob(chunks as BlobPart[]);
      },
    );
  }

  /** A refused transfer as its code: the route's size or existence answer, 102, or FAILURE. */
  private refusal(table: ErrorTable, status: number, body: string, fourCode: number) {
    const err = httpError(body);
    if (err.code === MediaHttpCode.TOO_LARGE || err.code === MediaHttpCode.NOT_FOUND)
      return errorFrom(table, fourCode);
    if (err.code === MediaHttpCode.UNAUTHORIZED && !this.core.loggedIn) return errorFrom(table, 102);
    return errorFrom(table, UploadMediaError.FAILURE, err.message ?? `HTTP ${status}`);
  }
}

type CheckedParams = MediaMessageParams & { messageType: 'IMAGE' | 'FILE' };

/** The params of an upload, checked as Agora's SDK does: a reason when they are wrong. */
function checkParams(payload: unknown, params: unknown): CheckedParams | string {
  if (!isBlob(payload)) return 'The payload is not a Blob.';
  if (payload.size === 0) return 'The file is empty.';
  if (params !== undefined && (typeof params !== 'object' || params === null))
    return 'Invalid message params type.';
  const p = (params ?? {}) as MediaMessageParams;
  const type = p.messageType ?? (payload.type.startsWith('image/') ? 'IMAGE' : 'FILE');
  if (type !== 'IMAGE' && type !== 'FILE') return 'messageType must be IMAGE or FILE.';
  if (!optStr(p.fileName) || !optStr(p.description)) return 'fileName and description must be strings.';
  if (p.thumbnail !== undefined && !isBlob(p.thumbnail) && !(p.thumbnail instanceof Uint8Array))
    return 'The thumbnail must be a Blob.';
  if (!DIMENSIONS.every((k) => optDim(p[k]))) return 'Dimensions must be non-negative integers.';
  if (p.cancelSignal !== undefined && typeof p.cancelSignal?.addEventListener !== 'function')
    return 'cancelSignal must be an AbortSignal.';
  return { ...p, messageType: type };
}
