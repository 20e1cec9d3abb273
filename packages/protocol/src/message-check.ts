import { isBytes, isObj, isStr, optStr, type Obj } from './validate.js';
import { utf8Length } from './ids.js';
import { isValidMediaId, MEDIA_LIMITS, type WireMedia } from './media.js';
import type { WireMessage } from './messages.js';

export type MessageProblem = 'invalid' | 'too_large';

/**
 * Checks a message against the RTM rules: TEXT carries `text` only, RAW carries `raw` bytes and an
 * optional description; text bytes (or raw bytes + description bytes) ≤ maxBytes. IMAGE and FILE
 * carry `media` (checkMedia) and an optional description; file name + description + thumbnail
 * bytes ≤ maxBytes (Agora's 32 KB for "text + file name + thumbnail").
 */
export function checkWireMessage(m: unknown, maxBytes: number): MessageProblem | null {
  if (!isObj(m)) return 'invalid';
  if (m.type === 'TEXT') {
    if (!isStr(m.text) || m.raw !== undefined) return 'invalid';
    // Cheap bound first: a string of n UTF-16 units encodes to at most 3n bytes.
    if (m.text.length * 3 > maxBytes && utf8Length(m.text) > maxBytes) return 'too_large';
    return null;
  }
  if (m.type === 'RAW') {
    if (!isBytes(m.raw) || m.text !== undefined || !optStr(m.description)) return 'invalid';
    const desc = (m.description as string | undefined) ?? '';
    if (m.raw.byteLength + utf8Length(desc) > maxBytes) return 'too_large';
    return null;
  }
  if (m.type === 'IMAGE' || m.type === 'FILE') {
    if (m.text !== undefined || m.raw !== undefined || !optStr(m.description)) return 'invalid';
    if (!isObj(m.media) || !checkMedia(m.media, m.type === 'IMAGE')) return 'invalid';
    const media = m.media as unknown as WireMedia;
    const bytes =
      utf8Length(media.fileName) +
      utf8Length((m.description as string | undefined) ?? '') +
      (media.thumbnail?.byteLength ?? 0);
    return bytes > maxBytes ? 'too_large' : null;
  }
  return 'invalid';
}

const DIMENSIONS = ['width', 'height', 'thumbnailWidth', 'thumbnailHeight'] as const;
const optDim = (v: unknown) => v === undefined || (Number.isInteger(v) && (v as number) >= 0);

/**
 * A media object: a server-made id, its size (0: unknown, a message rebuilt by createMessage
 * without one) up to 30 MB, a file name; dimensions only on an IMAGE.
 */
function checkMedia(x: Obj, image: boolean): boolean {
  if (!isValidMediaId(x.id) || !isStr(x.fileName)) return false;
  if (!Number.isInteger(x.size) || (x.size as number) < 0 || (x.size as number) > MEDIA_LIMITS.maxFileBytes)
    return false;
  if (x.thumbnail !== undefined && !isBytes(x.thumbnail)) return false;
  return DIMENSIONS.every((k) => (image ? optDim(x[k]) : x[k] === undefined));
}

/** Copies only the fields of a valid message, so nothing extra is relayed. */
export function normalizeWireMessage(m: WireMessage): WireMessage {
  if (m.type === 'TEXT') return { type: 'TEXT', text: m.text };
  if (m.type === 'RAW') return { type: 'RAW', raw: m.raw, description: m.description ?? '' };
  return { type: m.type, description: m.description ?? '', media: normalizeMedia(m.media!) };
}

function normalizeMedia(x: WireMedia): WireMedia {
  const out: WireMedia = { id: x.id, size: x.size, fileName: x.fileName };
  if (x.thumbnail !== undefined) out.thumbnail = x.thumbnail;
  for (const k of DIMENSIONS) if (x[k] !== undefined) out[k] = x[k];
  return out;
}
