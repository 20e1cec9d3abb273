import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryChannelAttrsStore } from '../../src/adapters/embedded/memory-channel-attrs-store.js';
import { MemoryChannelStore } from '../../src/adapters/embedded/memory-channel-store.js';
import { SessionChannels } from '../../src/features/channels/session-channels.js';
import type { ChannelAttribute } from '../../src/ports/channel-attrs-store.js';

/**
 * The memory ChannelStore and ChannelAttrsStore as the channel features rely on them. The Redis
 * parts are checked against these in test/cluster/redis-stores.test.ts.
 */
const APP = 'app';

describe('MemoryChannelStore', () => {
  it('counts members and tells whether a join or leave changed the set', async () => {
    const s = new MemoryChannelStore();
    expect(await s.join(APP, 'room', { uid: 'a', nodeId: 'n1', sessionId: 's1' })).toEqual({
      changed: true,
      count: 1,
    });
    expect(await s.join(APP, 'room', { uid: 'b', nodeId: 'n2', sessionId: 's2' })).toEqual({
      changed: true,
      count: 2,
    });
    // the same session again: no change
    expect(await s.join(APP, 'room', { uid: 'a', nodeId: 'n1', sessionId: 's1' })).toEqual({
      changed: false,
      count: 2,
    });
    expect((await s.members(APP, 'room')).sort()).toEqual(['a', 'b']);
    expect(await s.counts(APP, ['room', 'none'])).toEqual([2, 0]);
    expect(await s.leave(APP, 'room', 'b', 's2')).toEqual({ changed: true, count: 1 });
    expect(await s.leave(APP, 'room', 'b', 's2')).toEqual({ changed: false, count: 1 });
    expect(await s.leave(APP, 'room', 'a', 's1')).toEqual({ changed: true, count: 0 });
    expect(await s.members(APP, 'room')).toEqual([]);
    // apps are separate
    await s.join(APP, 'room', { uid: 'a', nodeId: 'n1', sessionId: 's1' });
    expect(await s.counts('other', ['room'])).toEqual([0]);
  });

  it('moves a uid to its newer session; the older session can no longer remove it', async () => {
    const s = new MemoryChannelStore();
    await s.join(APP, 'room', { uid: 'a', nodeId: 'n1', sessionId: 'old' });
    await s.join(APP, 'other', { uid: 'a', nodeId: 'n1', sessionId: 'old' });
    expect(await s.join(APP, 'room', { uid: 'a', nodeId: 'n2', sessionId: 'new' })).toEqual({
      changed: false,
      count: 1,
    });
    expect(await s.channelsOf(APP, 'a', 'old')).toEqual(['other']);
    expect(await s.channelsOf(APP, 'a', 'new')).toEqual(['room']);
    expect(await s.leave(APP, 'room', 'a', 'old')).toEqual({ changed: false, count: 1 });
    expect(await s.leave(APP, 'room', 'a', 'new')).toEqual({ changed: true, count: 0 });
    expect(await s.channelsOf(APP, 'a', 'new')).toEqual([]);
  });
});

describe('MemoryChannelAttrsStore', () => {
  const attr = (key: string, value: string, by = 'u', ts = 1): ChannelAttribute => ({
    key,
    value,
    lastUpdateUserId: by,
    lastUpdateTs: ts,
  });
  const LIMITS = { maxPairs: 3, maxTotalBytes: 20 };
  let s: MemoryChannelAttrsStore;
  beforeEach(() => {
    s = new MemoryChannelAttrsStore();
  });
  afterEach(() => vi.useRealTimers());

  it('replaces, merges within the limits, removes, and answers the full set', async () => {
    expect(await s.replace(APP, 'c', [attr('a', '1'), attr('b', '2')])).toEqual([
      attr('a', '1'),
      attr('b', '2'),
    ]);
    expect(await s.upsert(APP, 'c', [attr('b', '3', 'v', 2), attr('c', '4')], LIMITS)).toEqual([
      attr('a', '1'),
      attr('b', '3', 'v', 2),
      attr('c', '4'),
    ]);
    expect(await s.upsert(APP, 'c', [attr('d', '5')], LIMITS)).toBe('overflow'); // 4 pairs > 3
    expect(await s.upsert(APP, 'c', [attr('a', 'x'.repeat(20))], LIMITS)).toBe('overflow'); // bytes
    expect((await s.get(APP, 'c')).length).toBe(3); // unchanged by the refused writes
    expect(await s.getByKeys(APP, 'c', ['c', 'zz', 'c'])).toEqual([attr('c', '4')]);
    expect(await s.remove(APP, 'c', ['a', 'zz'])).toEqual([attr('b', '3', 'v', 2), attr('c', '4')]);
    expect(await s.replace(APP, 'c', [])).toEqual([]);
    expect(await s.get(APP, 'c')).toEqual([]);
  });

  it('copies in and out, so callers cannot alias stored attributes', async () => {
    const a = attr('a', '1');
    await s.replace(APP, 'c', [a]);
    a.value = 'changed';
    const out = await s.get(APP, 'c');
    out[0]!.value = 'changed too';
    expect((await s.get(APP, 'c'))[0]!.value).toBe('1');
  });

  it('drops a channel at its scheduled time unless cancelled; keeps the earliest schedule', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    await s.replace(APP, 'c', [attr('a', '1')]);
    await s.replace(APP, 'kept', [attr('a', '1')]);
    await s.scheduleDrop(APP, 'c', 1_000_500);
    await s.scheduleDrop(APP, 'c', 1_009_000); // later: the earlier one stays
    await s.scheduleDrop(APP, 'kept', 1_000_500);
    await s.cancelDrop(APP, 'kept');
    await s.scheduleDrop(APP, 'none', 1_000_100); // no attributes: nothing to drop
    vi.setSystemTime(1_000_499);
    expect((await s.get(APP, 'c')).length).toBe(1);
    vi.setSystemTime(1_000_500);
    expect(await s.get(APP, 'c')).toEqual([]);
    expect((await s.get(APP, 'kept')).length).toBe(1);
    // a channel written after its drop starts afresh, with no schedule
    await s.replace(APP, 'c', [attr('b', '2')]);
    vi.setSystemTime(1_100_000);
    expect((await s.get(APP, 'c')).length).toBe(1);
  });
});

describe('SessionChannels', () => {
  it('allows 2 joins of one channel per 5 s, per channel', () => {
    const sc = new SessionChannels();
    expect(sc.takeSameChannelJoin('a', 0)).toBe(true);
    expect(sc.takeSameChannelJoin('a', 1000)).toBe(true);
    expect(sc.takeSameChannelJoin('a', 4999)).toBe(false);
    expect(sc.takeSameChannelJoin('b', 4999)).toBe(true);
    expect(sc.takeSameChannelJoin('a', 5000)).toBe(true);
    // many channels: old entries are forgotten, the map stays small
    for (let i = 0; i < 1000; i++) sc.takeSameChannelJoin(`c${i}`, 10_000 + i * 10);
    expect(sc.takeSameChannelJoin('a', 20_000)).toBe(true);
  });

  it('runs membership operations one after another', async () => {
    const sc = new SessionChannels();
    const order: string[] = [];
    const slow = sc.serially(async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push('join');
    });
    const failing = sc.serially(async () => {
      order.push('leave');
      throw new Error('x');
    });
    const after = sc.serially(async () => {
      order.push('end');
    });
    await Promise.allSettled([slow, failing, after]);
    expect(order).toEqual(['join', 'leave', 'end']);
  });
});
