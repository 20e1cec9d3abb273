import {
  DEFAULT_LIMITS,
  attrBytes,
  checkAttrEntries,
  checkAttrKeys,
  checkAttrTotals,
  isAttrPairs,
} from '@parley/protocol';
import { describe, expect, it } from 'vitest';

const lim = DEFAULT_LIMITS.userAttrs;

describe('user attribute checks (shared by server and SDK)', () => {
  it('accepts keys of 1–32 UTF-8 bytes and values of 1–8192 bytes', () => {
    expect(
      checkAttrEntries(
        [
          ['k', 'v'],
          ['é'.repeat(16), 'ü'.repeat(4096)],
          ['__proto__', ' '],
        ],
        lim,
      ),
    ).toBe(0);
    expect(checkAttrEntries([], lim)).toBe(0);
  });

  it('answers 3 for a bad key or value and 4 for a long value; 3 wins', () => {
    expect(checkAttrEntries([['', 'v']], lim)).toBe(3);
    expect(checkAttrEntries([['k'.repeat(33), 'v']], lim)).toBe(3);
    expect(checkAttrEntries([['é'.repeat(17), 'v']], lim)).toBe(3);
    expect(checkAttrEntries([['k', '']], lim)).toBe(3);
    expect(checkAttrEntries([['k', 1]], lim)).toBe(3);
    expect(checkAttrEntries([['k', 'v'.repeat(8193)]], lim)).toBe(4);
    expect(checkAttrEntries([['k', 'é'.repeat(4097)]], lim)).toBe(4);
    expect(
      checkAttrEntries(
        [
          ['k', 'v'.repeat(8193)],
          ['', 'v'],
        ],
        lim,
      ),
    ).toBe(3);
    expect(
      checkAttrEntries(
        [
          ['', 'v'],
          ['k', 'v'.repeat(8193)],
        ],
        lim,
      ),
    ).toBe(3);
  });

  it('checks a whole set: ≤ 32 pairs and ≤ 16384 bytes of keys and values', () => {
    const set = new Map(Array.from({ length: 32 }, (_, i) => [`k${i}`, 'v'] as [string, string]));
    expect(checkAttrTotals(set, lim)).toBe(0);
    set.set('k32', 'v');
    expect(checkAttrTotals(set, lim)).toBe(4);
    const big = new Map([
      ['a', 'v'.repeat(8191)],
      ['b', 'v'.repeat(8191)],
    ]);
    expect(attrBytes(big)).toBe(16384);
    expect(checkAttrTotals(big, lim)).toBe(0);
    big.set('c', '');
    expect(checkAttrTotals(big, lim)).toBe(4);
  });

  it('checks key lists: 1–max valid keys', () => {
    expect(checkAttrKeys(['a', 'b'], lim, 32)).toBe(0);
    expect(checkAttrKeys([], lim, 32)).toBe(3);
    expect(checkAttrKeys(['a', ''], lim, 32)).toBe(3);
    expect(
      checkAttrKeys(
        Array.from({ length: 33 }, (_, i) => `k${i}`),
        lim,
        32,
      ),
    ).toBe(3);
    expect(checkAttrKeys('a', lim, 32)).toBe(3);
  });

  it('recognises the wire shape of attribute pairs', () => {
    expect(isAttrPairs([['a', 'b']])).toBe(true);
    expect(isAttrPairs([])).toBe(true);
    expect(isAttrPairs({ a: 'b' })).toBe(false);
    expect(isAttrPairs([['a']])).toBe(false);
    expect(isAttrPairs([['a', 1]])).toBe(false);
    expect(isAttrPairs([['a', 'b', 'c']])).toBe(false);
  });
});
