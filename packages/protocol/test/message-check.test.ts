import { describe, expect, it } from 'vitest';
import { checkWireMessage, normalizeWireMessage } from '../src/message-check.js';

const MAX = 32 * 1024;

describe('checkWireMessage', () => {
  it('accepts text up to the limit in UTF-8 bytes', () => {
    expect(checkWireMessage({ type: 'TEXT', text: 'x'.repeat(MAX) }, MAX)).toBeNull();
    expect(checkWireMessage({ type: 'TEXT', text: 'x'.repeat(MAX + 1) }, MAX)).toBe('too_large');
    // 3-byte characters: 10922 × 3 = 32766 ok, 10923 × 3 = 32769 too large
    expect(checkWireMessage({ type: 'TEXT', text: '€'.repeat(10922) }, MAX)).toBeNull();
    expect(checkWireMessage({ type: 'TEXT', text: '€'.repeat(10923) }, MAX)).toBe('too_large');
    expect(checkWireMessage({ type: 'TEXT', text: '' }, MAX)).toBeNull();
  });

  it('counts raw bytes plus description bytes', () => {
    expect(checkWireMessage({ type: 'RAW', raw: new Uint8Array(MAX) }, MAX)).toBeNull();
    expect(checkWireMessage({ type: 'RAW', raw: new Uint8Array(MAX + 1) }, MAX)).toBe('too_large');
    expect(
      checkWireMessage({ type: 'RAW', raw: new Uint8Array(MAX - 2), description: 'ab' }, MAX),
    ).toBeNull();
    expect(checkWireMessage({ type: 'RAW', raw: new Uint8Array(MAX - 2), description: 'abc' }, MAX)).toBe(
      'too_large',
    );
    expect(checkWireMessage({ type: 'RAW', raw: new Uint8Array(MAX - 2), description: 'é' }, MAX)).toBeNull();
    expect(checkWireMessage({ type: 'RAW', raw: new Uint8Array(MAX - 1), description: 'é' }, MAX)).toBe(
      'too_large',
    );
  });

  it('refuses malformed messages', () => {
    const bad: unknown[] = [
      null,
      'text',
      [],
      {},
      { type: 'TEXT' },
      { type: 'TEXT', text: 1 },
      { type: 'TEXT', text: 'x', raw: new Uint8Array(1) },
      { type: 'RAW' },
      { type: 'RAW', raw: 'bytes' },
      { type: 'RAW', raw: [1, 2] },
      { type: 'RAW', raw: new Uint8Array(1), text: 'x' },
      { type: 'RAW', raw: new Uint8Array(1), description: 5 },
      { type: 'IMAGE', text: 'x' },
    ];
    for (const m of bad) expect(checkWireMessage(m, MAX), JSON.stringify(m)).toBe('invalid');
  });
});

describe('normalizeWireMessage', () => {
  it('keeps only the fields of the message type', () => {
    const extra = { type: 'TEXT', text: 'hi', evil: 1 } as never;
    expect(normalizeWireMessage(extra)).toEqual({ type: 'TEXT', text: 'hi' });
    const raw = new Uint8Array([1, 2]);
    expect(normalizeWireMessage({ type: 'RAW', raw })).toEqual({ type: 'RAW', raw, description: '' });
  });
});
