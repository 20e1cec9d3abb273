/**
 * The messages a session sent, numbered implicitly from 0: message n is the n-th server → client
 * message of the session. The client counts what it processed; on resume the server replays
 * from that count. The client also reports its count now and then (on `Ping`), and what it has
 * processed is dropped, so a healthy connected session keeps only what is still in flight.
 * Bounded by count and bytes; what falls out can no longer be replayed, and a resume that needs
 * it fails (the client then logs in again).
 */
export class Outbox {
  /** kept messages: items[head] is number `base`; NONE (shared, never written) while empty */
  private items: Uint8Array[] = NONE;
  private head = 0;
  private bytes = 0;
  private base = 0;

  constructor(
    private readonly maxItems: number,
    private readonly maxBytes: number,
  ) {}

  /** Total messages ever pushed. */
  get sent(): number {
    return this.base + (this.items.length - this.head);
  }

  push(msg: Uint8Array): void {
    if (this.items === NONE) this.items = [];
    this.items.push(msg);
    this.bytes += msg.byteLength;
    if (this.items.length - this.head > this.maxItems || this.bytes > this.maxBytes) this.dropOverflow();
  }

  /**
   * The client has processed the first `count` messages: they are never replayed, so they go.
   * A count below what is already dropped, above what was sent, or not a count is ignored.
   */
  ack(count: number): void {
    if (!(count > this.base && count <= this.sent && Number.isInteger(count))) return;
    const items = this.items;
    const end = this.head + (count - this.base);
    for (let i = this.head; i < end; i++) {
      this.bytes -= items[i]!.byteLength;
      items[i] = EMPTY;
    }
    this.base = count;
    this.head = end;
    this.compact();
  }

  /** Messages from sequence `from` on, or null if some of them are gone. */
  since(from: number): Uint8Array[] | null {
    if (from < this.base || from > this.sent) return null;
    return this.items.slice(this.head + (from - this.base));
  }

  private dropOverflow(): void {
    const items = this.items;
    while (
      items.length - this.head > this.maxItems ||
      (this.bytes > this.maxBytes && items.length - this.head > 1)
    ) {
      this.bytes -= items[this.head]!.byteLength;
      items[this.head] = EMPTY;
      this.head++;
      this.base++;
    }
    this.compact();
  }

  /** Drops the dead slots before `head` now and then, so the array does not grow without bound. */
  private compact(): void {
    const { items, head } = this;
    if (head === items.length) {
      // Everything is acknowledged: an idle session keeps no array.
      this.items = NONE;
      this.head = 0;
    } else if (head >= 64 && head * 2 >= items.length) {
      items.copyWithin(0, head);
      items.length -= head;
      this.head = 0;
    }
  }
}

const EMPTY = new Uint8Array(0);
const NONE: Uint8Array[] = [];
