import { checkWireMessage, type WireMedia, type WireMessage } from '@parley/protocol';
import type { ReceivedMessageProperties, RtmFileMessage, RtmImageMessage, RtmMessage } from './types.js';

/** The bytes of a media message's Blob thumbnail, read once before it is first sent. */
const THUMBNAIL_BYTES = Symbol('parley.thumbnailBytes');
type MediaFields = {
  mediaId?: unknown;
  size?: unknown;
  fileName?: unknown;
  thumbnail?: unknown;
  thumbnailData?: unknown;
  [THUMBNAIL_BYTES]?: Uint8Array;
} & Partial<Record<(typeof DIMENSIONS)[number], unknown>>;
const DIMENSIONS = ['width', 'height', 'thumbnailWidth', 'thumbnailHeight'] as const;

/** Converts an app's message object to the wire form; null when it is not a valid message. */
export function toWire(m: unknown): WireMessage | null {
  if (typeof m !== 'object' || m === null) return null;
  const x = m as { messageType?: unknown; text?: unknown; rawMessage?: unknown; description?: unknown };
  // Agora infers the type when messageType is missing: Uint8Array rawMessage → RAW, string text → TEXT.
  const type =
    x.messageType ??
    (x.rawMessage instanceof Uint8Array ? 'RAW' : typeof x.text === 'string' ? 'TEXT' : undefined);
  if (type === 'TEXT') {
    if (x.rawMessage !== undefined || typeof x.text !== 'string') return null;
    return { type: 'TEXT', text: x.text };
  }
  if (x.description !== undefined && typeof x.description !== 'string') return null;
  const description = (x.description as string | undefined) ?? '';
  if (type === 'RAW') {
    if (x.text !== undefined || !(x.rawMessage instanceof Uint8Array)) return null;
    return { type: 'RAW', raw: x.rawMessage, description };
  }
  if (type === 'IMAGE' || type === 'FILE') {
    const media = toWireMedia(m as MediaFields, type === 'IMAGE');
    return media && x.text === undefined && x.rawMessage === undefined ? { type, description, media } : null;
  }
  return null;
}

function toWireMedia(x: MediaFields, image: boolean): WireMedia | null {
  if (typeof x.mediaId !== 'string') return null;
  if (x.fileName !== undefined && typeof x.fileName !== 'string') return null;
  const size = x.size ?? 0;
  if (typeof size !== 'number') return null;
  const media: WireMedia = { id: x.mediaId, size, fileName: (x.fileName as string | undefined) ?? '' };
  const thumb = x[THUMBNAIL_BYTES] ?? x.thumbnail ?? x.thumbnailData;
  if (thumb instanceof Uint8Array) media.thumbnail = thumb;
  else if (thumb !== undefined) return null;
  if (image) for (const k of DIMENSIONS) if (x[k] !== undefined) media[k] = x[k] as number;
  return media;
}

/**
 * A media message whose thumbnail is a Blob not read yet (one given to createMessage): reads it,
 * so that toWire stays synchronous. null when there is nothing to read.
 */
export function readThumbnail(m: unknown): Promise<void> | null {
  if (typeof m !== 'object' || m === null) return null;
  const x = m as MediaFields & { messageType?: unknown };
  if (x.messageType !== 'IMAGE' && x.messageType !== 'FILE') return null;
  const thumb = x.thumbnail ?? x.thumbnailData;
  if (x[THUMBNAIL_BYTES] || typeof Blob === 'undefined' || !(thumb instanceof Blob)) return null;
  return thumb.arrayBuffer().then((b) => {
    Object.defineProperty(x, THUMBNAIL_BYTES, { value: new Uint8Array(b), enumerable: false });
  });
}

/** Remembers the bytes of a thumbnail already read (an upload reads it to check the limits). */
export function keepThumbnailBytes(m: object, bytes: Uint8Array): void {
  Object.defineProperty(m, THUMBNAIL_BYTES, { value: bytes, enumerable: false });
}

/** Checks a message before it is sent: 'invalid', 'too_large' or null (ok). */
export function checkMessage(
  m: unknown,
  maxBytes: number,
): { wire: WireMessage } | { problem: 'invalid' | 'too_large' } {
  const wire = toWire(m);
  if (!wire) return { problem: 'invalid' };
  const p = checkWireMessage(wire, maxBytes);
  return p ? { problem: p } : { wire };
}

/** The plain message object the app receives, as Agora's SDK builds it. */
export function fromWire(w: WireMessage): RtmMessage {
  if (w.type === 'RAW') {
    const raw = w.raw instanceof Uint8Array ? new Uint8Array(w.raw) : new Uint8Array(0);
    return { rawMessage: raw, description: w.description ?? '', messageType: 'RAW' };
  }
  if ((w.type === 'IMAGE' || w.type === 'FILE') && w.media)
    return fromWireMedia(w.type, w.media, w.description);
  return { text: w.text ?? '', messageType: 'TEXT' };
}

function fromWireMedia(
  type: 'IMAGE' | 'FILE',
  m: WireMedia,
  description = '',
): RtmImageMessage | RtmFileMessage {
  const { width, height, thumbnailWidth, thumbnailHeight } = m;
  const msg = mediaMessage(type, {
    ...{ mediaId: m.id, size: m.size, fileName: m.fileName, description },
    ...{ width, height, thumbnailWidth, thumbnailHeight },
  });
  const thumb = m.thumbnail && typeof Blob !== 'undefined' ? new Blob([m.thumbnail as BlobPart]) : undefined;
  return thumb ? Object.assign(msg, { thumbnail: thumb, thumbnailData: thumb }) : msg;
}

/** An image or file message with Agora's defaults (0 dimensions, empty strings). */
export function mediaMessage(
  type: 'IMAGE' | 'FILE',
  m: Partial<Omit<RtmImageMessage, 'messageType'>> & { mediaId: string },
): RtmImageMessage | RtmFileMessage {
  const base = {
    mediaId: m.mediaId,
    size: m.size ?? 0,
    fileName: m.fileName ?? '',
    description: m.description ?? '',
  };
  if (type === 'FILE') return { ...base, messageType: 'FILE' };
  return {
    ...base,
    messageType: 'IMAGE',
    width: m.width ?? 0,
    height: m.height ?? 0,
    thumbnailWidth: m.thumbnailWidth ?? 0,
    thumbnailHeight: m.thumbnailHeight ?? 0,
  };
}

export function receivedProps(ts: number, offline: boolean | undefined): ReceivedMessageProperties {
  return { serverReceivedTs: ts, isOfflineMessage: offline === true };
}
