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
import { APP_ID, next, setup } from '../helpers.js';
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

  it.each([
    ['not an object', 'alice'],
    ['null', null],
    ['an array', [APP_ID, 'alice']],
    ['a numeric appId', { v: PROTOCOL_VERSION, appId: 42, uid: 'alice' }],
    ['a numeric uid', { v: PROTOCOL_VERSION, appId: APP_ID, uid: 7 }],
    ['a numeric token', { v: PROTOCOL_VERSION, appId: APP_ID, uid: 'alice', token: 5 }],
    ['an unknown kind', { v: PROTOCOL_VERSION, appId: APP_ID, uid: 'alice', kind: 'xmpp' }],
  ])('Login with a body of the wrong type (%s) → 3 and ProtocolError BAD_BODY', async (_, body) => {
    const w = await wire();
    const before = await errorsOf(P.BAD_BODY);
    const id = w.request(Op.Login, body);
    expect((await w.response(id)).code).toBe(LoginError.INVALID_ARGUMENT);
    expect(await w.protocolError(1)).toMatchObject({ code: P.BAD_BODY, reqId: id });
    expect(await errorsOf(P.BAD_BODY)).toBe(before + 1);
  });

  it('Login with an unsupported protocol version → 1007 and ProtocolError BAD_VERSION', async () => {
    const w = await wire();
    const id = w.request(Op.Login, { v: PROTOCOL_VERSION + 100, appId: APP_ID, uid: 'alice' });
    expect((await w.response(id)).code).toBe(P.BAD_VERSION);
    expect(await w.protocolError(1)).toMatchObject({ code: P.BAD_VERSION, reqId: id });
  });

  it.each([
    ['null', null],
    ['a string', 'hi bob'],
    ['a numeric peer id', { to: 5, msg: { type: 'TEXT', text: 'x' } }],
    ['a non-boolean offline flag', { to: 'bob', msg: { type: 'TEXT', text: 'x' }, offline: 'yes' }],
    ['no message', { to: 'bob' }],
    ['a message of unknown type', { to: 'bob', msg: { type: 'IMAGE', text: 'x' } }],
    ['text that is not a string', { to: 'bob', msg: { type: 'TEXT', text: 42 } }],
    ['raw that is not bytes', { to: 'bob', msg: { type: 'RAW', raw: 'AAEC' } }],
    ['both text and raw', { to: 'bob', msg: { type: 'TEXT', text: 'x', raw: new Uint8Array(1) } }],
  ])('PeerSend with a body of the wrong type (%s) → 7 and ProtocolError BAD_BODY', async (_, body) => {
    const w = await loggedIn(`bad-peer-${Math.random().toString(36).slice(2)}`);
    const before = await errorsOf(P.BAD_BODY);
    const id = w.request(Op.PeerSend, body);
    expect((await w.response(id)).code).toBe(PeerMessageError.INVALID_MESSAGE);
    expect(await w.protocolError(1)).toMatchObject({ code: P.BAD_BODY, reqId: id });
    expect(await errorsOf(P.BAD_BODY)).toBe(before + 1);
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
