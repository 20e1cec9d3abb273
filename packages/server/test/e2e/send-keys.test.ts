import {
  ChannelMessageError,
  Op,
  PeerMessageError,
  SignalingCode,
  SignalingOp,
  type PeerSendResponse,
} from '@parley/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP_ID, collect, setup, until } from '../helpers.js';
import { RawClient } from '../raw-client.js';
import { signalingClients } from '../signaling-client.js';

type Got = [{ text: string }, string, unknown];

/**
 * Idempotency keys of peer sends (docs/protocol.md, "Exactly once"): a message sent again under
 * the same key (what an SDK does after a crash lost the first answer) reaches the receiving app
 * once, in both SDKs and across re-logins of the receiving instance. Bare protocol clients send,
 * so the test picks the keys.
 */
describe('send idempotency keys', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  const raws: RawClient[] = [];
  beforeEach(async () => {
    t = await setup({ rateLimits: false });
  });
  afterEach(async () => {
    for (const r of raws.splice(0)) r.close();
    await t.cleanup();
  });
  const raw = async (uid: string, kind?: 'signaling') => {
    const c = await RawClient.connect(t.server.wsUrl);
    raws.push(c);
    expect((await c.login({ appId: APP_ID, uid, kind })).code).toBe(0);
    return c;
  };
  const send = (c: RawClient, text: string, key?: string, offline?: boolean) =>
    c.request<PeerSendResponse>(Op.PeerSend, { to: 'bob', msg: { type: 'TEXT', text }, key, offline });

  it('RTM: the same sender and key twice reach the app once, also after a re-login of the receiving instance', async () => {
    const alice = await raw('alice');
    const bob = t.client();
    const got = collect<Got>(bob, 'MessageFromPeer');
    await bob.login({ uid: 'bob' });
    const first = await send(alice, 'once', 'k-1');
    // A second message under the same key (a retry after a lost answer): new id, same key.
    const second = await send(alice, 'once', 'k-1');
    expect(first.body.received && second.body.received).toBe(true);
    expect(second.body.id).not.toBe(first.body.id);
    await bob.logout();
    await new Promise((r) => setTimeout(r, 550)); // the SDK's 500 ms between logins
    await bob.login({ uid: 'bob' });
    expect((await send(alice, 'once', 'k-1')).body.received).toBe(true);
    // Another sender with the same key, and the same sender without a key: other messages.
    const carol = await raw('carol');
    await send(carol, 'carol', 'k-1');
    await send(alice, 'no key');
    await send(alice, 'no key');
    await send(alice, 'end', 'k-2');
    await until(() => got.some((g) => g[0].text === 'end'), 5000, 'the last message');
    expect(got.map((g) => [g[1], g[0].text])).toEqual([
      ['alice', 'once'],
      ['carol', 'carol'],
      ['alice', 'no key'],
      ['alice', 'no key'],
      ['alice', 'end'],
    ]);
  });

  it('Signaling: a re-sent PeerSend with the same key is shown once (onMessageInstantReceive)', async () => {
    const sig = signalingClients(t.servers);
    const bob = await sig.login('bob');
    const alice = await raw('alice', 'signaling');
    const req = (text: string, key?: string) => alice.request(SignalingOp.PeerSend, { to: 'bob', text, key });
    expect((await req('once', 'k-1')).code).toBe(0);
    expect((await req('once', 'k-1')).code).toBe(0);
    expect((await req('end', 'k-2')).code).toBe(0);
    await bob.wait('onMessageInstantReceive', (_f, _u, text) => text === 'end');
    expect(bob.calls('onMessageInstantReceive')).toEqual([
      ['alice', 0, 'once'],
      ['alice', 0, 'end'],
    ]);
  });

  it('channels: a ChannelSend re-sent under the same key is shown once by RTM and Signaling members', async () => {
    const sig = signalingClients(t.servers);
    const bob = t.client();
    await bob.login({ uid: 'bob' });
    const room = bob.createChannel('room');
    await room.join();
    const got = collect<[{ text: string }, string]>(room, 'ChannelMessage');
    const carol = await sig.login('carol');
    carol.api.channelJoin('room');
    await carol.wait('onChannelJoined');
    const alice = await raw('alice');
    expect((await alice.request(Op.Join, { channelId: 'room' })).code).toBe(0);
    const say = (text: string, key?: string) =>
      alice.request(Op.ChannelSend, { channelId: 'room', msg: { type: 'TEXT', text }, key });
    expect((await say('once', 'k-1')).code).toBe(0);
    expect((await say('once', 'k-1')).code).toBe(0);
    expect((await say('plain')).code).toBe(0);
    expect((await say('plain')).code).toBe(0);
    expect((await say('end', 'k-2')).code).toBe(0);
    await until(() => got.some((g) => g[0].text === 'end'), 5000, 'the last message');
    expect(got.map((g) => g[0].text)).toEqual(['once', 'plain', 'plain', 'end']);
    await carol.wait('onMessageChannelReceive', (_c, _f, _u, text) => text === 'end');
    expect(carol.calls('onMessageChannelReceive').map((c) => c[3])).toEqual([
      'once',
      'plain',
      'plain',
      'end',
    ]);
    expect((await say('x', 'bad key')).code).toBe(ChannelMessageError.INVALID_MESSAGE);
  });

  it('a malformed key is refused with the op’s invalid-argument code', async () => {
    const alice = await raw('alice');
    for (const key of ['', 'with space', 'x'.repeat(65), 7, 'tab\there'])
      expect((await send(alice, 'x', key as string)).code).toBe(PeerMessageError.INVALID_MESSAGE);
    const sig = await raw('sig-alice', 'signaling');
    expect((await sig.request(SignalingOp.PeerSend, { to: 'bob', text: 'x', key: 'a b' })).code).toBe(
      SignalingCode.GENERAL_E_WRONG_PARAM,
    );
  });
});
