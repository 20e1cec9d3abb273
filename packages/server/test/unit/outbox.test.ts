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

  it('drops what the client acknowledged; a replay from its count or later still works', () => {
    const o = new Outbox(10, 1 << 20);
    for (let i = 0; i < 6; i++) o.push(msg(i));
    o.ack(4);
    expect(o.sent).toBe(6);
    expect(o.since(3)).toBeNull(); // the client said it processed it: gone
    expect(o.since(4)!.map((m) => m[0])).toEqual([4, 5]);
    o.push(msg(6));
    expect(o.since(5)!.map((m) => m[0])).toEqual([5, 6]);
    o.ack(7);
    expect(o.since(7)).toEqual([]);
    expect(o.sent).toBe(7);
  });

  it('ignores counts it cannot use: older than what is gone, beyond what was sent, not integers', () => {
    const o = new Outbox(10, 1 << 20);
    for (let i = 0; i < 5; i++) o.push(msg(i));
    o.ack(3);
    for (const bad of [2, 0, -1, 6, 3.5, Number.NaN, Number.POSITIVE_INFINITY]) o.ack(bad);
    expect(o.since(3)!.map((m) => m[0])).toEqual([3, 4]);
  });

  it('acks keep a busy session small and bytes counted (the byte bound still holds)', () => {
    const o = new Outbox(1000, 40);
    for (let i = 0; i < 10_000; i++) {
      o.push(msg(i, 8));
      if (i % 3 === 2) o.ack(o.sent - 1);
    }
    expect(o.sent).toBe(10_000);
    expect(o.since(9_999)!.map((m) => m[0])).toEqual([9_999 % 256]);
    for (let i = 0; i < 10; i++) o.push(msg(i, 8)); // 11 × 8 bytes > 40: only the newest 5 stay
    expect(o.since(10_005)).toHaveLength(5);
    expect(o.since(10_004)).toBeNull();
    expect((o as unknown as { items: unknown[] }).items.length).toBeLessThan(64);
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
