import { Op } from '@parley/protocol';
import type { ChannelAttributes, RtmChannel, RtmClient } from '@parley/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { APP_ID, collect, next, setup, until } from '../helpers.js';
import { RawClient } from '../raw-client.js';
import { metric } from '../wire-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rejection(p: Promise<unknown>): Promise<{ name: string; code: number }> {
  try {
    await p;
  } catch (e) {
    return e as { name: string; code: number };
  }
  throw new Error('expected a rejection');
}

/** The values of an attribute set, without the update stamps. */
const values = (a: ChannelAttributes) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v.value]));

describe('channel attributes', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  afterEach(async () => t?.cleanup());

  const member = async (uid: string, channelId = 'room'): Promise<{ c: RtmClient; ch: RtmChannel }> => {
    const c = await t.login(uid);
    const ch = c.createChannel(channelId);
    await ch.join();
    return { c, ch };
  };

  it('sets, merges, deletes and clears, by any logged-in user, with who and when', async () => {
    t = await setup();
    const outsider = await t.login('olga'); // never joins
    const before = Date.now();
    await outsider.setChannelAttributes('room', { color: 'red', size: 'L' });
    let a = await outsider.getChannelAttributes('room');
    expect(values(a)).toEqual({ color: 'red', size: 'L' });
    expect(a.color!.lastUpdateUserId).toBe('olga');
    expect(a.color!.lastUpdateTs).toBeGreaterThanOrEqual(before - 5);
    expect(a.color!.lastUpdateTs).toBeLessThanOrEqual(Date.now() + 5);

    const bob = await t.login('bob');
    await bob.addOrUpdateChannelAttributes('room', { size: 'XL', shape: 'round' });
    a = await bob.getChannelAttributes('room');
    expect(values(a)).toEqual({ color: 'red', size: 'XL', shape: 'round' });
    expect([a.color!.lastUpdateUserId, a.size!.lastUpdateUserId, a.shape!.lastUpdateUserId]).toEqual([
      'olga',
      'bob',
      'bob',
    ]);

    expect(values(await bob.getChannelAttributesByKeys('room', ['size', 'missing']))).toEqual({ size: 'XL' });
    await bob.deleteChannelAttributesByKeys('room', ['color', 'missing']);
    expect(values(await bob.getChannelAttributes('room'))).toEqual({ size: 'XL', shape: 'round' });
    // set replaces everything
    await outsider.setChannelAttributes('room', { only: 'one' });
    expect(values(await outsider.getChannelAttributes('room'))).toEqual({ only: 'one' });
    await outsider.clearChannelAttributes('room');
    expect(await outsider.getChannelAttributes('room')).toEqual({});
    // attributes are per channel
    await outsider.setChannelAttributes('a', { k: '1' });
    expect(await outsider.getChannelAttributes('b')).toEqual({});
    // a key named like a prototype property is just a key
    await bob.setChannelAttributes('weird', JSON.parse('{"__proto__":"p","constructor":"c"}'));
    const w = await bob.getChannelAttributes('weird');
    expect(Object.keys(w).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(w, '__proto__')?.value.value).toBe('p');
  });

  it('notifies every member with the full set only when asked', async () => {
    t = await setup();
    const a = await member('alice');
    const b = await member('bob');
    const c = await member('carol');
    const outsider = await t.login('olga');
    const got = [a, b, c].map((m) => collect<[ChannelAttributes]>(m.ch, 'AttributesUpdated'));

    await outsider.setChannelAttributes('room', { x: '1' }); // no notification
    await outsider.addOrUpdateChannelAttributes(
      'room',
      { y: '2' },
      { enableNotificationToChannelMembers: false },
    );
    await outsider.addOrUpdateChannelAttributes(
      'room',
      { z: '3' },
      { enableNotificationToChannelMembers: true },
    );
    await until(() => got.every((g) => g.length === 1));
    for (const g of got) expect(values(g[0]![0])).toEqual({ x: '1', y: '2', z: '3' });
    expect(got[0]![0]![0].z!.lastUpdateUserId).toBe('olga');

    // a member's own update reaches every member, itself included
    await b.c.deleteChannelAttributesByKeys('room', ['x'], { enableNotificationToChannelMembers: true });
    await until(() => got.every((g) => g.length === 2));
    for (const g of got) expect(values(g[1]![0])).toEqual({ y: '2', z: '3' });
    await a.c.clearChannelAttributes('room', { enableNotificationToChannelMembers: true });
    await until(() => got.every((g) => g.length === 3));
    for (const g of got) expect(g[2]![0]).toEqual({});

    await outsider.setChannelAttributes('room', { quiet: 'yes' });
    await outsider.clearChannelAttributes('room');
    await sleep(200); // nothing may arrive for updates without notification
    expect(got.map((g) => g.length)).toEqual([3, 3, 3]);
  });

  it('keeps the size limits: 3 invalid, 4 overflow', async () => {
    t = await setup({ rateLimits: false });
    const c = await t.login('alice');
    const code = async (p: Promise<unknown>) => {
      const e = await rejection(p);
      return `${e.name} ${e.code}`;
    };
    const ARG = 'RtmInvalidArgumentError 3';
    const SIZE = 'RtmLimitExceededError 4';
    expect(await code(c.setChannelAttributes('bad/id', { k: 'v' }))).toBe(ARG);
    expect(await code(c.setChannelAttributes('room', { '': 'v' }))).toBe(ARG);
    expect(await code(c.setChannelAttributes('room', { ['k'.repeat(33)]: 'v' }))).toBe(ARG);
    expect(await code(c.setChannelAttributes('room', { k: '' }))).toBe(ARG);
    expect(await code(c.setChannelAttributes('room', { k: 1 as unknown as string }))).toBe(ARG);
    expect(await code(c.addOrUpdateChannelAttributes('room', null as never))).toBe(ARG);
    expect(await code(c.setChannelAttributes('room', { k: 'v'.repeat(8193) }))).toBe(SIZE);
    const pairs = (n: number, size = 1) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v'.repeat(size)]));
    expect(await code(c.setChannelAttributes('room', pairs(33)))).toBe(SIZE);
    expect(await code(c.setChannelAttributes('room', pairs(5, 8000)))).toBe(SIZE); // > 32 KB in total
    await c.setChannelAttributes('room', pairs(32)); // 32 pairs: fine
    await c.setChannelAttributes('room', pairs(4, 8000)); // 32,008 bytes: fine
    // the merged result counts: 4 × 8000 + one more 8000 is over 32 KB
    expect(await code(c.addOrUpdateChannelAttributes('room', { extra: 'v'.repeat(8000) }))).toBe(SIZE);
    expect(Object.keys(await c.getChannelAttributes('room')).sort()).toEqual(['k0', 'k1', 'k2', 'k3']);
    expect(await code(c.deleteChannelAttributesByKeys('room', []))).toBe(ARG);
    expect(await code(c.deleteChannelAttributesByKeys('room', ['']))).toBe(ARG);
    expect(await code(c.getChannelAttributesByKeys('room', []))).toBe(ARG);
    expect(
      await code(
        c.getChannelAttributesByKeys(
          'room',
          Array.from({ length: 33 }, (_, i) => `k${i}`),
        ),
      ),
    ).toBe(ARG);
    expect(await code(c.getChannelAttributesByKeys('room', ['k'.repeat(33)]))).toBe(ARG);
    expect(await code(c.getChannelAttributes('null'))).toBe(ARG);

    const out = t.client();
    const e = await rejection(out.getChannelAttributes('room'));
    expect([e.name, e.code]).toEqual(['RtmInvalidStatusError', 102]);
  });

  it('limits calls: writes 10 per 5 s and reads 10 per 5 s (TOO_OFTEN 5)', async () => {
    t = await setup();
    const c = await t.login('alice');
    for (let i = 0; i < 10; i++) await c.addOrUpdateChannelAttributes('room', { k: String(i) });
    const w = await rejection(c.clearChannelAttributes('room'));
    expect([w.name, w.code]).toEqual(['RtmInvokeTooOftenError', 5]);
    for (let i = 0; i < 5; i++) await c.getChannelAttributes('room');
    for (let i = 0; i < 5; i++) await c.getChannelAttributesByKeys('room', ['k']);
    const r = await rejection(c.getChannelAttributes('room'));
    expect([r.name, r.code]).toEqual(['RtmInvokeTooOftenError', 5]);
  });

  it('drops the attributes of a channel that stays empty, keeps those of a channel with members', async () => {
    t = await setup({ rateLimits: false, emptyChannelAttrsTtlMs: 300 });
    const a = await member('alice', 'busy');
    await a.c.setChannelAttributes('busy', { k: 'v' });
    await a.c.setChannelAttributes('empty', { k: 'v' });
    // the empty channel loses its attributes after the TTL
    await eventually(async () => Object.keys(await a.c.getChannelAttributes('empty')).length === 0);
    // the channel with a member keeps them well past it
    await sleep(600);
    expect(values(await a.c.getChannelAttributes('busy'))).toEqual({ k: 'v' });
    // once its last member leaves, they go too
    const left = Date.now();
    await a.ch.leave();
    await eventually(async () => Object.keys(await a.c.getChannelAttributes('busy')).length === 0);
    expect(Date.now() - left).toBeGreaterThanOrEqual(250);
    // a member joining in time keeps them
    await a.c.setChannelAttributes('saved', { k: 'v' });
    await a.c.createChannel('saved').join();
    await sleep(600);
    expect(values(await a.c.getChannelAttributes('saved'))).toEqual({ k: 'v' });
  });

  it('documents the default TTL of attributes of an empty channel: 5 minutes', () => {
    expect(DEFAULT_CONFIG.emptyChannelAttrsTtlMs).toBe(300_000);
  });

  it('enforces the limits on the server too (raw protocol client)', async () => {
    t = await setup();
    const raw = await RawClient.connect(t.server.wsUrl);
    expect((await raw.login({ appId: APP_ID, uid: 'raw' })).code).toBe(0);
    const code = async (op: number, body: unknown) => (await raw.request(op, body)).code;
    expect(await code(Op.SetChannelAttrs, { channelId: 'room', attrs: { k: 'v' } })).toBe(3); // a map, not pairs
    expect(await code(Op.SetChannelAttrs, { channelId: 'room', attrs: [['k', '']] })).toBe(3);
    expect(await code(Op.SetChannelAttrs, { channelId: 'room', attrs: [['k', 'v'.repeat(8193)]] })).toBe(4);
    expect(await code(Op.SetChannelAttrs, { channelId: 'room', attrs: [['k', 'v']], notify: 'yes' })).toBe(3);
    expect(await code(Op.SetChannelAttrs, { channelId: 'room', attrs: [['k', 'v']] })).toBe(0);
    expect(await code(Op.DeleteChannelAttrs, { channelId: 'room', keys: [] })).toBe(3);
    expect(await code(Op.GetChannelAttrsByKeys, { channelId: 'room', keys: [] })).toBe(3);
    const r = await raw.request(Op.GetChannelAttrs, { channelId: 'room' });
    expect(r.code).toBe(0);
    expect((r.body as { attrs: unknown[] }).attrs).toEqual([['k', 'v', 'raw', expect.any(Number)]]);
    raw.close();
  });

  it('caps the attribute bytes an app holds on channels without members (4 SIZE_OVERFLOW), issue 13 item 7', async () => {
    t = await setup({ emptyChannelAttrsMaxBytesPerApp: 20 });
    const refusals = async () => {
      let n = 0;
      for (const s of t.servers)
        n += await metric(s.url, 'parley_quota_refusals_total', { quota: 'empty_channel_attrs_bytes' });
      return n;
    };
    const olga = await t.login('olga'); // never joins
    const v = 'x'.repeat(15); // key 'k' + value: 16 bytes
    // The app holds nothing, then 16 bytes (under 20): both are taken; then it is at its quota.
    await olga.setChannelAttributes('e1', { k: v });
    await olga.addOrUpdateChannelAttributes('e2', { k: v });
    const e = await rejection(olga.setChannelAttributes('e3', { k: v }));
    expect(e.code).toBe(4);
    expect(await rejection(olga.addOrUpdateChannelAttributes('e3', { k: v }))).toMatchObject({ code: 4 });
    expect(await refusals()).toBe(2);
    expect(values(await olga.getChannelAttributes('e3'))).toEqual({});

    // A channel with members is not held by the quota.
    await member('bob', 'busy');
    await olga.setChannelAttributes('busy', { k: v });
    // A member joining e1 takes its bytes off the quota: e3 fits again.
    await member('carol', 'e1');
    await olga.setChannelAttributes('e3', { k: 'y' });
    expect(values(await olga.getChannelAttributes('e3'))).toEqual({ k: 'y' });
    // Deleting and clearing are never refused.
    await olga.deleteChannelAttributesByKeys('e2', ['k']);
    await olga.clearChannelAttributes('e3');

    // Another app has a quota of its own.
    const other = t.client({}, 'fedcba9876543210fedcba9876543210');
    await other.login({ uid: 'olga' });
    await other.setChannelAttributes('e9', { k: v });
  });

  it('notifies members on other nodes', async () => {
    t = await setup({ nodes: 3 });
    const a = await member('alice');
    const b = await member('bob');
    const c = await member('carol');
    const got = Promise.all([a, b, c].map((m) => next<[ChannelAttributes]>(m.ch, 'AttributesUpdated')));
    await a.c.setChannelAttributes('room', { k: 'v' }, { enableNotificationToChannelMembers: true });
    for (const [attrs] of await got) expect(values(attrs)).toEqual({ k: 'v' });
  });
});

/** Polls an async condition until it holds (rejects after 5 s). */
async function eventually(cond: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 5000;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(25);
  }
}
