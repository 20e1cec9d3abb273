import { isBytes, isObj, isStr, optStr } from './validate.js';
import { utf8Length } from './ids.js';
import type { WireMessage } from './messages.js';

export type MessageProblem = 'invalid' | 'too_large';

/**
 * Checks a message against the RTM rules: TEXT carries `text` only, RAW carries `raw` bytes and an
 * optional description; text bytes (or raw bytes + description bytes) ≤ maxBytes.
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
  return 'invalid';
}

/** Copies only the fields of a valid message, so nothing extra is relayed. */
export function normalizeWireMessage(m: WireMessage): WireMessage {
  return m.type === 'TEXT'
    ? { type: 'TEXT', text: m.text }
    : { type: 'RAW', raw: m.raw, description: m.description ?? '' };
}
