import { ChannelMessageError, PeerMessageError, SignalingCode } from '@parley/protocol';
import AgoraRTM, { type RtmClient } from '@parley/sdk';
import { startTestServer, type ParleyServer } from '@parley/server/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus, createEmbeddedStore } from '../../src/adapters/embedded/index.js';
import type { ServerConfig } from '../../src/config.js';
import type { HistoryEntry, MessageHistoryStore } from '../../src/ports/message-history-store.js';
import type { Store } from '../../src/ports/store.js';
import { APP_ID, collect, next, until, WHOLE_HISTORY, WITH_HISTORY } from '../helpers.js';
import { record, type SigClient } from '../signaling-client.js';
import { AgoraAPIOnlySignal, Signal } from '@parley/signaling';
import { metric } from '../wire-client.js';

/**
 * Messages sent with enableHistoricalMessaging (issue 15) on a real server: what is recorded, by
 * which send (RTM SDK, Signaling, /api/v1), what is not, and what a send answers when the
 * history cannot be written. The server runs on the embedded memory store the test holds, so
 * the test reads the history the server wrote (the adapters' own suite is
 * cluster/message-history-contract.test.ts; durability across kill -9 is history-kill9.test.ts).
 */

type Got = [
  { text?: string; rawMessage?: Uint8Array },
  string,
  { serverReceivedTs: number; isOfflineMessage: boolean },
];

let server: ParleyServer | null = null;
let store: Store | null = null;
const clients: RtmClient[] = [];
const sigs: SigClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.release();
  for (const s of sigs.splice(0)) s.api.destroy();
  await server?.close();
  await store?.close();
  server = null;
  store = null;
});

/** A server over a store the test reads; `history` wraps the store's message history (failures). */
async function start(
  cfg: Partial<ServerConfig> = {},
  o: {
    history?: (inner: MessageHistoryStore) => MessageHistoryStore;
    /** written to the store before the server starts */
    seed?: (s: Store) => Promise<unknown>;
  } = {},
) {
  store = createEmbeddedStore({ dataDir: null });
  if (o.history) store.messageHistory = o.history(store.messageHistory);
  await o.seed?.(store);
  server = await startTestServer({ rateLimits: false, ...cfg }, { store, bus: new MemoryBus() });
  const s = server;
  const login = async (uid: string) => {
    const c = AgoraRTM.createInstance(APP_ID, { serverUrl: s.wsUrl });
    clients.push(c);
    await c.login({ uid });
    return c;
  };
  const sigLogin = async (account: string) => {
    const c = record(AgoraAPIOnlySignal.createAgoraSDKInstance(APP_ID, { serverUrl: s.wsUrl }));
    sigs.push(c);
    await c.login(account);
    return c;
  };
  const entries = () => store!.messageHistory.query(APP_ID, WHOLE_HISTORY);
  const rest = (path: string, body: unknown) =>
    fetch(`${s.url}/api/v1/apps/${APP_ID}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  return { server: s, login, sigLogin, entries, rest };
}

const pick = (e: HistoryEntry) => ({
  src: e.src,
  dst: e.dst,
  kind: e.kind,
  messageType: e.messageType,
  payload: e.payload,
});

describe('sending with enableHistoricalMessaging records the message before answering', () => {
  it('RTM peer message: recorded with the id and serverReceivedTs the receiver got; without the option nothing is', async () => {
    const t = await start();
    const [alice, bob] = [await t.login('alice'), await t.login('bob')];
    const got = collect<Got>(bob, 'MessageFromPeer');
    expect(await alice.sendMessageToPeer({ text: 'kept' }, 'bob', WITH_HISTORY)).toEqual({
      hasPeerReceived: true,
    });
    expect(await alice.sendMessageToPeer({ text: 'not kept' }, 'bob')).toEqual({ hasPeerReceived: true });
    expect(
      await alice.sendMessageToPeer({ text: 'not kept either' }, 'bob', { enableHistoricalMessaging: false }),
    ).toEqual({
      hasPeerReceived: true,
    });
    await until(() => got.length === 3);
    const list = await t.entries();
    expect(list.map(pick)).toEqual([
      { src: 'alice', dst: 'bob', kind: 'peer', messageType: 'peer_message', payload: 'kept' },
    ]);
    expect(list[0]!.ts).toBe(got[0]![2].serverReceivedTs);
    expect(await metric(t.server.url, 'parley_history_stored_total', { kind: 'peer' })).toBe(1);
  });

  it('raw messages are kept as base64 with message_type peer_raw_message / channel_raw_message', async () => {
    const t = await start();
    const [alice, bob] = [await t.login('alice'), await t.login('bob')];
    const bytes = new Uint8Array([0, 1, 254, 255]);
    await alice.sendMessageToPeer({ rawMessage: bytes, description: 'bin' }, 'bob', WITH_HISTORY);
    const ch = alice.createChannel('room');
    const chB = bob.createChannel('room');
    await ch.join();
    await chB.join();
    const got = next<[{ rawMessage: Uint8Array }]>(chB, 'ChannelMessage');
    await ch.sendMessage({ rawMessage: bytes }, WITH_HISTORY);
    expect([...(await got)[0].rawMessage]).toEqual([...bytes]);
    expect((await t.entries()).map(pick)).toEqual([
      { src: 'alice', dst: 'bob', kind: 'peer', messageType: 'peer_raw_message', payload: 'AAH+/w==' },
      { src: 'alice', dst: 'room', kind: 'channel', messageType: 'channel_raw_message', payload: 'AAH+/w==' },
    ]);
  });

  it('image and file messages are kept as JSON media descriptions (peer_image_message, channel_file_message)', async () => {
    const t = await start();
    const [alice, bob] = [await t.login('alice'), await t.login('bob')];
    const got = collect<Got>(bob, 'MessageFromPeer');
    const image = alice.createMessage({
      mediaId: 'AAAAAAAAAAAAAAAAAAAAAA',
      messageType: 'IMAGE',
      fileName: 'cat.png',
      size: 1234,
      width: 64,
      height: 48,
      description: 'a cat',
    });
    await alice.sendMessageToPeer(image, 'bob', WITH_HISTORY);
    const [a, b] = [alice.createChannel('room'), bob.createChannel('room')];
    await a.join();
    await b.join();
    const inRoom = next(b, 'ChannelMessage');
    const file = alice.createMessage({
      mediaId: 'BBBBBBBBBBBBBBBBBBBBBB',
      messageType: 'FILE',
      fileName: 'doc.pdf',
      size: 70000,
    });
    await a.sendMessage(file, WITH_HISTORY);
    await inRoom;
    await until(() => got.length === 1);
    const list = (await t.entries()).map(pick);
    expect(list.map((e) => [e.kind, e.messageType])).toEqual([
      ['peer', 'peer_image_message'],
      ['channel', 'channel_file_message'],
    ]);
    expect(JSON.parse(list[0]!.payload)).toEqual({
      mediaId: 'AAAAAAAAAAAAAAAAAAAAAA',
      fileName: 'cat.png',
      size: 1234,
      description: 'a cat',
      width: 64,
      height: 48,
      thumbnailWidth: 0,
      thumbnailHeight: 0,
    });
    expect(JSON.parse(list[1]!.payload)).toEqual({
      mediaId: 'BBBBBBBBBBBBBBBBBBBBBB',
      fileName: 'doc.pdf',
      size: 70000,
      description: '',
    });
  });

  it('channel message: recorded once with the channel as destination, delivered to members after', async () => {
    const t = await start();
    const [alice, bob] = [await t.login('alice'), await t.login('bob')];
    const [a, b] = [alice.createChannel('room'), bob.createChannel('room')];
    await a.join();
    await b.join();
    const got = collect<[{ text: string }, string]>(b, 'ChannelMessage');
    await a.sendMessage({ text: 'hello room' }, WITH_HISTORY);
    await a.sendMessage({ text: 'unrecorded' });
    await until(() => got.length === 2);
    expect((await t.entries()).map(pick)).toEqual([
      { src: 'alice', dst: 'room', kind: 'channel', messageType: 'channel_message', payload: 'hello room' },
    ]);
    expect(await metric(t.server.url, 'parley_history_stored_total', { kind: 'channel' })).toBe(1);
  });

  it('an offline peer message sent with history is recorded once: not again when delivered at login', async () => {
    const t = await start();
    const alice = await t.login('alice');
    expect(
      await alice.sendMessageToPeer({ text: 'while away' }, 'bob', {
        ...WITH_HISTORY,
        enableOfflineMessaging: true,
      }),
    ).toEqual({ hasPeerReceived: false });
    expect((await t.entries()).map((e) => e.payload)).toEqual(['while away']);
    const bob = AgoraRTM.createInstance(APP_ID, { serverUrl: t.server.wsUrl });
    clients.push(bob);
    const got = collect<Got>(bob, 'MessageFromPeer');
    await bob.login({ uid: 'bob' });
    await until(() => got.length === 1);
    expect(got[0]![2].isOfflineMessage).toBe(true);
    expect((await t.entries()).map((e) => e.payload)).toEqual(['while away']);
  });

  it("one sender's messages keep their order around history writes (peer and channel)", async () => {
    const t = await start();
    const [alice, bob] = [await t.login('alice'), await t.login('bob')];
    const got = collect<Got>(bob, 'MessageFromPeer');
    const sends = ['h1', 'n2', 'h3', 'n4', 'n5', 'h6'].map((text) =>
      alice.sendMessageToPeer({ text }, 'bob', text.startsWith('h') ? WITH_HISTORY : undefined),
    );
    await Promise.all(sends);
    await until(() => got.length === 6);
    expect(got.map((g) => g[0].text)).toEqual(['h1', 'n2', 'h3', 'n4', 'n5', 'h6']);
    const [a, b] = [alice.createChannel('c'), bob.createChannel('c')];
    await a.join();
    await b.join();
    const inRoom = collect<[{ text: string }]>(b, 'ChannelMessage');
    await Promise.all(
      ['ch1', 'cn2', 'ch3', 'cn4'].map((text) =>
        a.sendMessage({ text }, text[1] === 'h' ? WITH_HISTORY : undefined),
      ),
    );
    await until(() => inRoom.length === 4);
    expect(inRoom.map((g) => g[0].text)).toEqual(['ch1', 'cn2', 'ch3', 'cn4']);
    expect((await t.entries()).map((e) => e.payload)).toEqual(['h1', 'h3', 'h6', 'ch1', 'ch3']);
  });

  it('Signaling: messageInstantSend, messageChannelSend and messageChannelSendForce take { enableHistoricalMessaging }', async () => {
    const t = await start();
    const alice = await t.sigLogin('alice');
    const bob = await t.login('bob');
    const got = collect<Got>(bob, 'MessageFromPeer');
    alice.api.messageInstantSend('bob', 0, 'sig peer', 'm1', WITH_HISTORY);
    alice.api.messageInstantSend('bob', 0, 'sig peer plain', 'm2');
    await alice.waitCount('onMessageSendSuccess', 2);
    alice.api.channelJoin('room');
    await alice.wait('onChannelJoined');
    alice.api.messageChannelSend('room', 'sig channel', 'm3', WITH_HISTORY);
    alice.api.messageChannelSendForce('other', 'sig force', 'm4', WITH_HISTORY);
    await alice.waitCount('onMessageSendSuccess', 4);
    await until(() => got.length === 2);
    expect((await t.entries()).map(pick)).toEqual([
      { src: 'alice', dst: 'bob', kind: 'peer', messageType: 'peer_message', payload: 'sig peer' },
      { src: 'alice', dst: 'room', kind: 'channel', messageType: 'channel_message', payload: 'sig channel' },
      { src: 'alice', dst: 'other', kind: 'channel', messageType: 'channel_message', payload: 'sig force' },
    ]);
  });

  it('Web Signaling: session.messageInstantSend and channel.messageChannelSend take the options last', async () => {
    const t = await start();
    const session = Signal(APP_ID, { serverUrl: t.server.wsUrl }).login('web', '_no_need_token');
    const sent: boolean[] = [];
    await new Promise<void>((resolve) => {
      session.onLoginSuccess = () => resolve();
    });
    session.messageInstantSend('bob', 'web peer', (failed) => sent.push(failed), WITH_HISTORY);
    const ch = session.channelJoin('room')!;
    await new Promise<void>((resolve) => {
      ch.onChannelJoined = () => resolve();
    });
    ch.messageChannelSend('web channel', () => sent.push(false), WITH_HISTORY);
    ch.messageChannelSend('web plain', () => sent.push(false));
    await until(() => sent.length === 3);
    expect(sent).toEqual([false, false, false]);
    session.logout();
    expect((await t.entries()).map((e) => [e.dst, e.payload])).toEqual([
      ['bob', 'web peer'],
      ['room', 'web channel'],
    ]);
  });

  it('/api/v1 sends take "historical": true; anything but a boolean is 400 invalid_request', async () => {
    const t = await start();
    await t.login('bob');
    const peer = await t.rest('peers/bob/messages', { from: 'svc', text: 'rest peer', historical: true });
    expect(peer.status).toBe(200);
    const ch = await t.rest('channels/room/messages', { from: 'svc', raw: 'AQI=', historical: true });
    expect(ch.status).toBe(200);
    expect(
      (await t.rest('peers/bob/messages', { from: 'svc', text: 'plain', historical: false })).status,
    ).toBe(200);
    for (const path of ['peers/bob/messages', 'channels/room/messages']) {
      const bad = await t.rest(path, { from: 'svc', text: 'x', historical: 'yes' });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({
        error: { code: 'invalid_request', message: '"historical" is a boolean' },
      });
    }
    expect((await t.entries()).map(pick)).toEqual([
      { src: 'svc', dst: 'bob', kind: 'peer', messageType: 'peer_message', payload: 'rest peer' },
      { src: 'svc', dst: 'room', kind: 'channel', messageType: 'channel_raw_message', payload: 'AQI=' },
    ]);
  });
});

describe('refusals and failures of sends with history', () => {
  it('a message over the size limit is refused with the usual code and not recorded', async () => {
    const t = await start();
    const big = 'x'.repeat(32 * 1024 + 1);
    const r = await t.rest('peers/bob/messages', { from: 'svc', text: big, historical: true });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('message_too_large');
    const { RawClient } = await import('../raw-client.js');
    const raw = await RawClient.connect(t.server.wsUrl);
    await raw.login({ appId: APP_ID, uid: 'alice' });
    const { Op } = await import('@parley/protocol');
    const msg = { type: 'TEXT', text: big };
    expect((await raw.request(Op.PeerSend, { to: 'bob', msg, historical: true })).code).toBe(
      PeerMessageError.INVALID_MESSAGE,
    );
    raw.close();
    expect(await t.entries()).toEqual([]);
  });

  it('a history write that fails refuses the send (code 1 / Signaling 400 / REST 500) and delivers nothing', async () => {
    const failing = (inner: MessageHistoryStore): MessageHistoryStore => ({
      ...inner,
      query: (a, f) => inner.query(a, f),
      count: (a, f) => inner.count(a, f),
      sweep: (b) => inner.sweep(b),
      append: async () => {
        throw new Error('disk on fire');
      },
    });
    const t = await start({}, { history: failing });
    const [alice, bob] = [await t.login('alice'), await t.login('bob')];
    const got = collect<Got>(bob, 'MessageFromPeer');
    await expect(alice.sendMessageToPeer({ text: 'lost' }, 'bob', WITH_HISTORY)).rejects.toMatchObject({
      code: PeerMessageError.FAILURE,
    });
    await expect(
      alice.sendMessageToPeer({ text: 'lost offline' }, 'bob', {
        ...WITH_HISTORY,
        enableOfflineMessaging: true,
      }),
    ).rejects.toMatchObject({ code: PeerMessageError.FAILURE });
    const [a, b] = [alice.createChannel('room'), bob.createChannel('room')];
    await a.join();
    await b.join();
    const inRoom = collect(b, 'ChannelMessage');
    await expect(a.sendMessage({ text: 'lost' }, WITH_HISTORY)).rejects.toMatchObject({
      code: ChannelMessageError.FAILURE,
    });
    const sig = await t.sigLogin('carol');
    sig.api.messageInstantSend('bob', 0, 'lost', 's1', WITH_HISTORY);
    sig.api.messageChannelSendForce('room', 'lost', 's2', WITH_HISTORY);
    await sig.waitCount('onMessageSendError', 2);
    // (two send paths: their answers may come in either order)
    expect(sig.calls('onMessageSendError').sort((x, y) => String(x[0]).localeCompare(String(y[0])))).toEqual([
      ['s1', SignalingCode.SENDMESSAGE_E_OTHER],
      ['s2', SignalingCode.SENDMESSAGE_E_OTHER],
    ]);
    for (const path of ['peers/bob/messages', 'channels/room/messages']) {
      const r = await t.rest(path, { from: 'svc', text: 'lost', historical: true });
      expect(r.status).toBe(500);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('internal');
    }
    // sends without history are unaffected, and arrive after nothing of the refused ones
    expect(await alice.sendMessageToPeer({ text: 'plain' }, 'bob')).toEqual({ hasPeerReceived: true });
    await a.sendMessage({ text: 'plain' });
    await until(() => inRoom.length === 1);
    expect(got.map((g) => g[0].text)).toEqual(['plain']);
    // the refused offline message left no inbox copy behind: bob's next login brings nothing
    await bob.logout();
    const bob2 = AgoraRTM.createInstance(APP_ID, { serverUrl: t.server.wsUrl });
    clients.push(bob2);
    const later = collect<Got>(bob2, 'MessageFromPeer');
    await bob2.login({ uid: 'bob' });
    expect(await alice.sendMessageToPeer({ text: 'sentinel' }, 'bob')).toEqual({ hasPeerReceived: true });
    await until(() => later.length === 1);
    expect(later.map((g) => g[0].text)).toEqual(['sentinel']);
    expect(await metric(t.server.url, 'parley_history_failures_total', { op: 'append' })).toBe(7);
  });

  it('the per-app cap drops the oldest entries, counted in parley_history_dropped_total{reason="app_bytes"}', async () => {
    const t = await start({ historyMaxBytesPerApp: 10 });
    const [alice] = [await t.login('alice'), await t.login('bob')];
    for (const text of ['aaaa', 'bbbb', 'cccc', 'dddd'])
      await alice.sendMessageToPeer({ text }, 'bob', WITH_HISTORY);
    expect((await t.entries()).map((e) => e.payload)).toEqual(['cccc', 'dddd']);
    expect(await metric(t.server.url, 'parley_history_dropped_total', { reason: 'app_bytes' })).toBe(2);
  });

  it('entries past --history-ttl-ms are swept (counted as expired); newer ones stay', async () => {
    const entry = (id: string, ts: number): HistoryEntry => ({
      id,
      src: 'a',
      dst: 'b',
      kind: 'peer',
      messageType: 'peer_message',
      ts,
      payload: id,
    });
    const limits = { ttlMs: 60_000, maxBytesPerApp: 0 };
    // The sweep runs when the server starts (then every minute).
    const t = await start(
      { historyTtlMs: 60_000 },
      {
        seed: async (s) => {
          await s.messageHistory.append(APP_ID, entry('old', Date.now() - 61_000), limits);
          await s.messageHistory.append(APP_ID, entry('recent', Date.now() - 1000), limits);
        },
      },
    );
    for (let i = 0; i < 500; i++) {
      if ((await metric(t.server.url, 'parley_history_dropped_total', { reason: 'expired' })) === 1) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await metric(t.server.url, 'parley_history_dropped_total', { reason: 'expired' })).toBe(1);
    expect((await t.entries()).map((e) => e.payload)).toEqual(['recent']);
  });
});
