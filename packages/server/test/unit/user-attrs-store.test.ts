import { describe, expect, it } from 'vitest';
import { MemoryUserAttrsStore } from '../../src/adapters/embedded/memory-user-attrs-store.js';
import type { UserAttrsStore } from '../../src/ports/user-attrs-store.js';

/** The UserAttrsStore contract; every adapter runs the same cases. */
const IMPLEMENTATIONS: [string, () => UserAttrsStore][] = [['memory', () => new MemoryUserAttrsStore()]];
const A = 'app1';
const m = (o: Record<string, string>) => new Map(Object.entries(o));

describe.each(IMPLEMENTATIONS)('UserAttrsStore (%s)', (_name, make) => {
  it('stores a whole set with its owner and reads all or some keys', async () => {
    const s = make();
    expect(await s.get(A, 'alice')).toBeNull();
    await s.put(A, 'alice', 's1', m({ a: '1', b: '2' }));
    expect(await s.get(A, 'alice')).toEqual({ sessionId: 's1', attrs: m({ a: '1', b: '2' }) });
    expect(await s.get(A, 'alice', ['b', 'zz'])).toEqual({ sessionId: 's1', attrs: m({ b: '2' }) });
    await s.put(A, 'alice', 's1', m({ c: '3' }));
    expect(await s.get(A, 'alice')).toEqual({ sessionId: 's1', attrs: m({ c: '3' }) });
    expect(await s.get('app2', 'alice')).toBeNull();
  });

  it('does not alias the caller’s maps', async () => {
    const s = make();
    const src = m({ a: '1' });
    await s.put(A, 'alice', 's1', src);
    src.set('b', '2');
    const got = (await s.get(A, 'alice'))!;
    got.attrs.set('c', '3');
    expect((await s.get(A, 'alice'))!.attrs).toEqual(m({ a: '1' }));
  });

  it('drops a set only for its owner; an empty put removes the owner’s set', async () => {
    const s = make();
    await s.put(A, 'alice', 's2', m({ a: '1' }));
    await s.drop(A, 'alice', 's1');
    await s.put(A, 'alice', 's1', new Map());
    expect((await s.get(A, 'alice'))?.sessionId).toBe('s2');
    await s.put(A, 'alice', 's2', new Map());
    expect(await s.get(A, 'alice')).toBeNull();
    await s.put(A, 'alice', 's3', m({ a: '1' }));
    await s.drop(A, 'alice', 's3');
    expect(await s.get(A, 'alice')).toBeNull();
  });
});
