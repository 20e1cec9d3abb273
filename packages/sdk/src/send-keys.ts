/**
 * Idempotency keys for sends (docs/protocol.md, "Exactly once"): this instance's random prefix
 * and a counter.
 */
export class SendKeys {
  private seq = 0;
  private readonly prefix = randomKeyPrefix();

  next(): string {
    return `${this.prefix}${(++this.seq).toString(36)}`;
  }
}

/** 12 random base64url characters and a dot (Node ≥ 20 and browsers have `crypto.getRandomValues`). */
function randomKeyPrefix(): string {
  const b = new Uint8Array(9);
  globalThis.crypto.getRandomValues(b);
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return `${btoa(s).replace(/\+/g, '-').replace(/\//g, '_')}.`;
}
