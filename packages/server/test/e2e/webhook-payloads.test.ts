import { afterEach, describe, expect, it } from 'vitest';
import { WEBHOOK_EVENTS } from '../../src/config.js';
import { APP_ID, setup, twoInRoom, until } from '../helpers.js';
import { closeAll, type Receiver, startReceiver } from '../webhook-receiver.js';

let env: Awaited<ReturnType<typeof setup>> | undefined;
let rx: Receiver | undefined;
afterEach(async () => {
  await closeAll(env, rx);
  env = rx = undefined;
});

const ts = expect.any(Number);
const sessionId = expect.any(String);
const id = expect.any(String);

describe('webhook payloads', () => {
  it('sends every event with its fields, in the order things happened', async () => {
    rx = await startReceiver();
    env = await setup({
      apps: [{ appId: APP_ID, webhooks: [{ url: rx.url, secret: 's', events: [...WEBHOOK_EVENTS] }] }],
      webhookBatchMs: 5,
    });
    const { alice, bob, ca, cb } = await twoInRoom(env);
    await alice.addOrUpdateChannelAttributes('room', { k: 'v', j: 'w' });
    await alice.deleteChannelAttributesByKeys('room', ['k']);
    await alice.clearChannelAttributes('room');
    await alice.sendMessageToPeer({ text: 'hi' }, 'bob');
    await alice.sendMessageToPeer(
      alice.createMessage({
        rawMessage: new Uint8Array([1, 2, 3]),
        description: 'opcode',
        messageType: 'RAW',
      }),
      'bob',
    );
    await ca.sendMessage({ text: 'all' });
    const rest = await fetch(`${env.server.url}/api/v1/apps/${APP_ID}/channels/room/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'system', raw: Buffer.from('xyz').toString('base64') }),
    });
    expect(rest.status).toBe(200);
    await cb.leave();
    await ca.leave();
    await bob.logout();
    await until(() => rx!.names().includes('user.offline'), 5000, 'bob offline');

    expect(rx.requests.every((r) => r.json.appId === APP_ID)).toBe(true);
    expect(rx.events()).toEqual([
      { name: 'user.online', ts, uid: 'alice', sessionId },
      { name: 'user.online', ts, uid: 'bob', sessionId },
      { name: 'channel.member_joined', ts, channelId: 'room', uid: 'alice', count: 1 },
      { name: 'channel.occupied', ts, channelId: 'room', uid: 'alice' },
      { name: 'channel.member_joined', ts, channelId: 'room', uid: 'bob', count: 2 },
      {
        name: 'channel.attributes_updated',
        ts,
        channelId: 'room',
        uid: 'alice',
        change: 'update',
        keys: ['k', 'j'],
      },
      {
        name: 'channel.attributes_updated',
        ts,
        channelId: 'room',
        uid: 'alice',
        change: 'delete',
        keys: ['k'],
      },
      { name: 'channel.attributes_updated', ts, channelId: 'room', uid: 'alice', change: 'clear', keys: [] },
      { name: 'message.peer', ts, id, from: 'alice', to: 'bob', message: { text: 'hi' } },
      {
        name: 'message.peer',
        ts,
        id,
        from: 'alice',
        to: 'bob',
        message: { raw: 'AQID', description: 'opcode' },
      },
      { name: 'message.channel', ts, id, channelId: 'room', from: 'alice', message: { text: 'all' } },
      { name: 'message.channel', ts, id, channelId: 'room', from: 'system', message: { raw: 'eHl6' } },
      { name: 'channel.member_left', ts, channelId: 'room', uid: 'bob', count: 1 },
      { name: 'channel.member_left', ts, channelId: 'room', uid: 'alice', count: 0 },
      { name: 'channel.vacated', ts, channelId: 'room', uid: 'alice' },
      { name: 'user.offline', ts, uid: 'bob', sessionId, reason: 'LOGOUT' },
    ]);
    // user.online and user.offline of one session carry its id
    const bobs = rx.events().filter((e) => e.uid === 'bob' && e.name.startsWith('user.'));
    expect(bobs[0]!.sessionId).toBe(bobs[1]!.sessionId);
    const times = rx.events().map((e) => e.ts);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('reports the sessions a shutdown ends, before the server is gone', async () => {
    rx = await startReceiver();
    env = await setup({ webhookUrl: rx.url, webhookSecret: 's', webhookBatchMs: 600_000 });
    const alice = await env.login('alice');
    await alice.createChannel('room').join();
    await env.cleanup();
    env = undefined;
    expect(rx.events().map((e) => [e.name, e.reason ?? e.count ?? null])).toEqual([
      ['user.online', null],
      ['channel.member_joined', 1],
      ['channel.occupied', null],
      ['user.offline', 'SHUTDOWN'],
      ['channel.member_left', 0],
      ['channel.vacated', null],
    ]);
  });
});
