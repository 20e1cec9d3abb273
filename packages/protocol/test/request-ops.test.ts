import { describe, expect, it } from 'vitest';
import { RATE_LIMITS } from '../src/limits.js';
import { RequestOps } from '../src/request-ops.js';

const ops = Object.entries(RequestOps);

describe('RequestOps (the wire request table)', () => {
  it('gives every op its own number', () => {
    const numbers = ops.map(([, o]) => o.op);
    expect(new Set(numbers).size).toBe(numbers.length);
  });

  it('refuses a body that is not an object with a reason, for every op that takes a body', () => {
    for (const [name, o] of ops) {
      // take no body: anything is ignored
      if (name === 'ClearUserAttrs' || name === 'MediaTicket') continue;
      for (const body of [null, undefined, 'x', 5, [], [1]])
        expect(typeof o.decode(body), `${name} ${JSON.stringify(body)}`).toBe('string');
    }
    expect(RequestOps.ClearUserAttrs.decode('anything')).toBeNull();
    expect(RequestOps.MediaTicket.decode('anything')).toBeNull();
  });

  it('passes a well-formed body through as it came', () => {
    const body = { to: 'bob', msg: { type: 'TEXT', text: 'hi' }, key: null };
    expect(RequestOps.PeerSend.decode(body)).toBe(body);
    expect(RequestOps.Join.decode({ channelId: 'c', since: { id: 'x', ts: Number.NaN } })).toBe(
      'Join body: { channelId: string, since?: { id: string | null, ts: number } }',
    );
  });
});

describe('RATE_LIMITS', () => {
  it('holds positive counts and windows', () => {
    for (const [name, r] of Object.entries(RATE_LIMITS)) {
      expect(r.count, name).toBeGreaterThan(0);
      expect(r.windowMs, name).toBeGreaterThan(0);
    }
  });
});
