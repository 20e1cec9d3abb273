import { describe, expect, it } from 'vitest';
import { RateLimits, SlidingWindow } from '../../src/kernel/sliding-window.js';

describe('SlidingWindow', () => {
  it('allows count events in any window, refuses the next, and records nothing when refusing', () => {
    const w = new SlidingWindow(3, 1000);
    expect([w.take(0), w.take(10), w.take(20)]).toEqual([true, true, true]);
    expect(w.take(999)).toBe(false);
    expect(w.take(999)).toBe(false); // a refusal does not push the window out
    expect(w.take(1000)).toBe(true); // event at 0 left the window
    expect(w.take(1005)).toBe(false);
    expect(w.take(1010)).toBe(true);
  });

  it('is a true sliding window (not fixed buckets): 180 per 3 s', () => {
    const w = new SlidingWindow(180, 3000);
    for (let i = 0; i < 180; i++) expect(w.take(2900 + i / 100)).toBe(true);
    // a fixed 3 s bucket would reset at 3000 and allow more here
    expect(w.take(3100)).toBe(false);
    expect(w.take(5899)).toBe(false);
    expect(w.take(5900)).toBe(true);
  });

  it('count 0 refuses everything', () => {
    expect(new SlidingWindow(0, 1000).take(0)).toBe(false);
  });
});

describe('SlidingWindow.full', () => {
  it('says whether the next take would be refused, without recording one', () => {
    const w = new SlidingWindow(2, 1000);
    expect(w.full(0)).toBe(false);
    w.take(0);
    w.take(10);
    expect(w.full(500)).toBe(true);
    expect(w.full(500)).toBe(true);
    expect(w.full(1000)).toBe(false);
    expect(w.take(1000)).toBe(true);
    expect(new SlidingWindow(0, 1000).full(0)).toBe(true);
  });
});

describe('RateLimits', () => {
  it('keeps one window per name', () => {
    const r = new RateLimits(true);
    expect(r.take('a', 1, 1000, 0)).toBe(true);
    expect(r.take('a', 1, 1000, 1)).toBe(false);
    expect(r.take('b', 1, 1000, 1)).toBe(true);
  });

  it('is a no-op when rate limits are off', () => {
    const r = new RateLimits(false);
    for (let i = 0; i < 1000; i++) expect(r.take('a', 1, 1000, 0)).toBe(true);
  });
});
