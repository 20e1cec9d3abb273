import { AttributeOperationError, Op } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActivityEvent } from '../../src/kernel/activity-feed.js';
import { APP_ID, setup, until } from '../helpers.js';
import { RawClient } from '../raw-client.js';

// The activity feed: each event once, on the node where it happened, with the store's count.
describe.each([{ nodes: 1 }, { nodes: 2 }])('activity feed ($nodes node(s))', ({ nodes }) => {
  let env: Awaited<ReturnType<typeof setup>>;
  afterEach(() => env?.cleanup());

  it('reports logins, joins with counts, attribute writes, messages, errors and session ends once', async () => {
    env = await setup({ nodes });
    const seen: ActivityEvent[] = [];
    for (const s of env.servers)
      s.activity.on(
        [
          'user.online',
          'user.offline',
          'channel.member_joined',
          'channel.member_left',
          'channel.attributes_updated',
          'message.peer',
          'message.channel',
          'request.error',
        ],
        (e) => seen.push(e),
      );
    const alice = await env.login('alice');
    const bob = await env.login('bob');
    const ca = alice.createChannel('room');
    const cb = bob.createChannel('room');
    await ca.join();
    await cb.join();
    await alice.sendMessageToPeer({ text: 'hi' }, 'bob');
    await ca.sendMessage({ text: 'all' });
    await alice.addOrUpdateChannelAttributes('room', { k: 'v' });
    await alice.deleteChannelAttributesByKeys('room', ['k']);
    await cb.leave();
    await ca.leave();
    await bob.logout();
    await until(() => seen.filter((e) => e.type === 'user.offline').length === 1, 5000, 'bob offline');

    const of = (type: ActivityEvent['type']) => seen.filter((e) => e.type === type);
    expect(of('user.online').map((e) => 'uid' in e && e.uid)).toEqual(['alice', 'bob']);
    expect(of('channel.member_joined').map((e) => ['count' in e && e.count, 'uid' in e && e.uid])).toEqual([
      [1, 'alice'],
      [2, 'bob'],
    ]);
    expect(of('channel.member_left').map((e) => ['count' in e && e.count, 'uid' in e && e.uid])).toEqual([
      [1, 'bob'],
      [0, 'alice'],
    ]);
    expect(of('message.peer')).toEqual([
      expect.objectContaining({
        appId: APP_ID,
        from: 'alice',
        to: 'bob',
        msg: expect.objectContaining({ text: 'hi' }),
      }),
    ]);
    expect(of('message.channel')).toEqual([
      expect.objectContaining({
        channelId: 'room',
        from: 'alice',
        msg: expect.objectContaining({ text: 'all' }),
      }),
    ]);
    expect(of('channel.attributes_updated').map((e) => 'change' in e && [e.change, e.keys])).toEqual([
      ['update', ['k']],
      ['delete', ['k']],
    ]);
    expect(of('user.offline')).toEqual([expect.objectContaining({ uid: 'bob', cause: 'LOGOUT' })]);
  });

  it('builds nothing for types nobody watches, and stops calling a listener after unsubscribe', async () => {
    env = await setup({ nodes });
    const feed = env.server.activity;
    expect(feed.watched('message.peer')).toBe(false);
    const got: string[] = [];
    const off = feed.on(['user.online'], (e) => got.push(e.uid));
    expect(feed.watched('user.online')).toBe(true);
    await env.login('carol');
    off();
    expect(feed.watched('user.online')).toBe(false);
    await env.login('dave');
    // carol's client is the first one: on the first node (clients go round-robin)
    expect(got).toEqual(['carol']);
  });

  it('reports a refused request with its op and code', async () => {
    env = await setup({ nodes });
    const errors: ActivityEvent[] = [];
    env.server.activity.on(['request.error'], (e) => errors.push(e));
    const raw = await RawClient.connect(env.server.wsUrl);
    try {
      expect((await raw.login({ appId: APP_ID, uid: 'zed' })).code).toBe(0);
      const r = await raw.request(Op.GetChannelAttrs, { channelId: '' });
      expect(r.code).toBe(AttributeOperationError.INVALID_ARGUMENT);
    } finally {
      raw.close();
    }
    expect(errors).toEqual([
      expect.objectContaining({
        appId: APP_ID,
        uid: 'zed',
        op: Op.GetChannelAttrs,
        code: AttributeOperationError.INVALID_ARGUMENT,
      }),
    ]);
  });

  it('keeps calling the other listeners when one throws', async () => {
    env = await setup({ nodes });
    const got: string[] = [];
    env.server.activity.on(['user.online'], () => {
      throw new Error('listener bug');
    });
    env.server.activity.on(['user.online'], (e) => got.push(e.uid));
    await env.login('erin');
    expect(got).toEqual(['erin']);
  });
});
