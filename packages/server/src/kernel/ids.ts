import { randomFillSync } from 'node:crypto';

/** Random bytes per id: 72 bits, 12 base64url characters. */
const RANDOM_BYTES = 9;

/**
 * Ids `<prefix><boot time><tag><counter>`: the counter makes them unique on this node, the boot
 * time across restarts of a node with a fixed --node-id (SDKs drop ids they saw, a rejoin's
 * history cursor names one), the tag (never a base36 digit) across id sources.
 */
export class SequenceIds {
  private seq = 0;
  protected readonly head: string;

  constructor(prefix: string, tag: string) {
    this.head = `${prefix}${Date.now().toString(36)}${tag}`;
  }

  next(): string {
    return `${this.head}${this.count()}`;
  }

  /** The next counter value, base36. */
  protected count(): string {
    return (++this.seq).toString(36);
  }
}

/**
 * Message ids: a SequenceIds id plus `.<random>`. The random tail makes the next id unguessable
 * from the last one: ids name messages in acks (docs/security.md). The random bytes come from a
 * pool refilled every 512 ids, so an id costs no system call.
 */
export class MessageIds extends SequenceIds {
  private readonly pool = Buffer.allocUnsafe(RANDOM_BYTES * 512);
  private off = this.pool.length;

  override next(): string {
    if (this.off === this.pool.length) {
      randomFillSync(this.pool);
      this.off = 0;
    }
    const r = this.pool.toString('base64url', this.off, (this.off += RANDOM_BYTES));
    return `${this.head}${this.count()}.${r}`;
  }
}
