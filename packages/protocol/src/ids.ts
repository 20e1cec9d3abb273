/**
 * Id rules of Agora RTM 1.x, as its Web runtime applies them (spec rtm-1x-api.md §4.2):
 * 1–64 chars from the allowed set (any whitespace included), never the string "null".
 */
const ID_RE = /^[\s\w!#$%&()+,.:;<=>?@[\]^{|}~-]{1,64}$/;
const APP_ID_RE = /^[\dA-Za-z]{32}$/;

export function isValidUserId(id: unknown): id is string {
  return typeof id === 'string' && ID_RE.test(id) && id !== 'null';
}

/** Channel ids follow the same rule as user ids. */
export const isValidChannelId = isValidUserId;

export function isValidAppId(id: unknown): id is string {
  return typeof id === 'string' && APP_ID_RE.test(id);
}

/** Longest idempotency key of a send (PeerSend `key`, REST `Idempotency-Key`). */
export const MAX_SEND_KEY_LENGTH = 64;
const SEND_KEY_RE = /^[\x21-\x7e]{1,64}$/;

/**
 * An idempotency key: 1–64 printable ASCII characters, no spaces. The sender picks it once per
 * message and sends it again with every retry of that message (docs/protocol.md, "Exactly once").
 */
export function isValidSendKey(key: unknown): key is string {
  return typeof key === 'string' && SEND_KEY_RE.test(key);
}

/**
 * The second name receivers de-duplicate a message by, besides its id: its sender and idempotency
 * key, when the sender gave one (a re-send that reached the server as a new message has a new id
 * but the same key); null without a key. Keys hold no newline, so the split is unambiguous.
 */
export function sendKeyIdentity(ev: { from: string; key?: unknown }): string | null {
  return typeof ev.key === 'string' ? `${ev.from}\n${ev.key}` : null;
}

/** UTF-8 length without allocating (browser-safe). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}
