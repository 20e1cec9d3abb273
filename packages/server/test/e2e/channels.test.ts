import { Op } from '@parley/protocol';
import type { RtmChannel, RtmClient, RtmConfig } from '@parley/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { APP_ID, collect, next, setup, until } from '../helpers.js';
import { RawClient } from '../raw-client.js';
import { startTcpProxy, type TcpProxy } from '../tcp-proxy.js';

/** Fast reconnects, so tests that cut a link do not wait on the default backoff. */
const FAST: RtmConfig = { reconnect: { baseMs: 50, capMs: 200, floorMs: 20 } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<{ name: string; code: number }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as { name: string; code: number };
  }
  throw new Error('expected a rejection');
}

/** Joins `uid` to `channelId` and returns the client and its channel. */
type Joined = { c: RtmClient; ch: RtmChannel };

describe('channels', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let proxy: TcpProxy | null = null;
  afterEach(async () => {
    await proxy?.close();
    proxy = null;
    await t?.cleanup();
  });

  const member = async (uid: string, channelId = 'room', opts: RtmConfig = {}): Promise<Joined> => {
    const c = await t.login(uid, opts);
    const ch = c.createChannel(channelId);
    await ch.join();
    return { c, ch };
  };
  /** a member whose link goes through a TCP proxy the test can cut */
  const memberViaProxy = async (uid: string, channelId = 'room'): Promise<Joined> => {
    proxy ??= await startTcpProxy(t.server.port);
    return member(uid, channelId, { ...FAST, serverUrl: proxy.url });
  };
  const rawSession = async (uid: string): Promise<RawClient> => {
    const raw = await RawClient.connect(t.server.wsUrl);
    expect((await raw.login({ appId: APP_ID, uid })).code).toBe(0);
    return raw;
  };

  describe('membership and member events', () => {
    it('tells the other members who joined and left, never a member about itself', async () => {
      t = await setup();
      const a = await member('alice');
      const aJoined = collect<[string]>(a.ch, 'MemberJoined');
      const aLeft = collect<[string]>(a.ch, 'MemberLeft');
      const b = await member('bob');
      const bJoined = collect<[string]>(b.ch, 'MemberJoined');
      const bLeft = collect<[string]>(b.ch, 'MemberLeft');
      const c = await member('carol');
      await until(() => aJoined.length === 2 && bJoined.length === 1);
      expect(aJoined.map((x) => x[0])).toEqual(['bob', 'carol']);
      expect(bJoined.map((x) => x[0])).toEqual(['carol']);

      await c.ch.leave();
      await until(() => aLeft.length === 1 && bLeft.length === 1);
      expect(aLeft[0]![0]).toBe('carol');
      expect(bLeft[0]![0]).toBe('carol');
      expect((await a.ch.getMembers()).sort()).toEqual(['alice', 'bob']);
      // after leave, the instance may join again
      await c.ch.join();
      await until(() => aJoined.length === 3);
      expect(aJoined.map((x) => x[0])).toEqual(['bob', 'carol', 'carol']);
      // never about oneself (checked after a short quiet period: nothing more may arrive)
      await sleep(200);
      expect([...aJoined, ...aLeft].some(([m]) => m === 'alice')).toBe(false);
      expect([...bJoined, ...bLeft].some(([m]) => m === 'bob')).toBe(false);
      expect(bJoined.map((x) => x[0])).toEqual(['carol', 'carol']);
      expect([aLeft.length, bLeft.length]).toEqual([1, 1]);
    });

    it('removes a user from every channel with MemberLeft on logout', async () => {
      t = await setup();
      const a = await member('alice', 'r1');
      const a2 = a.c.createChannel('r2');
      await a2.join();
      const b = await member('bob', 'r1');
      const b2 = b.c.createChannel('r2');
      await b2.join();
      const left1 = next<[string]>(a.ch, 'MemberLeft');
      const left2 = next<[string]>(a2, 'MemberLeft');
      await b.c.logout();
      expect((await left1)[0]).toBe('bob');
      expect((await left2)[0]).toBe('bob');
      expect(await a.ch.getMembers()).toEqual(['alice']);
      // the logged-out instance is no longer joined
      const e = await rejection(b.ch.leave());
      expect([e.name, e.code]).toEqual(['RtmInvalidStatusError', 102]);
    });

    it('removes a user with MemberLeft on remote login, and the new session can join', async () => {
      t = await setup();
      const a = await member('alice');
      const b = await member('bob');
      const left = next<[string]>(a.ch, 'MemberLeft');
      const aborted = next<[string, string]>(b.c, 'ConnectionStateChanged');
      const b2 = await t.login('bob');
      expect((await left)[0]).toBe('bob');
      expect(await aborted).toEqual(['ABORTED', 'REMOTE_LOGIN']);
      const joined = next<[string]>(a.ch, 'MemberJoined');
      await b2.createChannel('room').join();
      expect((await joined)[0]).toBe('bob');
      expect((await a.ch.getMembers()).sort()).toEqual(['alice', 'bob']);
    });

    it('keeps a member through a short outage (no MemberLeft) and delivers what it missed', async () => {
      t = await setup({ sessionGraceMs: 5000 });
      const a = await member('alice');
      const b = await memberViaProxy('bob');
      const left = collect<[string]>(a.ch, 'MemberLeft');
      const got = collect<[{ text: string }]>(b.ch, 'ChannelMessage');
      const reconnecting = next(b.c, 'ConnectionStateChanged');
      proxy!.dropAll();
      await reconnecting;
      await a.ch.sendMessage({ text: 'during the outage' });
      await until(() => got.length === 1);
      expect(got[0]![0].text).toBe('during the outage');
      expect(b.c.connectionState).toBe('CONNECTED');
      expect(left).toEqual([]);
      expect((await a.ch.getMembers()).sort()).toEqual(['alice', 'bob']);
    });

    it('ends membership with MemberLeft when the grace period ends, and rejoins after re-login', async () => {
      t = await setup({ sessionGraceMs: 300 });
      const a = await member('alice');
      const b = await memberViaProxy('bob');
      const c = await member('carol');
      const aLeft = collect<[string]>(a.ch, 'MemberLeft');
      const aJoined = collect<[string]>(a.ch, 'MemberJoined');
      const got = collect<[{ text: string }, string]>(b.ch, 'ChannelMessage');
      const bLeft = collect<[string]>(b.ch, 'MemberLeft');
      const bJoined = collect<[string]>(b.ch, 'MemberJoined');
      proxy!.pause('refuse');
      proxy!.dropAll();
      await until(() => aLeft.length === 1, 5000, 'MemberLeft after the grace period');
      expect(aLeft[0]![0]).toBe('bob');
      // sent while bob has no session: kept in the channel's history
      await a.ch.sendMessage({ text: 'while bob was away 1' });
      await c.ch.sendMessage({ text: 'while bob was away 2' });
      proxy!.resume();
      await until(() => aJoined.length === 1, 5000, 'MemberJoined after the rejoin');
      expect(aJoined[0]![0]).toBe('bob');
      await until(() => got.length === 2, 5000, 'history replay');
      expect(got.map(([m, from]) => `${from}:${m.text}`)).toEqual([
        'alice:while bob was away 1',
        'carol:while bob was away 2',
      ]);
      // the channel works as before, and bob is a member again
      await a.ch.sendMessage({ text: 'welcome back' });
      await until(() => got.length === 3);
      expect(got[2]![0].text).toBe('welcome back');
      expect((await b.ch.getMembers()).sort()).toEqual(['alice', 'bob', 'carol']);
      // bob heard nothing about himself
      expect([...bLeft, ...bJoined].some(([m]) => m === 'bob')).toBe(false);
    });

    it('sends a message queued while reconnecting after the channel was rejoined', async () => {
      t = await setup({ sessionGraceMs: 200 });
      const a = await member('alice');
      const b = await memberViaProxy('bob');
      const got = collect<[{ text: string }]>(a.ch, 'ChannelMessage');
      const aLeft = next(a.ch, 'MemberLeft');
      proxy!.pause('refuse');
      proxy!.dropAll();
      await aLeft; // bob's session is gone: the SDK will log in again
      const sent = b.ch.sendMessage({ text: 'queued' });
      proxy!.resume();
      await sent;
      await until(() => got.length === 1);
      expect(got[0]![0].text).toBe('queued');
    });

    it('switches MemberJoined/MemberLeft off above memberEventsMaxMembers, MemberCountUpdated stays', async () => {
      t = await setup({ apps: [{ appId: APP_ID, limits: { memberEventsMaxMembers: 2 } }] });
      const a = await member('alice');
      const joined = collect<[string]>(a.ch, 'MemberJoined');
      const left = collect<[string]>(a.ch, 'MemberLeft');
      const counts = collect<[number]>(a.ch, 'MemberCountUpdated');
      await member('bob'); // 2 members: still notified
      await until(() => joined.length === 1);
      const c = await member('carol'); // 3 > 2: silent
      await until(() => counts.at(-1)?.[0] === 3, 5000, 'count 3');
      await c.ch.leave(); // the channel had 3: silent
      await until(() => counts.at(-1)?.[0] === 2, 5000, 'count 2');
      await sleep(200);
      expect(joined.map((x) => x[0])).toEqual(['bob']);
      expect(left).toEqual([]);
    });

    it('sends MemberCountUpdated on join and on changes, coalesced', async () => {
      t = await setup();
      const a = await member('alice');
      const counts = collect<[number]>(a.ch, 'MemberCountUpdated');
      await until(() => counts.length === 1);
      expect(counts[0]![0]).toBe(1);
      // three joins at once (logged in first, so the joins themselves take milliseconds)
      const clients = await Promise.all(['bob', 'carol', 'dave'].map((u) => t.login(u)));
      const others = clients.map((c) => ({ c, ch: c.createChannel('room') }));
      await Promise.all(others.map((o) => o.ch.join()));
      await until(() => counts.at(-1)?.[0] === 4, 5000, 'count 4');
      // coalesced: at most one event at once and one at the end of the second, not one per join
      expect(counts.length).toBeLessThanOrEqual(3);
      const dCounts = collect<[number]>(others[2]!.ch, 'MemberCountUpdated');
      await others[0]!.ch.leave();
      await until(() => counts.at(-1)?.[0] === 3 && dCounts.at(-1)?.[0] === 3, 5000, 'count 3');
      expect(await a.c.getChannelMemberCount(['room', 'empty'])).toEqual({ room: 3, empty: 0 });
    });

    it('keeps join codes: 1 invalid id, 6 same instance, 202 other instance, 3 leave, 102 logged out', async () => {
      t = await setup();
      const c = await t.login('alice');
      const e1 = await rejection(() => c.createChannel('bad/id'));
      expect([e1.name, e1.code]).toEqual(['RtmInvalidArgumentError', 1]);
      expect((await rejection(() => c.createChannel('null'))).code).toBe(1);
      const ch = c.createChannel('room');
      const notJoined = await rejection(ch.leave());
      expect([notJoined.name, notJoined.code]).toEqual(['RtmInvalidStatusError', 3]);
      await ch.join();
      const twice = await rejection(ch.join());
      expect([twice.name, twice.code]).toEqual(['RtmInvalidStatusError', 6]);
      const same = await rejection(c.createChannel('room').join());
      expect([same.name, same.code]).toEqual(['RtmInvalidStatusError', 202]);
      await ch.leave();
      const again = await rejection(ch.leave());
      expect([again.name, again.code]).toEqual(['RtmInvalidStatusError', 3]);
      // another instance of the id may join once the first left
      await c.createChannel('room').join();

      const out = t.client();
      const o = out.createChannel('room');
      for (const [p, name] of [
        [o.join(), 'join'],
        [o.leave(), 'leave'],
        [o.sendMessage({ text: 'x' }), 'sendMessage'],
        [o.getMembers(), 'getMembers'],
        [out.getChannelMemberCount(['room']), 'getChannelMemberCount'],
      ] as const) {
        const e = await rejection(p);
        expect([name, e.name, e.code]).toEqual([name, 'RtmInvalidStatusError', 102]);
      }
    });

    it('aborts a join in flight when leave() is called (ABORTED_BY_LEAVE 201)', async () => {
      t = await setup();
      const a = await member('alice');
      const c = await t.login('bob');
      const ch = c.createChannel('room');
      const joining = rejection(ch.join());
      await ch.leave();
      const e = await joining;
      expect([e.name, e.code]).toEqual(['RtmInvalidStatusError', 201]);
      expect(await a.ch.getMembers()).toEqual(['alice']);
      // the instance is free to join again
      await ch.join();
      expect((await a.ch.getMembers()).sort()).toEqual(['alice', 'bob']);
    });

    it('allows at most 20 joined channels per client (EXCEED_LIMIT 5)', async () => {
      t = await setup();
      const c = await t.login('alice');
      const chans = Array.from({ length: 20 }, (_, i) => c.createChannel(`c${i}`));
      await Promise.all(chans.map((ch) => ch.join()));
      const e = await rejection(c.createChannel('c20').join());
      expect([e.name, e.code]).toEqual(['RtmLimitExceededError', 5]);
      await chans[0]!.leave();
      await c.createChannel('c20').join();
    });

    it('limits joins: 50 per 3 s (TOO_OFTEN 7) and 2 per 5 s to one channel (8)', async () => {
      t = await setup();
      const c = await t.login('alice');
      const room = c.createChannel('room');
      await room.join();
      await room.leave();
      await room.join();
      await room.leave();
      const same = await rejection(room.join());
      expect([same.name, same.code]).toEqual(['RtmInvokeTooOftenError', 8]);
      // 3 joins so far (the third was refused but counted); 47 more reach the limit of 50.
      // In batches of concurrent joins, so all 50 fit in the window even on a slow store.
      for (const batch of [19, 19, 9]) {
        const chans = Array.from({ length: batch }, (_, i) =>
          c.createChannel(`c${batch}-${i}-${Math.random()}`),
        );
        await Promise.all(chans.map((ch) => ch.join()));
        await Promise.all(chans.map((ch) => ch.leave()));
      }
      const often = await rejection(c.createChannel('one-more').join());
      expect([often.name, often.code]).toEqual(['RtmInvokeTooOftenError', 7]);
    });
  });

  describe('channel messages', () => {
    it('delivers to every other member, never back to the sender', async () => {
      t = await setup();
      const a = await member('alice');
      const b = await member('bob');
      const c = await member('carol');
      const got = {
        alice: collect<[unknown, string, { serverReceivedTs: number; isOfflineMessage: boolean }]>(
          a.ch,
          'ChannelMessage',
        ),
        bob: collect<[unknown, string, { serverReceivedTs: number; isOfflineMessage: boolean }]>(
          b.ch,
          'ChannelMessage',
        ),
        carol: collect<[unknown, string, { serverReceivedTs: number; isOfflineMessage: boolean }]>(
          c.ch,
          'ChannelMessage',
        ),
      };
      const before = Date.now();
      await a.ch.sendMessage({ text: 'hello' });
      await b.ch.sendMessage({ rawMessage: new Uint8Array([1, 2, 3]), description: 'bytes' });
      await until(() => got.carol.length === 2 && got.alice.length === 1 && got.bob.length === 1);
      await sleep(200);
      expect(got.alice.map(([m, from]) => [m, from])).toEqual([
        [{ rawMessage: new Uint8Array([1, 2, 3]), description: 'bytes', messageType: 'RAW' }, 'bob'],
      ]);
      expect(got.bob.map(([m, from]) => [m, from])).toEqual([
        [{ text: 'hello', messageType: 'TEXT' }, 'alice'],
      ]);
      expect(got.carol.map(([, from]) => from)).toEqual(['alice', 'bob']);
      const props = got.carol[0]![2];
      expect(props.isOfflineMessage).toBe(false);
      expect(props.serverReceivedTs).toBeGreaterThanOrEqual(before - 5);
      expect(props.serverReceivedTs).toBeLessThanOrEqual(Date.now() + 5);
    });

    it('delivers 1,000 messages once and in send order to every member', async () => {
      t = await setup({ rateLimits: false });
      const a = await member('alice');
      const b = await member('bob');
      const c = await member('carol');
      const gotB = collect<[{ text: string }]>(b.ch, 'ChannelMessage');
      const gotC = collect<[{ text: string }]>(c.ch, 'ChannelMessage');
      const sends = [];
      for (let i = 0; i < 1000; i++) sends.push(a.ch.sendMessage({ text: String(i) }));
      await Promise.all(sends);
      await until(() => gotB.length >= 1000 && gotC.length >= 1000, 10_000);
      const expected = [...Array(1000).keys()];
      expect(gotB.map((g) => Number(g[0].text))).toEqual(expected);
      expect(gotC.map((g) => Number(g[0].text))).toEqual(expected);
    });

    it('keeps send-message codes: 4 invalid or too large, 5 not joined, 3 over 180 per 3 s', async () => {
      t = await setup();
      const a = await member('alice');
      const e1 = await rejection(a.ch.sendMessage({ text: 'x'.repeat(32 * 1024 + 1) }));
      expect([e1.name, e1.code]).toEqual(['RtmLimitExceededError', 4]);
      await a.ch.sendMessage({ text: 'é'.repeat(16 * 1024) }); // exactly 32 KB of UTF-8
      const e2 = await rejection(a.ch.sendMessage({ text: 'x', rawMessage: new Uint8Array(1) } as never));
      expect([e2.name, e2.code]).toEqual(['RtmInvalidArgumentError', 4]);
      const other = a.c.createChannel('other');
      const e3 = await rejection(other.sendMessage({ text: 'x' }));
      expect([e3.name, e3.code]).toEqual(['RtmInvalidStatusError', 5]);
      // 180 per 3 s, shared with peer messages: 1 channel message sent above, 1 peer message here
      await a.c.sendMessageToPeer({ text: 'p' }, 'nobody');
      const sends = [];
      for (let i = 0; i < 178; i++) sends.push(a.ch.sendMessage({ text: String(i) }));
      await Promise.all(sends);
      const e4 = await rejection(a.ch.sendMessage({ text: 'one too many' }));
      expect([e4.name, e4.code]).toEqual(['RtmLimitExceededError', 3]);
    });
  });

  describe('member list and count', () => {
    it('lists members of a joined channel only, 5 per 2 s', async () => {
      t = await setup();
      const a = await member('alice');
      await member('bob');
      await member('carol');
      expect((await a.ch.getMembers()).sort()).toEqual(['alice', 'bob', 'carol']);
      const notIn = await rejection(a.c.createChannel('elsewhere').getMembers());
      expect([notIn.name, notIn.code]).toEqual(['RtmInvalidStatusError', 5]);
      for (let i = 0; i < 4; i++) await a.ch.getMembers();
      const often = await rejection(a.ch.getMembers());
      expect([often.name, often.code]).toEqual(['RtmInvokeTooOftenError', 4]);
    });

    it('counts members of 1–32 channels, joined or not, once a second', async () => {
      t = await setup();
      await member('alice', 'one');
      await member('bob', 'two');
      const b2 = await t.login('bobby');
      await b2.createChannel('two').join();
      const c = await t.login('carol');
      expect(await c.getChannelMemberCount(['one', 'two', 'none'])).toEqual({ one: 1, two: 2, none: 0 });
      const often = await rejection(c.getChannelMemberCount(['one']));
      expect([often.name, often.code]).toEqual(['RtmInvokeTooOftenError', 3]);
      const tooMany = await rejection(c.getChannelMemberCount(Array.from({ length: 33 }, (_, i) => `c${i}`)));
      expect([tooMany.name, tooMany.code]).toEqual(['RtmInvalidArgumentError', 5]);
      const none = await rejection(c.getChannelMemberCount([]));
      expect([none.name, none.code]).toEqual(['RtmInvalidArgumentError', 5]);
      const bad = await rejection(c.getChannelMemberCount(['ok', 'not/ok']));
      expect([bad.name, bad.code]).toEqual(['RtmInvalidArgumentError', 2]);
      // any valid id is a key of the result, even one named like a prototype property
      const d = await t.login('dave');
      const r = await d.getChannelMemberCount(['__proto__']);
      expect(Object.getOwnPropertyDescriptor(r, '__proto__')?.value).toBe(0);
    });
  });

  describe('server-side enforcement (raw protocol client, no SDK checks)', () => {
    it('answers the same codes as the SDK', async () => {
      t = await setup();
      const raw = await rawSession('raw');
      const code = async (op: number, body: unknown) => (await raw.request(op, body)).code;
      expect(await code(Op.Join, { channelId: 'bad/id' })).toBe(3);
      expect(await code(Op.Join, { channelId: 'room' })).toBe(0);
      expect(await code(Op.Join, { channelId: 'room' })).toBe(6);
      expect(await code(Op.ChannelSend, { channelId: 'other', msg: { type: 'TEXT', text: 'x' } })).toBe(5);
      expect(
        await code(Op.ChannelSend, { channelId: 'room', msg: { type: 'TEXT', text: 'x'.repeat(32769) } }),
      ).toBe(4);
      expect(await code(Op.ChannelSend, { channelId: 'room', msg: { type: 'BOGUS' } })).toBe(4);
      expect(await code(Op.GetMembers, { channelId: 'other' })).toBe(5);
      expect(await code(Op.Leave, { channelId: 'other' })).toBe(3);
      expect(
        await code(Op.GetMemberCount, { channelIds: Array.from({ length: 33 }, (_, i) => `c${i}`) }),
      ).toBe(5);
      expect(await code(Op.GetMemberCount, { channelIds: ['null'] })).toBe(2);
      for (let i = 0; i < 19; i++) expect(await code(Op.Join, { channelId: `c${i}` })).toBe(0);
      expect(await code(Op.Join, { channelId: 'c19' })).toBe(5);
      // the shared send budget: 180 per 3 s
      const sends = [];
      for (let i = 0; i < 181; i++)
        sends.push(code(Op.ChannelSend, { channelId: 'room', msg: { type: 'TEXT', text: 'x' } }));
      const codes = await Promise.all(sends);
      expect(codes.filter((c) => c === 0).length).toBe(180);
      expect(codes.at(-1)).toBe(3);
      raw.close();
    });

    it('does not count refused requests against the member list', async () => {
      t = await setup();
      const raw = await rawSession('raw');
      expect((await raw.request(Op.Join, { channelId: 'room', since: { id: 5, ts: 'x' } })).code).toBe(3);
      expect((await raw.request(Op.GetMemberCount, { channelIds: ['room'] })).body).toEqual({ counts: [0] });
      raw.close();
    });
  });

  it('documents its defaults: 32 messages / 30 s of history, 20 channels, 512 for member events', () => {
    expect(DEFAULT_CONFIG.historyMessages).toBe(32);
    expect(DEFAULT_CONFIG.historyMs).toBe(30_000);
  });
});
