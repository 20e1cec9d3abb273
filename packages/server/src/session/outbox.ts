/**
 * The messages a session sent, numbered implicitly from 0: message n is the n-th server → client
 * message of the session. The client counts what it processed; on resume the server replays
 * from that count. Bounded by count and bytes; what falls out can no longer be replayed, and a
 * resume that needs it fails (the client then logs in again).
 */
export class Outbox {
  private items: Uint8Array[] = [];
  private head = 0;
  private bytes = 0;
  /** sequence number of items[head] */
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
    this.items.push(msg);
    this.bytes += msg.byteLength;
    while (this.items.length - this.head > this.maxItems || (this.bytes > this.maxBytes && this.items.length - this.head > 1)) {
      this.bytes -= this.items[this.head]!.byteLength;
      this.items[this.head] = EMPTY;
      this.head++;
      this.base++;
    }
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Messages from sequence `from` on, or null if some of them are gone. */
  since(from: number): Uint8Array[] | null {
    if (from < this.base || from > this.sent) return null;
    return this.items.slice(this.head + (from - this.base));
  }
}

const EMPTY = new Uint8Array(0);
