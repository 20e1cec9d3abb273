import { TokenFormatError } from './errors.js';

const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;

export function assertU32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_U32) {
    throw new RangeError(`${name} must be an integer in [0, ${MAX_U32}], got ${value}`);
  }
}

/** Little-endian packer for the Agora token layouts (u16, u32, length-prefixed bytes, sorted u16→u32 maps). */
export class ByteWriter {
  private readonly chunks: Buffer[] = [];

  u16(value: number): this {
    const chunk = Buffer.alloc(2);
    chunk.writeUInt16LE(value);
    this.chunks.push(chunk);
    return this;
  }

  i16(value: number): this {
    const chunk = Buffer.alloc(2);
    chunk.writeInt16LE(value);
    this.chunks.push(chunk);
    return this;
  }

  u32(value: number): this {
    assertU32('value', value);
    const chunk = Buffer.alloc(4);
    chunk.writeUInt32LE(value);
    this.chunks.push(chunk);
    return this;
  }

  raw(data: Uint8Array): this {
    this.chunks.push(Buffer.from(data));
    return this;
  }

  /** `u16(byteLength) || bytes`; strings are UTF-8 and the prefix counts bytes, not characters. */
  bytes(data: Uint8Array | string): this {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    if (buf.length > MAX_U16)
      throw new RangeError(`field too long for a u16 length prefix: ${buf.length} bytes`);
    return this.u16(buf.length).raw(buf);
  }

  /** Keys in ascending numeric order, as every reference implementation writes them. */
  map(entries: Record<number, number>): this {
    const keys = Object.keys(entries)
      .map(Number)
      .sort((a, b) => a - b);
    this.u16(keys.length);
    for (const key of keys) {
      if (!Number.isInteger(key) || key < 0 || key > MAX_U16) throw new RangeError(`bad map key ${key}`);
      this.u16(key).u32(entries[key]!);
    }
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Bounds-checked reader: any overrun is a TokenFormatError, never a RangeError from Buffer. */
export class ByteReader {
  private offset = 0;

  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private take(length: number): Buffer {
    if (length > this.remaining) throw new TokenFormatError('token content is truncated');
    const slice = this.buf.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  u16(): number {
    return this.take(2).readUInt16LE();
  }

  i16(): number {
    return this.take(2).readInt16LE();
  }

  u32(): number {
    return this.take(4).readUInt32LE();
  }

  bytes(): Buffer {
    return this.take(this.u16());
  }

  /** Strings must be valid UTF-8; a lossy decode could make two different byte strings compare equal. */
  string(): string {
    const raw = this.bytes();
    const text = raw.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(raw)) throw new TokenFormatError('token contains invalid UTF-8');
    return text;
  }

  map(): Record<number, number> {
    const count = this.u16();
    const entries: Record<number, number> = {};
    for (let i = 0; i < count; i++) {
      const key = this.u16();
      entries[key] = this.u32();
    }
    return entries;
  }

  rest(): Buffer {
    return this.take(this.remaining);
  }

  expectEnd(what: string): void {
    if (this.remaining !== 0) throw new TokenFormatError(`unexpected trailing bytes after ${what}`);
  }
}
