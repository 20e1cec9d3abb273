import {
  ChannelMessageError,
  Op,
  PeerMessageError,
  ProtocolErrorCode,
  SignalingCode,
  SignalingOp,
} from '@parley/protocol';
import AgoraRTM, { type RtmClient } from '@parley/sdk';
import { startTestServer, type ParleyServer } from '@parley/server/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus, createEmbeddedStore } from '../../src/adapters/embedded/index.js';
import type { Store } from '../../src/ports/store.js';
import { APP_ID, WHOLE_HISTORY, WITH_HISTORY } from '../helpers.js';
import { RawClient } from '../raw-client.js';
import { metric } from '../wire-client.js';

/**
 * Issue 15: the `historical` flag on the wire (docs/protocol.md), checked like every other field
 * of its request (the op's malformed-body code), and the per-app history cap of the config file
 * (`apps[].quotas.historyMaxBytes`).
 */

let server: ParleyServer | null = null;
let store: Store | null = null;
const closers: Array<() => void> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) c();
  await server?.close();
  await store?.close();
  server = store = null;
});

async function start(cfg: Parameters<typeof startTestServer>[0] = {}) {
  store = createEmbeddedStore({ dataDir: null });
  server = await startTestServer({ rateLimits: false, ...cfg }, { store, bus: new MemoryBus() });
  return server;
}
const raw = async (s: ParleyServer, uid: string, kind?: 'signaling') => {
  const c = await RawClient.connect(s.wsUrl);
  closers.push(() => c.close());
  expect((await c.login({ appId: APP_ID, uid, ...(kind ? { kind } : {}) })).code).toBe(0);
  return c;
};

describe('the historical flag on the wire', () => {
  it('anything but a boolean (or null) is a malformed body: the op’s code and BAD_BODY, nothing recorded or sent', async () => {
    const s = await start();
    const rtm = await raw(s, 'alice');
    const sig = await raw(s, 'carol', 'signaling');
    const msg = { type: 'TEXT', text: 'x' };
    const cases: Array<[RawClient, number, object, number]> = [
      [rtm, Op.PeerSend, { to: 'bob', msg, historical: 'yes' }, PeerMessageError.INVALID_MESSAGE],
      [rtm, Op.ChannelSend, { channelId: 'room', msg, historical: 1 }, ChannelMessageError.INVALID_MESSAGE],
      [
        sig,
        SignalingOp.PeerSend,
        { to: 'bob', text: 'x', historical: {} },
        SignalingCode.GENERAL_E_WRONG_PARAM,
      ],
      [
        sig,
        SignalingOp.ChannelSendForce,
        { channelId: 'room', text: 'x', historical: [] },
        SignalingCode.GENERAL_E_WRONG_PARAM,
      ],
    ];
    const before = await metric(s.url, 'parley_protocol_errors_total', { code: ProtocolErrorCode.BAD_BODY });
    for (const [c, op, body, code] of cases) expect((await c.request(op, body)).code).toBe(code);
    expect(await metric(s.url, 'parley_protocol_errors_total', { code: ProtocolErrorCode.BAD_BODY })).toBe(
      before + cases.length,
    );
    expect(await store!.messageHistory.query(APP_ID, WHOLE_HISTORY)).toEqual([]);
  });

  it('null and false are no history; true records, on every op', async () => {
    const s = await start();
    const rtm = await raw(s, 'alice');
    const sig = await raw(s, 'carol', 'signaling');
    const msg = { type: 'TEXT', text: 'x' };
    expect((await rtm.request(Op.PeerSend, { to: 'bob', msg, historical: null })).code).toBe(0);
    expect((await rtm.request(Op.PeerSend, { to: 'bob', msg, historical: false })).code).toBe(0);
    expect(
      (await rtm.request(Op.PeerSend, { to: 'bob', msg: { ...msg, text: 'p' }, historical: true })).code,
    ).toBe(0);
    expect((await sig.request(SignalingOp.PeerSend, { to: 'bob', text: 's', historical: true })).code).toBe(
      0,
    );
    expect(
      (await sig.request(SignalingOp.ChannelSendForce, { channelId: 'room', text: 'f', historical: true }))
        .code,
    ).toBe(0);
    const list = await store!.messageHistory.query(APP_ID, WHOLE_HISTORY);
    expect(list.map((e) => [e.src, e.dst, e.payload])).toEqual([
      ['alice', 'bob', 'p'],
      ['carol', 'bob', 's'],
      ['carol', 'room', 'f'],
    ]);
  });
});

describe('per-app history cap (apps[].quotas.historyMaxBytes)', () => {
  it('overrides --history-max-bytes-per-app for that app only', async () => {
    const OTHER = 'ABCDEFabcdef0123456789abcdef0123';
    const s = await start({
      historyMaxBytesPerApp: 1000,
      apps: [{ appId: APP_ID, quotas: { historyMaxBytes: 8 } }, { appId: OTHER }],
    });
    const clients: RtmClient[] = [];
    const login = async (appId: string) => {
      const c = AgoraRTM.createInstance(appId, { serverUrl: s.wsUrl });
      clients.push(c);
      closers.push(() => c.release());
      await c.login({ uid: 'alice' });
      return c;
    };
    const [a, o] = [await login(APP_ID), await login(OTHER)];
    for (const text of ['aaaa', 'bbbb', 'cccc']) {
      await a.sendMessageToPeer({ text }, 'bob', WITH_HISTORY);
      await o.sendMessageToPeer({ text }, 'bob', WITH_HISTORY);
    }
    const payloads = async (appId: string) =>
      (await store!.messageHistory.query(appId, WHOLE_HISTORY)).map((e) => e.payload);
    expect(await payloads(APP_ID)).toEqual(['bbbb', 'cccc']);
    expect(await payloads(OTHER)).toEqual(['aaaa', 'bbbb', 'cccc']);
    expect(await metric(s.url, 'parley_history_dropped_total', { reason: 'app_bytes' })).toBe(1);
  });
});
