import { describe, expect, it } from 'vitest';
import { MemoryNodeRegistry, MemorySessionStore } from '../../src/adapters/embedded/index.js';

/** The in-memory NodeRegistry's primitives keep the contract the liveness logic relies on. */
describe('MemoryNodeRegistry', () => {
  const setup = () => {
    const sessions = new MemorySessionStore();
    return { sessions, reg: new MemoryNodeRegistry(sessions) };
  };
  const claim = (s: MemorySessionStore, uid: string, sessionId: string, nodeId: string) =>
    s.claim('app', uid, { nodeId, sessionId, state: 'ONLINE' });

  it('refuses a node id that beat less than the dead threshold ago, and moves the sessions of a dead previous run to the ghost id', async () => {
    const { sessions, reg } = setup();
    const first = await reg.join('n1', 60_000, 'n1~a', 'e1');
    expect(first).toEqual({ status: 0, ageMs: 0, epoch: 'e1' });
    expect((await reg.join('n1', 60_000, 'n1~b', 'e2')).status).toBe(-1);
    await claim(sessions, 'alice', 's1', 'n1');
    // dead threshold 0: the previous run counts as dead at once
    const again = await reg.join('n1', 0, 'n1~c', 'e3');
    expect(again).toEqual({ status: 1, ageMs: 0, epoch: 'e1' });
    expect(await reg.someEntries('n1', 10)).toEqual([]);
    const [entry] = await reg.someEntries('n1~c', 10);
    expect(reg.parse(entry!)).toEqual({ appId: 'app', uid: 'alice', sessionId: 's1' });
  });

  it('each entry moves once; an ended session leaves the index wherever it is', async () => {
    const { sessions, reg } = setup();
    await claim(sessions, 'alice', 's1', 'dead');
    const [entry] = await reg.someEntries('dead', 10);
    const moves = await Promise.all([reg.move('dead', 'a', entry!), reg.move('dead', 'b', entry!)]);
    expect([...moves].sort()).toEqual([false, true]);
    const winner = moves[0] ? 'a' : 'b';
    expect(await reg.contains(winner, [{ appId: 'app', uid: 'alice', sessionId: 's1' }])).toEqual([true]);
    expect(await sessions.release('app', 'alice', 's1')).toBe(true);
    expect(await reg.someEntries(winner, 10)).toEqual([]);
  });

  it('a node with sessions left stays registered on leave and forget; the cleanup lock has one owner', async () => {
    const { sessions, reg } = setup();
    await reg.join('n1', 1000, 'g', 'e');
    await claim(sessions, 'alice', 's1', 'n1');
    await reg.leave('n1');
    expect(await reg.age('n1')).toBeGreaterThanOrEqual(0);
    await reg.forget('n1', 0);
    expect(await reg.age('n1')).toBeGreaterThanOrEqual(0);
    expect(await reg.lockCleanup('n1', 'n2', 60_000)).toBe(true);
    expect(await reg.lockCleanup('n1', 'n3', 60_000)).toBe(false);
    expect((await reg.dead(0)).nodes.map((n) => n.nodeId)).toEqual(['n1']);
    await sessions.release('app', 'alice', 's1');
    await reg.forget('n1', 0);
    expect(await reg.age('n1')).toBe(-1);
    // forgetting drops the lock too
    expect(await reg.lockCleanup('n1', 'n3', 60_000)).toBe(true);
  });

  it('reads no entry it did not write', () => {
    const { reg } = setup();
    expect(reg.parse('not json')).toBeNull();
    expect(reg.parse('["a","b"]')).toBeNull();
    expect(reg.parse('[1,2,3]')).toBeNull();
  });
});
