import { type Classified, Op, PROTOCOL_VERSION } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ID, collect, setup, until } from '../helpers.js';
import { startTcpProxy, type TcpProxy } from '../tcp-proxy.js';
import { WireClient } from '../wire-client.js';

type Got = [{ text: string }, string];
const FAST = { reconnect: { baseMs: 50, capMs: 200, floorMs: 20 } };
const range = (a: number, b: number) => [...Array(b - a).keys()].map((i) => String(a + i));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const texts = (ms: Classified[]) =>
  ms.flatMap((m) =>
    m.kind === 'event' && m.op === Op.PeerMessage ? [(m.body as { msg: { text: string } }).msg.text] : [],
  );

/**
 * The client's `received` count on Ping (docs/protocol.md, "Resume and the numbered stream"): the
 * server drops what the client processed from the session's resume queue, and a resume still
 * replays everything after the client's count.
 */
describe('Ping carries the received count', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let proxy: TcpProxy | null = null;
  const wires: WireClient[] = [];
  afterEach(async () => {
    for (const w of wires.splice(0)) w.close();
    await proxy?.close();
    proxy = null;
    await t.cleanup();
  });
  const wire = async () => {
    const w = await WireClient.open(t.server.wsUrl);
    wires.push(w);
    return w;
  };
  const pongs = (w: WireClient) => w.messages.filter((m) => m.kind === 'event' && m.op === Op.Ping).length;
  const outbox = () => t.server.sessions.local(APP_ID, 'bob')!.outbox;

  it('a Ping with a count, with null or with nonsense is answered; a resume replays everything after the count', async () => {
    t = await setup({ sessionGraceMs: 10_000, peerAckTimeoutMs: 200 });
    const alice = await t.login('alice');
    const bob = await wire();
    const login = bob.request(Op.Login, { v: PROTOCOL_VERSION, appId: APP_ID, uid: 'bob' });
    const { body } = await bob.response(login);
    const { sessionId, resumeToken } = body as { sessionId: string; resumeToken: string };
    // Not awaited: bob (a bare protocol client) does not ack, so the senders learn false later.
    for (let i = 0; i < 10; i++) alice.sendMessageToPeer({ text: String(i) }, 'bob').catch(() => undefined);
    await until(() => texts(bob.messages).length === 10, 5000, '10 messages');
    // bob processed the login response and 10 messages: 11; he reports 6.
    bob.event(Op.Ping, 6);
    bob.event(Op.Ping, null);
    for (const nonsense of [-1, 1.5, 1e9, 'x', { received: 3 }]) bob.event(Op.Ping, nonsense);
    await until(() => pongs(bob) === 7, 5000, '7 pongs');
    expect(bob.protocolErrors()).toEqual([]);
    expect(outbox().sent).toBe(11);
    expect(outbox().since(5)).toBeNull(); // processed by bob's own account: gone
    expect(outbox().since(6)).toHaveLength(5);

    bob.close();
    await until(() => t.server.sessions.local(APP_ID, 'bob')?.phase === 'detached', 5000, 'bob detached');
    for (let i = 10; i < 13; i++) alice.sendMessageToPeer({ text: String(i) }, 'bob').catch(() => undefined);
    await until(() => outbox().sent === 14, 5000, '3 more queued');
    // Resumed from 8: messages 8..13 are the texts 7..12.
    const again = await wire();
    const resume = again.request(Op.Resume, {
      v: PROTOCOL_VERSION,
      appId: APP_ID,
      uid: 'bob',
      sessionId,
      resumeToken,
      received: 8,
    });
    expect((await again.response(resume)).code).toBe(0);
    await until(() => texts(again.messages).length === 6, 5000, '6 replayed');
    await sleep(100);
    expect(texts(again.messages)).toEqual(range(7, 13));
  });

  it('a PeerAck also confirms the stream up to the acked message; an ack of another session drops nothing', async () => {
    t = await setup({ sessionGraceMs: 10_000, peerAckTimeoutMs: 5000 });
    const alice = await t.login('alice');
    const bob = await wire();
    const carol = await wire();
    expect(
      (await bob.response(bob.request(Op.Login, { v: PROTOCOL_VERSION, appId: APP_ID, uid: 'bob' }))).code,
    ).toBe(0);
    expect(
      (await carol.response(carol.request(Op.Login, { v: PROTOCOL_VERSION, appId: APP_ID, uid: 'carol' })))
        .code,
    ).toBe(0);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(alice.sendMessageToPeer({ text: String(i) }, 'bob'));
    await until(() => texts(bob.messages).length === 5, 5000, '5 messages');
    // Stream: the login response (0), then the messages 0..4 at positions 1..5; nothing reported.
    const ids = bob.messages.flatMap((m) =>
      m.kind === 'event' && m.op === Op.PeerMessage ? [(m.body as { id: string }).id] : [],
    );
    expect(outbox().since(1)).toHaveLength(5);
    // carol's ack of bob's message is refused: it confirms nothing of bob's stream
    carol.event(Op.PeerAck, { id: ids[2] });
    bob.event(Op.Ping, null);
    await until(() => pongs(bob) === 1, 5000, 'pong');
    expect(outbox().since(1)).toHaveLength(5);
    // bob acks message 2 (position 3): positions up to 3 are confirmed, 4 and 5 are kept
    bob.event(Op.PeerAck, { id: ids[2] });
    bob.event(Op.Ping, null);
    await until(() => pongs(bob) === 2, 5000, 'pong');
    expect(outbox().since(3)).toBeNull();
    expect(outbox().since(4)).toHaveLength(2);
    expect((await answers[2]).hasPeerReceived).toBe(true);
    // the other acks confirm the rest
    for (const id of [ids[0], ids[1], ids[3], ids[4]]) bob.event(Op.PeerAck, { id });
    expect((await Promise.all(answers)).every((a) => a.hasPeerReceived)).toBe(true);
    expect(outbox().since(6)).toEqual([]);
  });

  it('the SDK reports its count as messages arrive; a cut after hundreds of them loses nothing', async () => {
    t = await setup({ rateLimits: false, sessionGraceMs: 10_000, peerAckTimeoutMs: 20_000 });
    proxy = await startTcpProxy(t.server.port);
    const alice = await t.login('alice');
    const bob = t.client({ serverUrl: proxy.url, ...FAST });
    await bob.login({ uid: 'bob' });
    const toBob = collect<Got>(bob, 'MessageFromPeer');
    const sends = [];
    for (let i = 0; i < 300; i++) sends.push(alice.sendMessageToPeer({ text: String(i) }, 'bob'));
    await Promise.all(sends);
    // The SDK reports its count whenever 64 more messages arrived: of the 301 (login response
    // included) the queue soon keeps fewer than 64.
    expect(outbox().sent).toBe(301);
    await until(() => outbox().since(301 - 64) === null, 5000, 'the queue trimmed');
    proxy.pause();
    proxy.dropAll();
    await until(() => t.server.sessions.local(APP_ID, 'bob')?.phase === 'detached', 5000, 'bob detached');
    for (let i = 300; i < 320; i++) sends.push(alice.sendMessageToPeer({ text: String(i) }, 'bob'));
    await sleep(100);
    proxy.resume();
    await until(() => toBob.length >= 320, 10_000, '320 messages');
    expect((await Promise.all(sends)).every((r) => r.hasPeerReceived)).toBe(true);
    await sleep(200);
    expect(toBob.map((g) => g[0].text)).toEqual(range(0, 320));
  });
});
