import { Packr, Unpackr } from 'msgpackr';

/**
 * MessagePack codec. A WebSocket frame carries one or more concatenated MessagePack values, so
 * the server can batch by concatenating already-encoded messages without re-encoding them.
 */
const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

export type RequestMsg = [op: number, reqId: number, body: unknown];
export type ResponseMsg = [op: 0, reqId: number, code: number, body: unknown];
export type EventMsg = [op: number, body: unknown];

export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

export const encodeRequest = (op: number, reqId: number, body: unknown): Uint8Array =>
  encode([op, reqId, body]);
export const encodeResponse = (reqId: number, code: number, body: unknown): Uint8Array =>
  encode([0, reqId, code, body ?? null]);
export const encodeEvent = (op: number, body: unknown): Uint8Array => encode([op, body]);

export class DecodeError extends Error {
  override name = 'DecodeError';
}

/** Decodes every value in a frame. Throws DecodeError on anything that is not MessagePack. */
export function decodeFrame(bytes: Uint8Array): unknown[] {
  if (bytes.byteLength === 0) throw new DecodeError('empty frame');
  try {
    const out = unpackr.unpackMultiple(bytes as Buffer) as unknown[] | undefined;
    return out ?? [];
  } catch (e) {
    throw new DecodeError(`not MessagePack: ${(e as Error).message}`);
  }
}

export type Classified =
  | { kind: 'request'; op: number; reqId: number; body: unknown }
  | { kind: 'response'; reqId: number; code: number; body: unknown }
  | { kind: 'event'; op: number; body: unknown }
  | { kind: 'invalid'; reason: string };

const isUint = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

/** Tells the three message shapes apart without trusting anything in the value. */
export function classify(msg: unknown): Classified {
  if (!Array.isArray(msg)) return { kind: 'invalid', reason: 'message is not an array' };
  const op = msg[0];
  if (!isUint(op)) return { kind: 'invalid', reason: 'op is not an unsigned integer' };
  if (op === 0) {
    if (msg.length !== 4 || !isUint(msg[1]) || !isUint(msg[2]))
      return { kind: 'invalid', reason: 'bad response tuple' };
    return { kind: 'response', reqId: msg[1], code: msg[2], body: msg[3] };
  }
  if (msg.length === 3) {
    if (!isUint(msg[1])) return { kind: 'invalid', reason: 'reqId is not an unsigned integer' };
    return { kind: 'request', op, reqId: msg[1], body: msg[2] };
  }
  if (msg.length === 2) return { kind: 'event', op, body: msg[1] };
  return { kind: 'invalid', reason: `tuple of length ${msg.length}` };
}

/** Joins encoded messages into one frame (batching). */
export function concatFrames(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  return joinFrames(parts[0]!, parts, 1);
}

/**
 * Joins `first` and `more` (from index `from`) into one frame: MessagePack values simply follow
 * one another. `alloc` makes the output (the server passes a pooled, not zero-filled Buffer:
 * every byte is written).
 */
export function joinFrames(
  first: Uint8Array,
  more: readonly Uint8Array[],
  from = 0,
  alloc: (bytes: number) => Uint8Array = (n) => new Uint8Array(n),
): Uint8Array {
  let n = first.byteLength;
  for (let i = from; i < more.length; i++) n += more[i]!.byteLength;
  const out = alloc(n);
  out.set(first, 0);
  let o = first.byteLength;
  for (let i = from; i < more.length; i++) {
    const p = more[i]!;
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}
