import { randomFillSync } from 'node:crypto';

/** Random bytes per id: 72 bits, 12 base64url characters. */
const RANDOM_BYTES = 9;

/**
 * Message ids: `<prefix><boot time><tag><counter>.<random>`. The counter makes them unique on this
 * node, the boot time across restarts of a node with a fixed --node-id (SDKs drop ids they saw),
 * the tag (after a "-", never a base36 digit) across id sources. The random tail makes the next
 * id unguessable from the last one: ids name messages in acks (docs/security.md). The random
 * bytes come from a pool refilled every 512 ids, so an id costs no system call.
 */
export class MessageIds {
  private readonly pool = Buffer.allocUnsafe(RANDOM_BYTES * 512);
  private off = this.pool.length;
  private seq = 0;
  private readonly head: string;

  constructor(prefix: string, tag: string) {
    this.head = `${prefix}${Date.now().toString(36)}${tag}`;
  }

  next(): string {
    if (this.off === this.pool.length) {
      randomFillSync(this.pool);
      this.off = 0;
    }
    const r = this.pool.toString('base64url', this.off, (this.off += RANDOM_BYTES));
    return `${this.head}${(++this.seq).toString(36)}.${r}`;
  }
}
