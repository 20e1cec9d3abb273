import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Session } from '../src/session/session.js';
import { scheduleTokenTimers, TOKEN_WARNING_MS } from '../src/session/token-timers.js';

/** Only the two fields the scheduler reads and writes. */
const sessionExpiringAt = (tokenExpiresAt: number | null) =>
  ({ tokenExpiresAt, tokenTimers: [] }) as unknown as Session;
const DAY = 24 * 3600 * 1000;

describe('scheduleTokenTimers (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('warns 30 s before expiry and expires at expiry, once each', () => {
    const s = sessionExpiringAt(Date.now() + 60_000);
    const calls: string[] = [];
    scheduleTokenTimers(s, { warn: () => calls.push('warn'), expire: () => calls.push('expire') });
    vi.advanceTimersByTime(60_000 - TOKEN_WARNING_MS - 1);
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual(['warn']);
    vi.advanceTimersByTime(TOKEN_WARNING_MS);
    expect(calls).toEqual(['warn', 'expire']);
    vi.advanceTimersByTime(DAY);
    expect(calls).toEqual(['warn', 'expire']);
  });

  it('a token valid longer than setTimeout can wait (40 days) still fires at the right time', () => {
    const exp = Date.now() + 40 * DAY;
    const s = sessionExpiringAt(exp);
    const at: Record<string, number> = {};
    scheduleTokenTimers(s, { warn: () => (at.warn = Date.now()), expire: () => (at.expire = Date.now()) });
    vi.advanceTimersByTime(41 * DAY);
    expect(at).toEqual({ warn: exp - TOKEN_WARNING_MS, expire: exp });
  });

  it('re-scheduling (a renewal) cancels the old timers; a null expiry arms nothing', () => {
    const s = sessionExpiringAt(Date.now() + 10_000);
    const calls: string[] = [];
    const on = { warn: () => calls.push('warn'), expire: () => calls.push('expire') };
    scheduleTokenTimers(s, on);
    vi.advanceTimersByTime(0);
    expect(calls).toEqual(['warn']); // less than 30 s left: at once
    s.tokenExpiresAt = Date.now() + 3600_000;
    scheduleTokenTimers(s, on);
    vi.advanceTimersByTime(10_000);
    expect(calls).toEqual(['warn']);
    s.tokenExpiresAt = null;
    scheduleTokenTimers(s, on);
    expect(s.tokenTimers).toEqual([]);
    vi.advanceTimersByTime(2 * 3600_000);
    expect(calls).toEqual(['warn']);
  });

  it('a timer that wakes before the wall clock reaches expiry waits for the remainder', () => {
    const exp = Date.now() + 60_000;
    const s = sessionExpiringAt(exp);
    let expiredAt: number | undefined;
    scheduleTokenTimers(s, { warn: () => {}, expire: () => (expiredAt = Date.now()) });
    // The wall clock lags the timer clock by 5 ms (what setTimeout's rounding can do, by 1 ms).
    vi.setSystemTime(Date.now() - 5);
    vi.advanceTimersByTime(60_000);
    expect(expiredAt).toBeUndefined();
    vi.advanceTimersByTime(5);
    expect(expiredAt).toBe(exp);
  });
});
