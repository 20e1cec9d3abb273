/**
 * Image and file messages (agora-rtm-sdk 1.4.x, docs/media.md): the limits, the transfer ticket
 * op, the HTTP paths and the `error.code` strings of the transfer routes. The bytes travel over
 * HTTP on the server's port; messages carry only the media id and its metadata (WireMedia).
 */

/** Agora's limits for a media transfer (spec rtm-media-1x.md, "Limits"). */
export const MEDIA_LIMITS = {
  /** largest file: 30 MB (30 × 1024 × 1024 bytes); an empty file is refused too */
  maxFileBytes: 30 * 1024 * 1024,
  /** uploads and downloads in progress at once per client */
  maxTransfers: 9,
  /** a transfer that makes no progress this long fails with TIMEOUT */
  idleTimeoutMs: 120_000,
} as const;

/** Media ids the server hands out: 22 base64url characters (128 random bits). */
const MEDIA_ID_RE = /^[\w-]{22}$/;
export function isValidMediaId(id: unknown): id is string {
  return typeof id === 'string' && MEDIA_ID_RE.test(id);
}

/** The media of an IMAGE or FILE message, as it travels in a WireMessage (`media`). */
export interface WireMedia {
  id: string;
  /** bytes of the file; 0 when unknown (a message rebuilt from its id without a size) */
  size: number;
  fileName: string;
  thumbnail?: Uint8Array;
  /** IMAGE only */
  width?: number;
  height?: number;
  thumbnailWidth?: number;
  thumbnailHeight?: number;
}

/** Op numbers of the media capability (80–89). */
export const MediaOp = {
  /** request: a ticket that authorizes one transfer over HTTP for this session ({} → MediaTicketResponse) */
  Ticket: 80,
} as const;

export interface MediaTicketResponse {
  /** sent as `Authorization: Bearer <ticket>`; valid while the session lives, at most `expiresAt` */
  ticket: string;
  expiresAt: number;
}

/** The transfer routes: POST uploads (body = the file), GET `${MEDIA_PATH}/<mediaId>` downloads. */
export const MEDIA_PATH = '/api/v1/media';
/** Request header: the file's size in bytes (a streamed upload has no Content-Length). */
export const MEDIA_SIZE_HEADER = 'parley-media-size';
/**
 * A file may come in parts: the first POST carries the first bytes and is answered
 * MediaUploadProgress; each further part is `POST ${MEDIA_PATH}/uploads/<uploadId>` with this
 * header naming the bytes received so far.
 */
export const MEDIA_OFFSET_HEADER = 'parley-media-offset';
/** 202 answer to a part: more is expected, from byte `received` on. */
export interface MediaUploadProgress {
  uploadId: string;
  received: number;
}
/** Response header of an upload, and the JSON body's field: the new media id. */
export interface MediaUploadResponse {
  mediaId: string;
  size: number;
}

/** The `error.code` strings the transfer routes answer (docs/media.md lists their statuses). */
export const MediaHttpCode = {
  /** 401: no ticket, an unknown one, or its session ended (or the session that began an upload) */
  UNAUTHORIZED: 'unauthorized',
  /** 400: size header missing or not a positive integer, or the body not as long as it said */
  INVALID_SIZE: 'invalid_size',
  /** 413: over MEDIA_LIMITS.maxFileBytes */
  TOO_LARGE: 'media_too_large',
  /** 507: the app's media storage is full (--media-max-bytes-per-app) */
  APP_FULL: 'media_storage_full',
  /** 404: no such upload in progress on this node (done, or dropped) */
  UPLOAD_NOT_FOUND: 'upload_not_found',
  /** 409: a part that does not start at the bytes received so far */
  INVALID_OFFSET: 'invalid_offset',
  /** 404: unknown or expired media id (or another app's) */
  NOT_FOUND: 'media_not_found',
  /** 503: this server stores no media (cluster mode without --postgres) */
  UNAVAILABLE: 'media_unavailable',
  /** counted only: the client went away mid-upload, so nobody reads the answer */
  ABORTED: 'aborted',
} as const;
export type MediaHttpCode = (typeof MediaHttpCode)[keyof typeof MediaHttpCode];
