import { describe, expect, it } from 'vitest';
import { AckTracker } from '../../src/delivery/ack-tracker.js';

/** A session as the tracker sees it: records what its stream was confirmed up to. */
const session = () => {
  const confirmed: number[] = [];
  return { confirmed, by: { confirmed: (n: number) => confirmed.push(n) } };
};

describe('AckTracker: an ack confirms the receiver stream up to the acked message', () => {
  it('confirms position + 1 of the message, once; an unknown id confirms nothing', async () => {
    const t = new AckTracker(10_000);
    const bob = session();
    const acked = t.wait('m1', bob.by, 4);
    expect(t.ack('m1', bob.by)).toBe('acked');
    expect(await acked).toBe(true);
    expect(bob.confirmed).toEqual([5]);
    expect(t.ack('m1', bob.by)).toBe('unknown');
    expect(bob.confirmed).toEqual([5]);
    t.close();
  });

  it('a forged ack (another session) confirms nothing and leaves the wait open', () => {
    const t = new AckTracker(10_000);
    const bob = session();
    const mallory = session();
    void t.wait('m1', bob.by, 2);
    expect(t.ack('m1', mallory.by)).toBe('forged');
    expect([bob.confirmed, mallory.confirmed]).toEqual([[], []]);
    expect(t.ack('m1', bob.by)).toBe('acked');
    expect(bob.confirmed).toEqual([3]);
    t.close();
  });

  it('delivered twice to one session: confirms only up to the first delivery', () => {
    const t = new AckTracker(10_000);
    const bob = session();
    void t.wait('m1', bob.by, 3);
    void t.wait('m1', bob.by, 9); // a keyed retry re-delivered under the same id
    t.ack('m1', bob.by);
    expect(bob.confirmed).toEqual([4]);
    t.close();
  });

  it('re-delivered to another session: that session’s position counts; unknown positions confirm nothing', () => {
    const t = new AckTracker(10_000);
    const old = session();
    const bob = session();
    void t.wait('m1', old.by, 3);
    void t.wait('m1', bob.by, 7);
    t.ack('m1', bob.by);
    expect([old.confirmed, bob.confirmed]).toEqual([[], [8]]);
    void t.wait('m2', bob.by); // position not known (sent with the offline backlog)
    t.ack('m2', bob.by);
    void t.wait('m3', bob.by, 10);
    void t.wait('m3', bob.by); // the second delivery's position is not known: nothing confirmed
    t.ack('m3', bob.by);
    expect(bob.confirmed).toEqual([8]);
    t.close();
  });
});
