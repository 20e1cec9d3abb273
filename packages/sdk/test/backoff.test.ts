import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, backoffDelay } from '../src/backoff.js';

describe('backoffDelay (full jitter, floor, cap)', () => {
  const cfg = { baseMs: 100, capMs: 1000, floorMs: 50 };

  it('draws uniformly in [0, min(cap, base·2^attempt)) and never below the floor', () => {
    expect(backoffDelay(0, cfg, () => 0)).toBe(50); // floor
    expect(backoffDelay(0, cfg, () => 0.999)).toBe(99);
    expect(backoffDelay(1, cfg, () => 0.999)).toBe(199);
    expect(backoffDelay(3, cfg, () => 0.5)).toBe(400);
  });

  it('is capped', () => {
    expect(backoffDelay(4, cfg, () => 0.999)).toBe(999);
    expect(backoffDelay(50, cfg, () => 0.999)).toBe(999);
    expect(backoffDelay(1e9, cfg, () => 0.999)).toBe(999);
  });

  it('jitters: delays for one attempt spread across the range', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(Math.floor(backoffDelay(10, cfg) / 100));
    expect(seen.size).toBeGreaterThan(5);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(i % 12, cfg);
      expect(d).toBeGreaterThanOrEqual(cfg.floorMs);
      expect(d).toBeLessThan(cfg.capMs);
    }
  });

  it('has sane defaults (floor > 0 so a dead server is never hammered)', () => {
    expect(DEFAULT_BACKOFF.floorMs).toBeGreaterThan(0);
    expect(DEFAULT_BACKOFF.capMs).toBeGreaterThanOrEqual(DEFAULT_BACKOFF.baseMs);
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 0)).toBe(DEFAULT_BACKOFF.floorMs);
  });
});
