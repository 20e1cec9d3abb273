import { Op, PROTOCOL_VERSION, PeerMessageError } from '@parley/protocol';
import type { RtmClient, RtmMessage } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, collect, next, setup } from '../helpers.js';
import { WireClient } from '../wire-client.js';

/** Peer messages through the real SDK and server: payloads, limits, ids, rate (spec §4.1). */

type Err = { name: string; code: number };
async function rejection(p: Promise<unknown>): Promise<Err> {
  try {
    await p;
  } catch (e) {
    return e as Err;
  }
  throw new Error('expected a rejection');
}
const LIMIT = 32 * 1024;

describe('peer messages: payloads and checks', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let alice: RtmClient;
  let bob: RtmClient;
  beforeAll(async () => {
    t = await setup({ rateLimits: false });
    alice = await t.login('alice');
    bob = await t.login('bob');
  });
  afterAll(async () => t.cleanup());

  const roundTrip = async (msg: RtmMessage) => {
    const got = next<[RtmMessage, string, { serverReceivedTs: number; isOfflineMessage: boolean }]>(
      bob,
      'MessageFromPeer',
    );
    const r = await alice.sendMessageToPeer(msg, 'bob');
    expect(r).toEqual({ hasPeerReceived: true });
    return got;
  };

  it('text arrives intact (UTF-8 of every width, control characters)', async () => {
    const text = 'héllo €uro 用户 😀 \u0000\n\t "quotes" \\ end';
    const [m, from, props] = await roundTrip({ text });
    expect(m).toEqual({ text, messageType: 'TEXT' });
    expect(from).toBe('alice');
    expect(props.isOfflineMessage).toBe(false);
    expect(Number.isInteger(props.serverReceivedTs)).toBe(true);
  });

  it('raw bytes arrive intact: every byte value 0–255, with its description', async () => {
    const raw = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
    const [m] = await roundTrip({ rawMessage: raw, description: 'all the bytes ✓' });
    expect(m.messageType).toBe('RAW');
    const got = m as { rawMessage: Uint8Array; description: string };
    expect(got.rawMessage).toBeInstanceOf(Uint8Array);
    expect([...got.rawMessage]).toEqual([...raw]);
    expect(got.description).toBe('all the bytes ✓');
  });

  it('raw without description → description "" ; an explicit messageType is honoured', async () => {
    const [m] = await roundTrip({ rawMessage: new Uint8Array([0, 255]), messageType: 'RAW' });
    expect(m).toEqual({ rawMessage: new Uint8Array([0, 255]), description: '', messageType: 'RAW' });
    const [e] = await roundTrip({ rawMessage: new Uint8Array(0) });
    expect(e).toEqual({ rawMessage: new Uint8Array(0), description: '', messageType: 'RAW' });
    const [txt] = await roundTrip({ text: '', messageType: 'TEXT' });
    expect(txt).toEqual({ text: '', messageType: 'TEXT' });
  });

  it('size limit is 32 KB exactly: 32768 bytes pass, 32769 → RtmLimitExceededError 7', async () => {
    const [m] = await roundTrip({ text: 'x'.repeat(LIMIT) });
    expect((m as { text: string }).text.length).toBe(LIMIT);
    let e = await rejection(alice.sendMessageToPeer({ text: 'x'.repeat(LIMIT + 1) }, 'bob'));
    expect([e.name, e.code]).toEqual(['RtmLimitExceededError', PeerMessageError.INVALID_MESSAGE]);
    // counted in UTF-8 bytes: 10923 × '€' (3 bytes) = 32769
    e = await rejection(alice.sendMessageToPeer({ text: '€'.repeat(10923) }, 'bob'));
    expect([e.name, e.code]).toEqual(['RtmLimitExceededError', 7]);
    await roundTrip({ text: '€'.repeat(10922) });
  });

  it('raw bytes + description are counted together', async () => {
    await roundTrip({ rawMessage: new Uint8Array(LIMIT) });
    await roundTrip({ rawMessage: new Uint8Array(LIMIT - 2), description: 'ab' });
    let e = await rejection(
      alice.sendMessageToPeer({ rawMessage: new Uint8Array(LIMIT - 2), description: 'abc' }, 'bob'),
    );
    expect([e.name, e.code]).toEqual(['RtmLimitExceededError', 7]);
    e = await rejection(alice.sendMessageToPeer({ rawMessage: new Uint8Array(LIMIT + 1) }, 'bob'));
    expect([e.name, e.code]).toEqual(['RtmLimitExceededError', 7]);
  });

  it.each([
    ['null', null],
    ['a string', 'hello'],
    ['an empty object', {}],
    ['a numeric text', { text: 42 }],
    ['RAW type with text', { text: 'x', messageType: 'RAW' }],
    ['TEXT type with rawMessage', { rawMessage: new Uint8Array(1), messageType: 'TEXT' }],
    ['rawMessage that is not a Uint8Array', { rawMessage: [1, 2, 3] }],
    ['rawMessage and text together', { rawMessage: new Uint8Array(1), text: 'x' }],
    ['a non-string description', { rawMessage: new Uint8Array(1), description: 5 }],
    ['an unsupported message type', { text: 'x', messageType: 'IMAGE' }],
  ])('an invalid message object (%s) → RtmInvalidArgumentError 7', async (_, msg) => {
    const e = await rejection(alice.sendMessageToPeer(msg as unknown as RtmMessage, 'bob'));
    expect([e.name, e.code]).toEqual(['RtmInvalidArgumentError', PeerMessageError.INVALID_MESSAGE]);
  });

  it.each([
    ['empty', ''],
    ['"null"', 'null'],
    ['65 characters', 'p'.repeat(65)],
    ['non-ASCII', 'bób'],
    ['a number', 7],
    ['undefined', undefined],
  ])('an invalid peer id (%s) → RtmInvalidArgumentError 6', async (_, peer) => {
    const e = await rejection(alice.sendMessageToPeer({ text: 'x' }, peer as string));
    expect([e.name, e.code]).toEqual(['RtmInvalidArgumentError', PeerMessageError.INVALID_USERID]);
  });

  it('the server enforces size and peer id itself (raw protocol client)', async () => {
    const w = await WireClient.open(t.server.wsUrl);
    try {
      expect(await w.login(APP_ID, 'raw-sender')).toBe(0);
      const send = async (to: unknown, msg: unknown) =>
        (await w.response(w.request(Op.PeerSend, { to, msg }))).code;
      expect(await send('null', { type: 'TEXT', text: 'x' })).toBe(PeerMessageError.INVALID_USERID);
      expect(await send('p'.repeat(65), { type: 'TEXT', text: 'x' })).toBe(PeerMessageError.INVALID_USERID);
      expect(await send('bob', { type: 'TEXT', text: 'x'.repeat(LIMIT + 1) })).toBe(
        PeerMessageError.INVALID_MESSAGE,
      );
      expect(await send('bob', { type: 'RAW', raw: new Uint8Array(LIMIT), description: 'x' })).toBe(
        PeerMessageError.INVALID_MESSAGE,
      );
      expect(await send('bob', { type: 'RAW', raw: new Uint8Array(LIMIT) })).toBe(0);
      expect(await send('bob', { type: 'TEXT', text: 'x'.repeat(LIMIT) })).toBe(0);
    } finally {
      w.close();
    }
  });

  it('the receiver gets no extra fields the sender slipped in', async () => {
    const w = await WireClient.open(t.server.wsUrl);
    try {
      expect(await w.login(APP_ID, 'sneaky')).toBe(0);
      const got = next<[Record<string, unknown>, string]>(bob, 'MessageFromPeer');
      const id = w.request(Op.PeerSend, {
        to: 'bob',
        msg: { type: 'TEXT', text: 'hi', isOfflineMessage: true, from: 'admin' },
      });
      const [m, from] = await got;
      expect(m).toEqual({ text: 'hi', messageType: 'TEXT' });
      expect(from).toBe('sneaky');
      expect((await w.response(id)).code).toBe(0);
    } finally {
      w.close();
    }
  });
});

describe('peer messages: rate limit 180 per 3 s (peer + channel)', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup();
  });
  afterAll(async () => t.cleanup());

  it('the SDK refuses the 181st send within 3 s with code 5, before the wire', async () => {
    const alice = await t.login('fast-alice');
    const bob = await t.login('fast-bob');
    const got = collect(bob, 'MessageFromPeer');
    const sends = Array.from({ length: 180 }, (_, i) =>
      alice.sendMessageToPeer({ text: String(i) }, 'fast-bob'),
    );
    const e = await rejection(alice.sendMessageToPeer({ text: 'one too many' }, 'fast-bob'));
    expect([e.name, e.code]).toEqual(['RtmLimitExceededError', PeerMessageError.TOO_OFTEN]);
    const results = await Promise.all(sends);
    expect(results.every((r) => r.hasPeerReceived)).toBe(true);
    expect(got).toHaveLength(180);
  });

  it('the server enforces it too: a raw client sending 181 PeerSend gets code 5 for the 181st', async () => {
    const w = await WireClient.open(t.server.wsUrl);
    try {
      expect(await w.login(APP_ID, 'raw-flood')).toBe(0);
      const ids = Array.from({ length: 181 }, (_, i) =>
        w.request(Op.PeerSend, { to: 'nobody', msg: { type: 'TEXT', text: String(i) } }),
      );
      const codes = await Promise.all(ids.map(async (id) => (await w.response(id)).code));
      expect(codes.slice(0, 180).every((c) => c === 0)).toBe(true);
      expect(codes[180]).toBe(PeerMessageError.TOO_OFTEN);
    } finally {
      w.close();
    }
  });

  it('the limit is per client: another client is not slowed', async () => {
    const w = await WireClient.open(t.server.wsUrl);
    const other = await WireClient.open(t.server.wsUrl);
    try {
      expect(await w.login(APP_ID, 'noisy')).toBe(0);
      expect(await other.login(APP_ID, 'quiet')).toBe(0);
      const ids = Array.from({ length: 200 }, () =>
        w.request(Op.PeerSend, { to: 'nobody', msg: { type: 'TEXT', text: 'x' } }),
      );
      await w.response(ids.at(-1)!);
      const id = other.request(Op.PeerSend, { to: 'nobody', msg: { type: 'TEXT', text: 'x' } });
      expect((await other.response(id)).code).toBe(0);
    } finally {
      w.close();
      other.close();
    }
  });

  it('the login response carries the limits the server enforces', async () => {
    const w = await WireClient.open(t.server.wsUrl);
    try {
      const id = w.request(Op.Login, { v: PROTOCOL_VERSION, appId: APP_ID, uid: 'limits' });
      const r = (await w.response(id)) as {
        code: number;
        body: { limits: { messageBytes: number; sendRate: unknown } };
      };
      expect(r.body.limits.messageBytes).toBe(LIMIT);
      expect(r.body.limits.sendRate).toEqual({ count: 180, windowMs: 3000 });
    } finally {
      w.close();
    }
  });
});
