import fc from 'fast-check';
import {
  CloseCode,
  InvitationOp,
  LoginError,
  MAX_FRAME_BYTES,
  NOT_LOGGED_IN,
  Op,
  PROTOCOL_VERSION,
  PeerMessageError,
  ProtocolErrorCode as P,
  encode,
  encodeRequest,
} from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, next, setup, until } from '../helpers.js';
import { startTcpProxy } from '../tcp-proxy.js';
import { WireClient, metric } from '../wire-client.js';

/**
 * Bad input from raw WebSocket clients (DESIGN §3): every kind gets a coded protocol error and a
 * metric, abuse closes the socket with 4000, and nothing a client sends crashes the server.
 */
describe('malformed input', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  const wires: WireClient[] = [];
  const wire = async () => {
    const w = await WireClient.open(t.server.wsUrl);
    wires.push(w);
    return w;
  };
  const loggedIn = async (uid: string) => {
    const w = await wire();
    expect(await w.login(APP_ID, uid)).toBe(0);
    return w;
  };
  const errorsOf = (code: number) => metric(t.server.url, 'parley_protocol_errors_total', { code });

  beforeAll(async () => {
    t = await setup();
  });
  afterAll(async () => {
    for (const w of wires) w.close();
    await t.cleanup();
  });

  /** Sends `bad` on a fresh socket and checks the protocol error event and its metric. */
  const expectProtocolError = async (w: WireClient, send: () => void, code: number) => {
    const before = await errorsOf(code);
    const n = w.protocolErrors().length + 1;
    send();
    const e = await w.protocolError(n);
    expect(e.code).toBe(code);
    expect(typeof e.message).toBe('string');
    expect(e.message.length).toBeGreaterThan(0);
    expect(await errorsOf(code)).toBe(before + 1);
    return e;
  };

  it.each([
    ['a text frame', P.MALFORMED_FRAME, () => 'hello' as string | Uint8Array],
    ['non-MessagePack bytes', P.MALFORMED_FRAME, () => new Uint8Array([0x92, 0x01])],
    ['a value that is not an array', P.BAD_SHAPE, () => encode({ op: 1 })],
    ['a string op', P.BAD_SHAPE, () => encode(['login', 1, {}])],
    ['a negative reqId', P.BAD_SHAPE, () => encode([Op.Login, -1, {}])],
    ['a fractional reqId', P.BAD_SHAPE, () => encode([Op.Login, 1.5, {}])],
    ['a string reqId', P.BAD_SHAPE, () => encode([Op.Login, 'r1', {}])],
    ['a response tuple from the client', P.BAD_SHAPE, () => encode([0, 1, 0, null])],
    ['a 5-tuple', P.BAD_SHAPE, () => encode([Op.Login, 1, {}, 1, 2])],
    ['an unknown client event', P.UNKNOWN_OP, () => encode([999, {}])],
    ['an oversized frame (64 KiB + 1)', P.FRAME_TOO_LARGE, () => new Uint8Array(MAX_FRAME_BYTES + 1)],
  ])('%s → ProtocolError %i and its metric', async (_, code, bytes) => {
    const w = await wire();
    await expectProtocolError(w, () => w.send(bytes()), code);
    expect(w.isOpen).toBe(true);
  });

  it('a request before login → response 102 and ProtocolError NOT_LOGGED_IN', async () => {
    const w = await wire();
    const before = await errorsOf(P.NOT_LOGGED_IN);
    const id = w.request(Op.PeerSend, { to: 'bob', msg: { type: 'TEXT', text: 'x' } });
    expect((await w.response(id)).code).toBe(NOT_LOGGED_IN);
    const e = await w.protocolError(1);
    expect(e).toMatchObject({ code: P.NOT_LOGGED_IN, reqId: id });
    expect(await errorsOf(P.NOT_LOGGED_IN)).toBe(before + 1);
  });

  it('an unknown request op (logged in) → response 1003 and ProtocolError UNKNOWN_OP', async () => {
    const w = await loggedIn('unknown-op');
    const before = await errorsOf(P.UNKNOWN_OP);
    const id = w.request(9999, {});
    expect((await w.response(id)).code).toBe(P.UNKNOWN_OP);
    expect(await w.protocolError(1)).toMatchObject({ code: P.UNKNOWN_OP, reqId: id });
    expect(await errorsOf(P.UNKNOWN_OP)).toBe(before + 1);
  });

  it('Login with a body of the wrong type → 3 and ProtocolError BAD_BODY, for each kind of mistake', async () => {
    const bodies: unknown[] = [
      'alice',
      null,
      [APP_ID, 'alice'],
      { v: PROTOCOL_VERSION, appId: 42, uid: 'alice' },
      { v: PROTOCOL_VERSION, appId: APP_ID, uid: 7 },
      { v: PROTOCOL_VERSION, appId: APP_ID, uid: 'alice', token: 5 },
      { v: PROTOCOL_VERSION, appId: APP_ID, uid: 'alice', kind: 'xmpp' },
    ];
    const w = await wire();
    const before = await errorsOf(P.BAD_BODY);
    for (const [i, body] of bodies.entries()) {
      const id = w.request(Op.Login, body);
      expect((await w.response(id)).code, JSON.stringify(body)).toBe(LoginError.INVALID_ARGUMENT);
      expect(await w.protocolError(i + 1)).toMatchObject({ code: P.BAD_BODY, reqId: id });
    }
    expect(await errorsOf(P.BAD_BODY)).toBe(before + bodies.length);
    expect(w.isOpen).toBe(true);
  });

  it('Login with an unsupported protocol version → 1007 and ProtocolError BAD_VERSION', async () => {
    const w = await wire();
    const id = w.request(Op.Login, { v: PROTOCOL_VERSION + 100, appId: APP_ID, uid: 'alice' });
    expect((await w.response(id)).code).toBe(P.BAD_VERSION);
    expect(await w.protocolError(1)).toMatchObject({ code: P.BAD_VERSION, reqId: id });
  });

  it('PeerSend with a body of the wrong type → 7 and ProtocolError BAD_BODY, for each kind of mistake', async () => {
    const bodies: unknown[] = [
      null,
      'hi bob',
      { to: 5, msg: { type: 'TEXT', text: 'x' } },
      { to: 'bob', msg: { type: 'TEXT', text: 'x' }, offline: 'yes' },
      { to: 'bob' },
      { to: 'bob', msg: { type: 'IMAGE', text: 'x' } },
      { to: 'bob', msg: { type: 'TEXT', text: 42 } },
      { to: 'bob', msg: { type: 'RAW', raw: 'AAEC' } },
      { to: 'bob', msg: { type: 'TEXT', text: 'x', raw: new Uint8Array(1) } },
    ];
    const w = await loggedIn('bad-peer-bodies');
    const before = await errorsOf(P.BAD_BODY);
    for (const [i, body] of bodies.entries()) {
      const id = w.request(Op.PeerSend, body);
      expect((await w.response(id)).code, JSON.stringify(body)).toBe(PeerMessageError.INVALID_MESSAGE);
      expect(await w.protocolError(i + 1)).toMatchObject({ code: P.BAD_BODY, reqId: id });
    }
    expect(await errorsOf(P.BAD_BODY)).toBe(before + bodies.length);
  });

  it('a frame over the hard ceiling (> 256 KiB) closes the socket with 1009', async () => {
    const w = await wire();
    w.send(new Uint8Array(MAX_FRAME_BYTES * 4 + 1));
    expect((await w.closed).code).toBe(1009);
  });

  it('a second Login while one is in progress on the socket is refused (never two sessions on a socket)', async () => {
    const w = await wire();
    const a = w.request(Op.Login, { v: PROTOCOL_VERSION, appId: APP_ID, uid: 'double-a' });
    const b = w.request(Op.Login, { v: PROTOCOL_VERSION, appId: APP_ID, uid: 'double-b' });
    expect((await w.response(a)).code).toBe(0);
    expect((await w.response(b)).code).toBe(LoginError.ALREADY_LOGIN);
    expect(t.server.sessions.local(APP_ID, 'double-a')).toBeDefined();
    expect(t.server.sessions.local(APP_ID, 'double-b')).toBeUndefined();
  });

  it('20 protocol errors are tolerated; the 21st within 10 s closes the socket with 4000 and a reason', async () => {
    const tolerant = await wire();
    for (let i = 0; i < 20; i++) tolerant.send(encode('junk'));
    await tolerant.protocolError(20);
    // still open and served
    const id = tolerant.request(Op.Login, { v: PROTOCOL_VERSION, appId: APP_ID, uid: 'tolerated' });
    expect((await tolerant.response(id)).code).toBe(0);

    const abuser = await wire();
    const closesBefore = await metric(t.server.url, 'parley_socket_closes_total', {
      code: CloseCode.PROTOCOL_ABUSE,
    });
    for (let i = 0; i < 21; i++) abuser.send(encode('junk'));
    expect(await abuser.closed).toEqual({
      code: CloseCode.PROTOCOL_ABUSE,
      reason: 'too many protocol errors',
    });
    expect(await metric(t.server.url, 'parley_socket_closes_total', { code: CloseCode.PROTOCOL_ABUSE })).toBe(
      closesBefore + 1,
    );

    // many bad messages batched in one frame count one by one
    const batcher = await wire();
    batcher.send(Uint8Array.from(Array.from({ length: 100 }, () => [...encode('junk')]).flat()));
    expect((await batcher.closed).code).toBe(CloseCode.PROTOCOL_ABUSE);
  });

  it('after all of it the server still serves: /healthz 200, a normal client logs in and messages', async () => {
    expect((await fetch(`${t.server.url}/healthz`)).status).toBe(200);
    const alice = await t.login('after-abuse-a');
    const bob = await t.login('after-abuse-b');
    const got = next<[{ text: string }]>(bob, 'MessageFromPeer');
    expect(await alice.sendMessageToPeer({ text: 'fine' }, 'after-abuse-b')).toEqual({
      hasPeerReceived: true,
    });
    expect((await got)[0].text).toBe('fine');
  });
});

describe('a consumer that cannot keep up', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup({ rateLimits: false, maxSocketBufferBytes: 256 * 1024, peerAckTimeoutMs: 300 });
  });
  afterAll(async () => t.cleanup());

  it('is disconnected (4004) once its send buffer is over the limit; others are not slowed', async () => {
    const proxy = await startTcpProxy(t.server.port);
    const slow = await WireClient.open(proxy.url);
    expect(await slow.login(APP_ID, 'slow')).toBe(0);
    // the reader stops reading: kernel buffers fill, then the server's send buffer grows
    proxy.stall();
    const alice = await t.login('fast-sender');
    const bob = await t.login('fast-reader');
    const closesBefore = await metric(t.server.url, 'parley_socket_closes_total', {
      code: CloseCode.SLOW_CONSUMER,
    });
    const big = 'x'.repeat(32 * 1024);
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 40 && t.server.sessions.local(APP_ID, 'slow')?.phase === 'active'; i++) {
      for (let j = 0; j < 10; j++) sends.push(alice.sendMessageToPeer({ text: big }, 'slow'));
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(
      () => t.server.sessions.local(APP_ID, 'slow')?.phase !== 'active',
      10_000,
      'the slow socket dropped',
    );
    expect(await metric(t.server.url, 'parley_socket_closes_total', { code: CloseCode.SLOW_CONSUMER })).toBe(
      closesBefore + 1,
    );
    // the other clients are served as usual
    const got = next<[{ text: string }]>(bob, 'MessageFromPeer');
    expect(await alice.sendMessageToPeer({ text: 'unaffected' }, 'fast-reader')).toEqual({
      hasPeerReceived: true,
    });
    expect((await got)[0].text).toBe('unaffected');
    await Promise.allSettled(sends);
    slow.close();
    await proxy.close();
  });
});

describe('random requests against a live server (fast-check)', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup({ peerAckTimeoutMs: 200 });
  });
  afterAll(async () => t.cleanup());

  it('random ops and bodies never crash the server nor make a handler throw', async () => {
    // every op of the protocol (features included), plus unknown ones
    const ops = [
      ...new Set<number>([...Object.values(Op), ...Object.values(InvitationOp), 9, 19, 99, 100, 101, 65535]),
    ];
    const anyBody = fc.oneof(
      fc.anything({ maxDepth: 3 }),
      fc.dictionary(
        fc.constantFrom(
          'to',
          'msg',
          'uid',
          'appId',
          'peerIds',
          'channelId',
          'attributes',
          'keys',
          'id',
          'callId',
          'content',
          'token',
          'v',
          'options',
          'text',
        ),
        fc.oneof(
          fc.string(),
          fc.array(fc.string(), { maxLength: 5 }),
          fc.dictionary(fc.string(), fc.string(), { maxKeys: 4 }),
          fc.integer(),
          fc.boolean(),
          fc.constant(null),
          fc.uint8Array({ maxLength: 16 }),
          fc.record(
            {
              type: fc.constantFrom('TEXT', 'RAW', 'X'),
              text: fc.oneof(fc.string(), fc.integer()),
              raw: fc.uint8Array({ maxLength: 8 }),
            },
            { requiredKeys: [] },
          ),
        ),
        { maxKeys: 5 },
      ),
    );
    const message = fc.oneof(
      fc
        .tuple(fc.constantFrom(...ops), fc.nat(0xffffffff), anyBody)
        .map(([op, reqId, body]) => encodeRequest(op, reqId, body)),
      fc.tuple(fc.constantFrom(...ops), anyBody).map(([op, body]) => encode([op, body])),
      fc.anything({ maxDepth: 3 }).map((v) => encode(v)),
      fc.uint8Array({ minLength: 1, maxLength: 64 }),
    );

    const internalErrors: unknown[] = [];
    let wire: WireClient | null = null;
    let n = 0;
    const current = async () => {
      if (wire?.isOpen) return wire;
      wire?.close();
      wire = await WireClient.open(t.server.wsUrl);
      const w = wire;
      // half of the sockets log in, so handlers behind the login see the random bodies too
      if (n++ % 2 === 0) await w.login(APP_ID, `fuzz${n % 7}`).catch(() => undefined);
      const seen = new Set<unknown>();
      w.ws.on('message', () => {
        for (const m of w.messages)
          if (m.kind === 'response' && m.code === P.INTERNAL && !seen.has(m)) {
            seen.add(m);
            internalErrors.push(m);
          }
      });
      return w;
    };

    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 8 }), async (frames) => {
        const w = await current();
        for (const f of frames) if (w.isOpen) w.send(f);
      }),
      { numRuns: 400 },
    );
    // let in-flight requests finish
    await new Promise((r) => setTimeout(r, 300));
    (wire as WireClient | null)?.close();

    expect(internalErrors).toEqual([]);
    expect((await fetch(`${t.server.url}/healthz`)).status).toBe(200);
    const a = await t.login('calm-a');
    const b = await t.login('calm-b');
    const got = next<[{ text: string }]>(b, 'MessageFromPeer');
    expect(await a.sendMessageToPeer({ text: 'still fine' }, 'calm-b')).toEqual({ hasPeerReceived: true });
    expect((await got)[0].text).toBe('still fine');
  });
});
