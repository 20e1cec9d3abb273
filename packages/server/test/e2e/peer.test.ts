import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, next, setup, until } from '../helpers.js';

describe('peer messages', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeEach(async () => {
    t = await setup({ rateLimits: false });
  });
  afterEach(async () => t.cleanup());

  it('delivers a text message and reports hasPeerReceived', async () => {
    const alice = await t.login('alice');
    const bob = await t.login('bob');
    const got = next<[unknown, string, { serverReceivedTs: number; isOfflineMessage: boolean }]>(
      bob,
      'MessageFromPeer',
    );
    const before = Date.now();
    const r = await alice.sendMessageToPeer({ text: 'hello' }, 'bob');
    expect(r).toEqual({ hasPeerReceived: true });
    const [msg, from, props] = await got;
    expect(msg).toEqual({ text: 'hello', messageType: 'TEXT' });
    expect(from).toBe('alice');
    expect(props.isOfflineMessage).toBe(false);
    expect(props.serverReceivedTs).toBeGreaterThanOrEqual(before - 5);
  });

  it('answers hasPeerReceived false for an offline peer', async () => {
    const alice = await t.login('alice');
    expect(await alice.sendMessageToPeer({ text: 'x' }, 'nobody')).toEqual({ hasPeerReceived: false });
  });

  it('delivers 1000 messages once and in order', async () => {
    const alice = await t.login('alice');
    const bob = await t.login('bob');
    const got = collect<[{ text: string }]>(bob, 'MessageFromPeer');
    const sends = [];
    for (let i = 0; i < 1000; i++) {
      sends.push(alice.sendMessageToPeer({ text: String(i) }, 'bob'));
      // stay inside the 180 / 3 s budget: the test server lifts rate limits below
    }
    const results = await Promise.all(sends);
    expect(results.every((r) => r.hasPeerReceived)).toBe(true);
    await until(() => got.length >= 1000);
    expect(got.map((g) => Number(g[0].text))).toEqual([...Array(1000).keys()]);
  });
});
