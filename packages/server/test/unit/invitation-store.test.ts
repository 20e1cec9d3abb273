import { describe, expect, it } from 'vitest';
import { MemoryInvitationStore } from '../../src/adapters/embedded/memory-invitation-store.js';
import { DeadlineTimers } from '../../src/features/invitations/deadline-timers.js';
import type { InvitationRecord, InvitationStore } from '../../src/ports/invitation-store.js';
import { until } from '../helpers.js';

const APP = '0123456789abcdef0123456789abcdef';

function record(id: string, over: Partial<InvitationRecord> = {}): InvitationRecord {
  const now = Date.now();
  return {
    id,
    appId: APP,
    caller: 'alice',
    callerSessionId: 'sa',
    callee: 'bob',
    calleeSessionId: null,
    ownerNode: 'n1',
    content: 'hi',
    channelId: '',
    phase: 'SENT',
    response: '',
    createdAt: now,
    deadline: now + 30_000,
    keepUntil: now + 90_000,
    ...over,
  };
}

/** The InvitationStore contract (the Redis implementation is checked against this one in test/cluster). */
const IMPLEMENTATIONS: Array<[string, () => InvitationStore]> = [
  ['memory', () => new MemoryInvitationStore()],
];

describe.each(IMPLEMENTATIONS)('InvitationStore (%s)', (_name, make) => {
  it('advances only when the match holds, and exactly one of two racing finishers wins', async () => {
    const s = make();
    await s.create(record('i1'));
    expect(
      await s.advance(APP, 'i1', { phases: ['SENT'], callee: 'carol' }, { phase: 'RECEIVED' }),
    ).toBeNull();
    expect(await s.advance(APP, 'i1', { phases: ['RECEIVED'] }, { phase: 'ACCEPTING' })).toBeNull();
    const r = await s.advance(
      APP,
      'i1',
      { phases: ['SENT'], callee: 'bob' },
      { phase: 'RECEIVED', calleeSessionId: 'sb', deadline: 1 },
    );
    expect(r).toMatchObject({ phase: 'RECEIVED', calleeSessionId: 'sb', deadline: 1, content: 'hi' });
    expect(await s.finish(APP, 'i1', { phases: ['RECEIVED'], calleeSessionId: 'other' })).toBeNull();
    const [a, b] = await Promise.all([
      s.finish(APP, 'i1', { phases: ['SENT', 'RECEIVED', 'ACCEPTING'], caller: 'alice' }),
      s.finish(APP, 'i1', { phases: ['RECEIVED'] }),
    ]);
    expect([a, b].filter((x) => x !== null)).toHaveLength(1);
    expect(await s.get(APP, 'i1')).toBeNull();
    expect(await s.listForUser(APP, 'alice')).toEqual([]);
  });

  it("lists a user's invitations as caller and callee, oldest first, per app", async () => {
    const s = make();
    await s.create(record('i2', { createdAt: 2 }));
    await s.create(record('i1', { createdAt: 1, caller: 'bob', callee: 'alice' }));
    await s.create(record('i3', { appId: 'ABCDEFabcdef0123456789abcdef0123' }));
    expect((await s.listForUser(APP, 'alice')).map((r) => r.id)).toEqual(['i1', 'i2']);
    expect((await s.listForUser(APP, 'bob')).map((r) => r.id)).toEqual(['i1', 'i2']);
    expect(await s.listForUser(APP, 'carol')).toEqual([]);
  });

  it('drops a record past keepUntil (an owner that never acted)', async () => {
    const s = make();
    await s.create(record('old', { keepUntil: Date.now() + 50 }));
    expect(await s.get(APP, 'old')).not.toBeNull();
    await new Promise((r) => setTimeout(r, 80)); // let keepUntil pass
    expect(await s.get(APP, 'old')).toBeNull();
    expect(await s.listForUser(APP, 'alice')).toEqual([]);
  });

  it('returns copies: callers cannot change stored records', async () => {
    const s = make();
    await s.create(record('i1'));
    const r = (await s.get(APP, 'i1'))!;
    r.phase = 'ACCEPTING';
    expect((await s.get(APP, 'i1'))!.phase).toBe('SENT');
  });
});

describe('DeadlineTimers', () => {
  it('fires at the deadline, re-arming replaces the timer, clear and close stop it', async () => {
    const fired: string[] = [];
    const t = new DeadlineTimers((_app, id) => fired.push(id));
    t.arm(APP, 'a', Date.now() + 20);
    t.arm(APP, 'a', Date.now() + 40);
    t.arm(APP, 'b', Date.now() - 5);
    t.arm(APP, 'c', Date.now() + 10);
    t.clear('c');
    await until(() => fired.length === 2);
    expect(fired).toEqual(['b', 'a']);
    expect(t.size).toBe(0);
    t.arm(APP, 'd', Date.now() + 10);
    t.close();
    t.arm(APP, 'e', Date.now());
    await new Promise((r) => setTimeout(r, 50));
    expect(fired).toEqual(['b', 'a']);
  });

  it('keeps the earliest deadline: a later one arriving second does not delay the timer', async () => {
    const fired: string[] = [];
    const t = new DeadlineTimers((_app, id) => fired.push(id));
    const now = Date.now();
    t.arm(APP, 'early', now + 10);
    t.arm(APP, 'early', now + 200); // ignored: it would fire later
    t.arm(APP, 'moved', now + 200);
    t.arm(APP, 'moved', now + 20); // earlier: replaces
    t.arm(APP, 'mark', now + 100);
    await until(() => fired.length === 3);
    expect(fired).toEqual(['early', 'moved', 'mark']);
    t.close();
  });
});
