import {
  CloseCode,
  Op,
  PeerSubscriptionStatusError,
  QueryPeersOnlineStatusError,
  encodeEvent,
  encodeRequest,
} from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ServerConfig } from '../../src/config.js';
import { APP_ID, collect, setup, until } from '../helpers.js';
import { tryOpen } from '../hardening-net.js';
import { metric, WireClient } from '../wire-client.js';

/** Several messages in one WebSocket frame (MessagePack values follow one another). */
const frame = (parts: Uint8Array[]) => Buffer.concat(parts);
const ids = (n: number, prefix = 'p') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/**
 * Issue 13, item 5: requests refused by a limit count against their socket, and every socket has a
 * request budget, so a flooding client is closed (4009 REQUEST_FLOOD) instead of slowing everyone.
 */
describe('request floods close the flooding socket', () => {
  let t: Awaited<ReturnType<typeof setup>> | undefined;
  const wires: WireClient[] = [];
  afterEach(async () => {
    for (const w of wires.splice(0)) w.close();
    await t?.cleanup();
    t = undefined;
  });
  const start = async (cfg: Partial<ServerConfig> = {}) => {
    t = await setup(cfg);
    return t;
  };
  const flooder = async (uid: string) => {
    const w = await WireClient.open(t!.server.wsUrl);
    wires.push(w);
    expect(await w.login(APP_ID, uid)).toBe(0);
    return w;
  };
  const responses = (w: WireClient, code: number) =>
    w.messages.filter((m) => m.kind === 'response' && m.code === code).length;

  it('1,500 PeerSend in one frame: the sends over the rate are refused (5), then the socket is closed', async () => {
    const { server } = await start();
    const w = await flooder('flood');
    const msg = { type: 'TEXT', text: 'x' };
    w.send(frame(ids(1500).map((_, i) => encodeRequest(Op.PeerSend, 100 + i, { to: 'nobody', msg }))));
    const closed = await w.closed;
    expect(closed.code).toBe(CloseCode.REQUEST_FLOOD);
    expect(closed.reason).toBe('request flood: over 100 requests refused in 10 s');
    // 180 sends within the rate, then 100 tolerated refusals (code 5 TOO_OFTEN); the 101st is
    // answered too, and closes the socket: the rest of the frame is not handled.
    expect(responses(w, 5)).toBe(101);
    expect(w.messages.filter((m) => m.kind === 'response').length).toBe(1 + 180 + 101);
    expect(await metric(server.url, 'parley_socket_closes_total', { code: CloseCode.REQUEST_FLOOD })).toBe(1);
    expect(await metric(server.url, 'parley_abuse_strikes_total', { kind: 'refused' })).toBe(101);
  });

  it('SubscribePeers with 9,000 ids per request: refused (6 OVERFLOW), each weighing 18 refusals; closed after 6', async () => {
    const { server } = await start();
    const w = await flooder('flood');
    const body = { ids: ids(9000) };
    // One at a time, each answered before the next is sent (the close may overtake the last).
    const gone = w.closed.then(() => null);
    for (let i = 0; i < 10; i++) {
      const answer = w.response(w.request(Op.SubscribePeers, body)).catch(() => null);
      const r = await Promise.race([answer, gone]);
      if (r === null) break;
      expect(r.code).toBe(PeerSubscriptionStatusError.OVERFLOW);
    }
    expect((await w.closed).code).toBe(CloseCode.REQUEST_FLOOD);
    // ceil(9000 / 512) = 18 strikes each: the 6th request takes the socket over 100.
    expect(responses(w, PeerSubscriptionStatusError.OVERFLOW)).toBe(6);
    expect(await metric(server.url, 'parley_abuse_strikes_total', { kind: 'refused' })).toBe(6 * 18);
    expect(await metric(server.url, 'parley_socket_closes_total', { code: CloseCode.REQUEST_FLOOD })).toBe(1);
  });

  it('a QueryPeersOnline flood: refused as too often (5), then closed', async () => {
    const { server } = await start();
    const w = await flooder('flood');
    w.send(frame(ids(500).map((_, i) => encodeRequest(Op.QueryPeersOnline, 10 + i, { ids: ['bob'] }))));
    expect((await w.closed).code).toBe(CloseCode.REQUEST_FLOOD);
    // 10 within the rate (10 / 5 s), 101 refused; the rest of the frame is not handled.
    expect(responses(w, QueryPeersOnlineStatusError.TOO_OFTEN)).toBe(101);
    expect(responses(w, 0)).toBe(1 + 10);
    expect(await metric(server.url, 'parley_socket_closes_total', { code: CloseCode.REQUEST_FLOOD })).toBe(1);
  });

  it('QueryPeersOnline with more ids than allowed (2) counts as refused too, by how far over it is', async () => {
    await start({ maxRefusedRequests: 5 });
    const w = await flooder('flood');
    const query = async (n: number) =>
      (await w.response(w.request(Op.QueryPeersOnline, { ids: ids(n) }))).code;
    expect(await query(257)).toBe(QueryPeersOnlineStatusError.INVALID_ARGUMENT); // 2 strikes
    expect(await query(256)).toBe(0);
    expect(await query(512)).toBe(QueryPeersOnlineStatusError.INVALID_ARGUMENT); // 2 more: 4
    expect(w.isOpen).toBe(true);
    expect(await query(300)).toBe(QueryPeersOnlineStatusError.INVALID_ARGUMENT); // 6 > 5
    expect((await w.closed).code).toBe(CloseCode.REQUEST_FLOOD);
  });

  it('requests nothing refuses (pings) are bounded by the request budget: over it, closed at once', async () => {
    const { server } = await start({ maxRequestsPerSecond: 300 });
    const w = await flooder('flood');
    w.send(frame(ids(1500).map(() => encodeEvent(Op.Ping, null))));
    const closed = await w.closed;
    expect(closed).toEqual({
      code: CloseCode.REQUEST_FLOOD,
      reason: 'request flood: over 300 requests per second',
    });
    // The budget (300, less the login, plus what refilled since) was answered; the rest of the
    // frame was not even handled.
    const pongs = w.messages.filter((m) => m.kind === 'event' && m.op === Op.Ping).length;
    expect(pongs).toBeGreaterThanOrEqual(299);
    expect(pongs).toBeLessThan(600);
    expect(await metric(server.url, 'parley_abuse_strikes_total', { kind: 'budget' })).toBe(1);
  });

  it('--rate-limits off lifts the budget and the refusal strikes: a trusted back-end may send 1,500 per frame', async () => {
    await start({ rateLimits: false, maxRequestsPerSecond: 300 });
    const w = await flooder('backend');
    w.send(frame(ids(1500).map(() => encodeEvent(Op.Ping, null))));
    await until(
      () => w.messages.filter((m) => m.kind === 'event' && m.op === Op.Ping).length === 1500,
      10_000,
      '1500 pongs',
    );
    expect(w.isOpen).toBe(true);
  });

  it('a bystander keeps being served while a flooder is closed', async () => {
    const { server } = await start();
    const bystander = await flooder('bystander');
    const w = await flooder('flood');
    w.send(frame(ids(1500).map((_, i) => encodeRequest(Op.QueryPeersOnline, 10 + i, { ids: ['x'] }))));
    expect((await w.closed).code).toBe(CloseCode.REQUEST_FLOOD);
    const r = await bystander.response(bystander.request(Op.QueryPeersOnline, { ids: ['nobody'] }));
    expect(r).toEqual({
      kind: 'response',
      reqId: expect.any(Number),
      code: 0,
      body: { states: ['OFFLINE'] },
    });
    expect(bystander.isOpen).toBe(true);
    expect(await metric(server.url, 'parley_socket_closes_total', { code: CloseCode.REQUEST_FLOOD })).toBe(1);
  });

  it('an SDK client using every limit to the full, at once, is never closed', async () => {
    const { server, login } = await start();
    const alice = await login('alice');
    const bob = await login('bob');
    const states = collect<[string]>(alice, 'ConnectionStateChanged');
    const received = collect(bob, 'MessageFromPeer');
    // The SDK's whole send budget (180 in 3 s) in one burst, plus queries and subscriptions up to
    // their server-side rates (10 / 5 s each), attribute writes and reads (10 / 5 s), joins.
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 180; i++) work.push(alice.sendMessageToPeer({ text: `m${i}` }, 'bob'));
    for (let i = 0; i < 10; i++) work.push(alice.queryPeersOnlineStatus(['bob']));
    for (let i = 0; i < 5; i++) work.push(alice.subscribePeersOnlineStatus([`u${i}`]));
    for (let i = 0; i < 5; i++) work.push(alice.unsubscribePeersOnlineStatus([`u${i}`]));
    for (let i = 0; i < 10; i++)
      work.push(alice.addOrUpdateChannelAttributes(`room${i}`, { k: 'v' }).catch(() => undefined));
    for (let i = 0; i < 20; i++) work.push(alice.createChannel(`c${i}`).join());
    const results = await Promise.allSettled(work);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    await until(() => received.length === 180, 10_000, '180 messages');
    expect(alice.connectionState).toBe('CONNECTED');
    expect(states).toEqual([]);
    expect(await metric(server.url, 'parley_socket_closes_total', { code: CloseCode.REQUEST_FLOOD })).toBe(0);
  });

  it('the address of a flooder is refused (429 flood_cooldown) for --flood-cooldown-ms after its close; other addresses are not', async () => {
    const { server } = await start({ floodCooldownMs: 400 });
    const w = await flooder('flood');
    w.send(frame(ids(1500).map(() => encodeEvent(Op.Ping, null))));
    expect((await w.closed).code).toBe(CloseCode.REQUEST_FLOOD);
    const again = await tryOpen(server.wsUrl);
    if (again.kind !== 'refused') throw new Error(`expected a refusal, got ${again.kind}`);
    expect(again.status).toBe(429);
    expect(JSON.parse(again.body).error.code).toBe('flood_cooldown');
    expect(Number(again.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(await metric(server.url, 'parley_connections_refused_total', { reason: 'flood_cooldown' })).toBe(
      1,
    );
    // Another client host (loopback 127.0.0.2) is not concerned.
    const other = await tryOpen(server.wsUrl, '127.0.0.2');
    expect(other.kind).toBe('open');
    if (other.kind === 'open') other.ws.close();
    // Once the cool-down is over, the address gets in again.
    let back = await tryOpen(server.wsUrl);
    while (back.kind === 'refused') {
      await new Promise((r) => setTimeout(r, 50));
      back = await tryOpen(server.wsUrl);
    }
    expect(back.kind).toBe('open');
    if (back.kind === 'open') back.ws.close();
  });

  it('the flood cool-down defaults to 10 s and 0 turns it off', async () => {
    expect(DEFAULT_CONFIG.floodCooldownMs).toBe(10_000);
    const { server } = await start({ floodCooldownMs: 0 });
    const w = await flooder('flood');
    w.send(frame(ids(1500).map(() => encodeEvent(Op.Ping, null))));
    expect((await w.closed).code).toBe(CloseCode.REQUEST_FLOOD);
    const again = await tryOpen(server.wsUrl);
    expect(again.kind).toBe('open');
    if (again.kind === 'open') again.ws.close();
  });
});
