import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  classify,
  concatFrames,
  decodeFrame,
  encode,
  encodeEvent,
  encodeRequest,
  encodeResponse,
} from '../src/codec.js';

describe('codec', () => {
  it('round-trips the three message shapes', () => {
    const req = decodeFrame(encodeRequest(10, 7, { to: 'bob', msg: { type: 'TEXT', text: 'hi' } }));
    expect(req.map(classify)).toEqual([
      { kind: 'request', op: 10, reqId: 7, body: { to: 'bob', msg: { type: 'TEXT', text: 'hi' } } },
    ]);
    expect(decodeFrame(encodeResponse(7, 5, undefined)).map(classify)).toEqual([
      { kind: 'response', reqId: 7, code: 5, body: null },
    ]);
    expect(decodeFrame(encodeEvent(11, { id: 'x' })).map(classify)).toEqual([
      { kind: 'event', op: 11, body: { id: 'x' } },
    ]);
  });

  it('carries raw bytes as bytes, every byte value intact', () => {
    const raw = Uint8Array.from({ length: 256 }, (_, i) => i);
    const bytes = encodeEvent(11, { raw });
    // binary, not base64: the frame is barely larger than the payload
    expect(bytes.byteLength).toBeLessThan(256 + 16);
    const [m] = decodeFrame(bytes).map(classify);
    const got = (m as { body: { raw: Uint8Array } }).body.raw;
    expect(got).toBeInstanceOf(Uint8Array);
    expect([...got]).toEqual([...raw]);
  });

  it('a batched frame decodes to its messages in order', () => {
    const parts = [encodeEvent(11, 1), encodeResponse(3, 0, 'a'), encodeEvent(4, null)];
    const frame = concatFrames(parts);
    expect(frame.byteLength).toBe(parts.reduce((n, p) => n + p.byteLength, 0));
    expect(
      decodeFrame(frame)
        .map(classify)
        .map((m) => m.kind),
    ).toEqual(['event', 'response', 'event']);
    expect(concatFrames([parts[0]!])).toBe(parts[0]);
  });

  it('throws DecodeError on empty or non-MessagePack frames', () => {
    expect(() => decodeFrame(new Uint8Array(0))).toThrow(DecodeError);
    expect(() => decodeFrame(new Uint8Array([0x92, 0x01]))).toThrow(DecodeError); // array cut short
    expect(() => decodeFrame(new Uint8Array([0xdb, 0xff, 0xff, 0xff, 0xff]))).toThrow(DecodeError); // str32 past the end
    expect(() => decodeFrame(new TextEncoder().encode('{"json":true}'))).not.toThrow(); // decodes, then classify says invalid
    expect(decodeFrame(new TextEncoder().encode('{')).map(classify)).toEqual([
      { kind: 'invalid', reason: 'message is not an array' },
    ]);
  });

  it('classify tells invalid shapes apart without throwing', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ op: 1 }, /not an array/],
      ['x', /not an array/],
      [[], /op/],
      [[-1, 1, {}], /op/],
      [[1.5, 1, {}], /op/],
      [['1', 1, {}], /op/],
      [[2 ** 32, 1, {}], /op/],
      [[1, -1, {}], /reqId/],
      [[1, 'r', {}], /reqId/],
      [[1, 1.5, {}], /reqId/],
      [[0, 1, 0], /response/],
      [[0, 'x', 0, null], /response/],
      [[0, 1, -2, null], /response/],
      [[1], /length 1/],
      [[1, 2, 3, 4], /length 4/],
    ];
    for (const [v, reason] of bad) {
      const c = classify(v);
      expect(c.kind).toBe('invalid');
      expect((c as { reason: string }).reason).toMatch(reason);
    }
    expect(classify([1, 0xffffffff, null])).toMatchObject({ kind: 'request', reqId: 0xffffffff });
  });

  it('decodes 64-bit integers as BigInt, which classify rejects as ids', () => {
    const [v] = decodeFrame(new Uint8Array([0x93, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0, 0x01, 0xc0]));
    expect(classify(v)).toMatchObject({ kind: 'invalid' });
  });

  it('never lets a key named __proto__ change an object prototype', () => {
    const frame = encode([1, 1, JSON.parse('{"__proto__":{"appId":"x"}}')]);
    const [m] = decodeFrame(frame).map(classify);
    const body = (m as { body: Record<string, unknown> }).body;
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(body.appId).toBeUndefined();
    expect(({} as Record<string, unknown>).appId).toBeUndefined();
  });
});
