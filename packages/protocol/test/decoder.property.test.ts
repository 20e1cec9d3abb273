import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, classify, decodeFrame, encode } from '../src/codec.js';

/** The decoder faces bytes from anyone: it must fail only in the one documented way. */
describe('decoder properties', () => {
  const decodeAndClassify = (bytes: Uint8Array) => {
    try {
      return decodeFrame(bytes).map(classify);
    } catch (e) {
      if (e instanceof DecodeError) return null;
      throw e;
    }
  };

  it('arbitrary bytes: decodeFrame + classify throw nothing but DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 512 }), (bytes) => {
        decodeAndClassify(bytes);
      }),
      { numRuns: 5000 },
    );
  });

  it('bytes that start like MessagePack arrays/maps/ext (the risky headers)', () => {
    const header = fc.constantFrom(
      [0x93],
      [0x94],
      [0xdc, 0xff, 0xff],
      [0xdd, 0xff, 0xff, 0xff, 0xff],
      [0xde, 0xff, 0xff],
      [0xdf, 0x7f, 0xff, 0xff, 0xff],
      [0xc7, 0xff, 0x72],
      [0xd4, 0x72],
      [0xd5, 0x74],
      [0xc9, 0, 0, 1, 0, 0x65],
      [0xcf],
      [0xd3],
    );
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 128 }), (h, tail) => {
        decodeAndClassify(Uint8Array.from([...h, ...tail]));
      }),
      { numRuns: 3000 },
    );
  });

  it('deep nesting is a DecodeError, not a crash', () => {
    const deep = new Uint8Array(200_000).fill(0x91); // [[[[…]]]]
    expect(decodeAndClassify(deep)).toBeNull();
  });

  it('any encodable value classifies without throwing, and valid tuples keep their fields', () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: false, withMap: false, withSet: false, withDate: false }),
        (v) => {
          const r = decodeAndClassify(encode(v));
          expect(r).not.toBeNull();
        },
      ),
      { numRuns: 800 },
    );
    fc.assert(
      fc.property(fc.nat(0xffff), fc.nat(0xffffffff), fc.jsonValue(), (op, reqId, body) => {
        const [m] = decodeAndClassify(encode([op + 1, reqId, body]))!;
        expect(m).toMatchObject({ kind: 'request', op: op + 1, reqId });
      }),
      { numRuns: 1000 },
    );
  });
});
