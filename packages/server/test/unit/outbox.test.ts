import { describe, expect, it } from 'vitest';
import { Outbox } from '../../src/session/outbox.js';

const msg = (n: number, size = 1) => new Uint8Array(size).fill(n % 256);

describe('Outbox', () => {
  it('numbers messages from 0 and replays from any count it still holds', () => {
    const o = new Outbox(10, 1 << 20);
    for (let i = 0; i < 5; i++) o.push(msg(i));
    expect(o.sent).toBe(5);
    expect(o.since(0)!.map((m) => m[0])).toEqual([0, 1, 2, 3, 4]);
    expect(o.since(3)!.map((m) => m[0])).toEqual([3, 4]);
    expect(o.since(5)).toEqual([]);
    expect(o.since(6)).toBeNull(); // the client claims more than was sent
  });

  it('drops the oldest beyond maxItems; a replay that needs them is impossible', () => {
    const o = new Outbox(3, 1 << 20);
    for (let i = 0; i < 5; i++) o.push(msg(i));
    expect(o.sent).toBe(5);
    expect(o.since(1)).toBeNull();
    expect(o.since(2)!.map((m) => m[0])).toEqual([2, 3, 4]);
  });

  it('drops the oldest beyond maxBytes but always keeps the newest', () => {
    const o = new Outbox(100, 10);
    o.push(msg(0, 4));
    o.push(msg(1, 4));
    o.push(msg(2, 4)); // 12 bytes > 10: message 0 goes
    expect(o.since(0)).toBeNull();
    expect(o.since(1)!.map((m) => m[0])).toEqual([1, 2]);
    o.push(msg(3, 50)); // bigger than the budget alone: kept, everything older goes
    expect(o.since(3)!.map((m) => m[0])).toEqual([3]);
    expect(o.since(2)).toBeNull();
  });

  it('stays bounded over a long session (compaction)', () => {
    const o = new Outbox(16, 1 << 20);
    for (let i = 0; i < 100_000; i++) o.push(msg(i));
    expect(o.sent).toBe(100_000);
    expect(o.since(100_000 - 16)!.length).toBe(16);
    // the backing array is compacted: never more than a few thousand slots
    expect((o as unknown as { items: unknown[] }).items.length).toBeLessThan(4096);
  });
});
