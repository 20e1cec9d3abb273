import { describe, expect, it } from 'vitest';
import { MemoryPresenceStore } from '../../src/adapters/embedded/memory-presence-store.js';
import type { PresenceStore, Watcher } from '../../src/ports/presence-store.js';

/** The PresenceStore contract; every adapter runs the same cases. */
const IMPLEMENTATIONS: [string, () => PresenceStore][] = [['memory', () => new MemoryPresenceStore()]];

const w = (uid: string, sessionId = `${uid}-s1`, nodeId = 'n1'): Watcher => ({ uid, sessionId, nodeId });
const A = 'app1';

describe.each(IMPLEMENTATIONS)('PresenceStore (%s)', (_name, make) => {
  it('indexes subscriptions both ways', async () => {
    const s = make();
    expect(await s.subscribe(A, w('alice'), ['bob', 'carol'], 512)).toEqual({ ok: true, count: 2 });
    expect(await s.subscribe(A, w('dave', 'd1', 'n2'), ['bob'], 512)).toEqual({ ok: true, count: 1 });
    expect(await s.watchersOf(A, 'bob')).toEqual(expect.arrayContaining([w('alice'), w('dave', 'd1', 'n2')]));
    expect(await s.watchersOf(A, 'bob')).toHaveLength(2);
    expect(await s.watchersOf(A, 'carol')).toEqual([w('alice')]);
    expect((await s.targetsOf(A, 'alice', 'alice-s1')).sort()).toEqual(['bob', 'carol']);
    expect(await s.watchersOf(A, 'nobody')).toEqual([]);
    expect(await s.targetsOf(A, 'nobody', 'x')).toEqual([]);
  });

  it('enforces the cap atomically and counts each id once', async () => {
    const s = make();
    expect(await s.subscribe(A, w('alice'), ['a', 'b', 'b'], 3)).toEqual({ ok: true, count: 2 });
    expect(await s.subscribe(A, w('alice'), ['a', 'b'], 3)).toEqual({ ok: true, count: 2 });
    // two new ids would make 4: nothing is added
    expect(await s.subscribe(A, w('alice'), ['c', 'd'], 3)).toEqual({ ok: false, count: 2 });
    expect(await s.watchersOf(A, 'c')).toEqual([]);
    expect(await s.subscribe(A, w('alice'), ['c', 'a'], 3)).toEqual({ ok: true, count: 3 });
  });

  it('keeps sessions, users and apps apart', async () => {
    const s = make();
    await s.subscribe(A, w('alice', 's1'), ['bob'], 1);
    // another session of the same user has its own set and its own cap
    expect(await s.subscribe(A, w('alice', 's2'), ['carol'], 1)).toEqual({ ok: true, count: 1 });
    expect(await s.subscribe('app2', w('alice', 's1'), ['carol'], 1)).toEqual({ ok: true, count: 1 });
    await s.dropWatcher(A, 'alice', 's1');
    expect(await s.watchersOf(A, 'bob')).toEqual([]);
    expect(await s.watchersOf(A, 'carol')).toEqual([w('alice', 's2')]);
    expect(await s.watchersOf('app2', 'carol')).toEqual([w('alice', 's1')]);
  });

  it('unsubscribes some ids, ignoring unknown ones', async () => {
    const s = make();
    await s.subscribe(A, w('alice'), ['bob', 'carol'], 512);
    await s.unsubscribe(A, 'alice', 'alice-s1', ['bob', 'zed']);
    await s.unsubscribe(A, 'nobody', 'x', ['bob']);
    expect(await s.watchersOf(A, 'bob')).toEqual([]);
    expect(await s.targetsOf(A, 'alice', 'alice-s1')).toEqual(['carol']);
    await s.unsubscribe(A, 'alice', 'alice-s1', ['carol']);
    expect(await s.targetsOf(A, 'alice', 'alice-s1')).toEqual([]);
    expect(await s.subscribe(A, w('alice'), ['x'], 1)).toEqual({ ok: true, count: 1 });
  });

  it('drops every subscription of a session, leaving other watchers', async () => {
    const s = make();
    await s.subscribe(A, w('alice'), ['bob', 'carol'], 512);
    await s.subscribe(A, w('dave'), ['bob'], 512);
    await s.dropWatcher(A, 'alice', 'alice-s1');
    await s.dropWatcher(A, 'alice', 'alice-s1');
    expect(await s.watchersOf(A, 'bob')).toEqual([w('dave')]);
    expect(await s.watchersOf(A, 'carol')).toEqual([]);
    expect(await s.targetsOf(A, 'alice', 'alice-s1')).toEqual([]);
  });

  it('answers one lookup with 10,000 watchers of one user', async () => {
    const s = make();
    for (let i = 0; i < 10_000; i++) await s.subscribe(A, w(`u${i}`, `s${i}`, `n${i % 3}`), ['star'], 512);
    const all = await s.watchersOf(A, 'star');
    expect(all).toHaveLength(10_000);
    expect(new Set(all.map((x) => x.uid)).size).toBe(10_000);
  });
});
