import type { RtmChannel, RtmClient } from '@parley/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { Op } from '@parley/protocol';
import { APP_ID, collect, next, setup, until } from '../helpers.js';
import { RawClient } from '../raw-client.js';

/**
 * Channels across nodes: three in-process servers sharing a MemoryBus and one Store, clients
 * spread over them round-robin (alice → node 1, bob → node 2, carol → node 3, ...). The same
 * scenarios run on Redis with PARLEY_TEST_CLUSTER=1 (channels.test.ts covers the rest there).
 */
describe('channels across nodes', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  afterEach(async () => t?.cleanup());

  const member = async (uid: string, channelId = 'room'): Promise<{ c: RtmClient; ch: RtmChannel }> => {
    const c = await t.login(uid);
    const ch = c.createChannel(channelId);
    await ch.join();
    return { c, ch };
  };

  it('fans channel messages out to members on every node, in order, without echo', async () => {
    t = await setup({ nodes: 3, rateLimits: false });
    const a = await member('alice');
    const b = await member('bob');
    const c = await member('carol');
    const d = await member('dave'); // node 1 again: a local and a remote member of alice's node
    const got = [a, b, c, d].map((m) => collect<[{ text: string }, string]>(m.ch, 'ChannelMessage'));
    const sends = [];
    for (let i = 0; i < 500; i++) sends.push(b.ch.sendMessage({ text: String(i) }));
    await Promise.all(sends);
    await until(() => [0, 2, 3].every((i) => got[i]!.length >= 500), 10_000);
    const expected = [...Array(500).keys()];
    for (const i of [0, 2, 3]) {
      expect(got[i]!.map(([m]) => Number(m.text))).toEqual(expected);
      expect(got[i]!.every(([, from]) => from === 'bob')).toBe(true);
    }
    expect(got[1]).toEqual([]);
  });

  it('sends member events and counts to members on every node', async () => {
    t = await setup({ nodes: 3 });
    const a = await member('alice');
    const joined = collect<[string]>(a.ch, 'MemberJoined');
    const counts = collect<[number]>(a.ch, 'MemberCountUpdated');
    const b = await member('bob');
    const c = await member('carol');
    await until(() => joined.length === 2);
    expect(joined.map(([m]) => m).sort()).toEqual(['bob', 'carol']);
    await until(() => counts.at(-1)?.[0] === 3, 5000, 'count 3');
    expect((await b.ch.getMembers()).sort()).toEqual(['alice', 'bob', 'carol']);

    const left = next<[string]>(a.ch, 'MemberLeft');
    const leftC = next<[string]>(c.ch, 'MemberLeft');
    await b.c.logout();
    expect((await left)[0]).toBe('bob');
    expect((await leftC)[0]).toBe('bob');
    expect(await c.c.getChannelMemberCount(['room'])).toEqual({ room: 2 });
  });

  it('moves a member to its new session on another node after a remote login', async () => {
    t = await setup({ nodes: 2 });
    const a = await member('alice'); // node 1
    const b = await member('bob'); // node 2
    const left = next<[string]>(a.ch, 'MemberLeft');
    const aborted = next<[string, string]>(b.c, 'ConnectionStateChanged');
    const b2 = await t.login('bob'); // node 1
    expect(await aborted).toEqual(['ABORTED', 'REMOTE_LOGIN']);
    expect((await left)[0]).toBe('bob');
    const ch2 = b2.createChannel('room');
    await ch2.join();
    const got = next<[{ text: string }]>(ch2, 'ChannelMessage');
    await a.ch.sendMessage({ text: 'to the new bob' });
    expect((await got)[0].text).toBe('to the new bob');
    expect((await a.ch.getMembers()).sort()).toEqual(['alice', 'bob']);
  });

  it('takes the sessions of a dead node out of their channels, with MemberLeft', async () => {
    t = await setup({ nodes: 2 });
    const a = await member('alice'); // node 1
    // bob's session lives on node 2; a survivor (node 1) ends it as the cluster does for a dead node
    const raw = await RawClient.connect(t.servers[1]!.wsUrl);
    const login = await raw.login({ appId: APP_ID, uid: 'bob' });
    expect((await raw.request(Op.Join, { channelId: 'room' })).code).toBe(0);
    expect((await raw.request(Op.Join, { channelId: 'other' })).code).toBe(0);
    const left = next<[string]>(a.ch, 'MemberLeft');
    await t.servers[0]!.sessions.endForeign(APP_ID, 'bob', login.body.sessionId);
    expect((await left)[0]).toBe('bob');
    expect(await a.ch.getMembers()).toEqual(['alice']);
    expect(await a.c.getChannelMemberCount(['room', 'other'])).toEqual({ room: 1, other: 0 });
    raw.close();
  });
});
