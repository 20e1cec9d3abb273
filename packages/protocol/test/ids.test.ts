import { describe, expect, it } from 'vitest';
import { isValidAppId, isValidChannelId, isValidUserId, utf8Length } from '../src/ids.js';

describe('isValidUserId (spec rtm-1x-api.md §4.2, the Web runtime validator)', () => {
  it('accepts what Agora 1.5.1 accepts', () => {
    const ok = [
      'a',
      'alice',
      ' abc', // leading space
      'abc ', // trailing space
      'a\tb', // any whitespace
      'NULL', // the check is case-sensitive
      'Null',
      'x'.repeat(64),
      'user_1-2.3',
      '!#$%&()+,-.:;<=>?@[]^_{|}~',
      '0123456789',
    ];
    for (const id of ok) expect(isValidUserId(id), JSON.stringify(id)).toBe(true);
  });

  it('refuses what Agora 1.5.1 refuses', () => {
    const bad: unknown[] = [
      '',
      'null',
      'x'.repeat(65),
      'a*b',
      'a/b',
      'a"b',
      'a\\b',
      'a`b',
      "a'b",
      'é',
      '用户',
      'emoji😀',
      null,
      undefined,
      42,
      {},
      ['alice'],
    ];
    for (const id of bad) expect(isValidUserId(id), JSON.stringify(id)).toBe(false);
  });

  it('channel ids follow the same rule', () => {
    expect(isValidChannelId('room 1')).toBe(true);
    expect(isValidChannelId('null')).toBe(false);
    expect(isValidChannelId('x'.repeat(65))).toBe(false);
  });
});

describe('isValidAppId', () => {
  it('is exactly 32 characters [0-9A-Za-z]', () => {
    expect(isValidAppId('0123456789abcdef0123456789ABCDEF')).toBe(true);
    expect(isValidAppId('0123456789abcdef0123456789abcde')).toBe(false);
    expect(isValidAppId('0123456789abcdef0123456789abcdef0')).toBe(false);
    expect(isValidAppId('0123456789abcdef0123456789abcde-')).toBe(false);
    expect(isValidAppId('')).toBe(false);
    expect(isValidAppId(undefined)).toBe(false);
  });
});

describe('utf8Length', () => {
  it('matches TextEncoder for every kind of code point', () => {
    const samples = ['', 'a', 'é', '€', '用户', '😀', 'a😀b', '\ud800', '\udc00x', 'x\ud83d', '\u07ff\u0800'];
    for (const s of samples)
      expect(utf8Length(s), JSON.stringify(s)).toBe(new TextEncoder().encode(s).byteLength);
  });
});
