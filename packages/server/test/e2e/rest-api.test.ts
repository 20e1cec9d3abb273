import type { RtmMessage } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeOptions } from '../cluster/nodes.js';
import { APP_ID, collect, next, setup, until } from '../helpers.js';
import { restCall } from '../rest-client.js';
import { signalingClients } from '../signaling-client.js';
import { startTcpProxy } from '../tcp-proxy.js';

/**
 * The REST API for back-ends (docs/rest-api.md), driven with `fetch` against the real server,
 * with real SDK clients (RTM and Signaling) on the receiving side.
 */

type Props = { serverReceivedTs: number; isOfflineMessage?: boolean };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (m: RtmMessage) => (m as { text?: string }).text;

const call = restCall;

const enc = encodeURIComponent;
const channelMsgs = (app: string, ch: string) => `/api/v1/apps/${app}/channels/${enc(ch)}/messages`;
const peerMsgs = (app: string, uid: string) => `/api/v1/apps/${app}/peers/${enc(uid)}/messages`;
const members = (app: string, ch: string) => `/api/v1/apps/${app}/channels/${enc(ch)}/members`;
const online = (app: string, uid: string) => `/api/v1/apps/${app}/users/${enc(uid)}/online`;

describe('REST API (development mode)', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let sig: ReturnType<typeof signalingClients>;
  let base: string;
  beforeAll(async () => {
    t = await setup({ sessionGraceMs: 2000 });
    sig = signalingClients(t.servers);
    base = t.server.url;
  });
  afterAll(async () => {
    sig?.cleanup();
    await t?.cleanup();
  });

  const joined = (uid: string, ch: string) => t.joined(uid, ch);

  it('POST channel message: every member gets it, except the member named in "from"', async () => {
    const [, a] = await joined('ch-a', 'rest-room');
    const [, b] = await joined('ch-b', 'rest-room');
    const gotA = next<[RtmMessage, string, Props]>(a, 'ChannelMessage');
    const gotB = collect<[RtmMessage, string, Props]>(b, 'ChannelMessage');
    const r = await call(base, 'POST', channelMsgs(APP_ID, 'rest-room'), {
      from: 'ch-b',
      text: 'hello from the back-end',
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: expect.any(String), ts: expect.any(Number) });
    const [msg, from, props] = await gotA;
    expect([text(msg), from, props.serverReceivedTs]).toEqual(['hello from the back-end', 'ch-b', r.body.ts]);
    await sleep(200); // checking that something does NOT happen: no echo to "from"
    expect(gotB).toEqual([]);
  });

  it('POST channel message: raw bytes with a description; sent to a channel with no members', async () => {
    const [, a] = await joined('raw-a', 'raw-room');
    const got = next<[RtmMessage, string]>(a, 'ChannelMessage');
    const raw = Buffer.from([0, 1, 2, 254, 255]);
    const r = await call(base, 'POST', channelMsgs(APP_ID, 'raw-room'), {
      from: 'system',
      raw: raw.toString('base64'),
      description: 'bytes',
    });
    expect(r.status).toBe(200);
    const [msg, from] = await got;
    expect(from).toBe('system');
    expect(msg).toMatchObject({ messageType: 'RAW', description: 'bytes' });
    expect([...(msg as { rawMessage: Uint8Array }).rawMessage]).toEqual([...raw]);
    const empty = await call(base, 'POST', channelMsgs(APP_ID, 'nobody-here'), { from: 'system', text: 'x' });
    expect(empty.status).toBe(200);
  });

  it('POST channel message: a Signaling member gets onMessageChannelReceive', async () => {
    const s = await sig.login('sig-rest');
    s.api.channelJoin('sig-rest-room');
    await s.wait('onChannelJoined');
    const r = await call(base, 'POST', channelMsgs(APP_ID, 'sig-rest-room'), {
      from: 'backend',
      text: 'hi sig',
    });
    expect(r.status).toBe(200);
    expect(await s.wait('onMessageChannelReceive')).toEqual(['sig-rest-room', 'backend', 0, 'hi sig']);
  });

  it('POST channel message: exactly the message limit (32 KB) is accepted, one byte more is not', async () => {
    const ok = await call(base, 'POST', channelMsgs(APP_ID, 'big'), {
      from: 'u',
      text: 'x'.repeat(32 * 1024),
    });
    expect(ok.status).toBe(200);
    const over = await call(base, 'POST', channelMsgs(APP_ID, 'big'), {
      from: 'u',
      text: `${'x'.repeat(32 * 1024 - 1)}é`,
    });
    expect(over.status).toBe(400);
    expect(over.body.error.code).toBe('message_too_large');
    const rawOver = await call(base, 'POST', channelMsgs(APP_ID, 'big'), {
      from: 'u',
      raw: Buffer.alloc(32 * 1024).toString('base64'),
      description: 'd',
    });
    expect([rawOver.status, rawOver.body.error.code]).toEqual([400, 'message_too_large']);
  });

  it('POST peer message: received by an online peer (acked), false for an offline one', async () => {
    const bob = await t.login('peer-bob');
    const got = next<[RtmMessage, string, Props]>(bob, 'MessageFromPeer');
    const r = await call(base, 'POST', peerMsgs(APP_ID, 'peer-bob'), { from: 'backend', text: 'direct' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: expect.any(String), ts: expect.any(Number), received: true, cached: false });
    const [msg, from, props] = await got;
    expect([text(msg), from, props.isOfflineMessage]).toEqual(['direct', 'backend', false]);
    const gone = await call(base, 'POST', peerMsgs(APP_ID, 'peer-nobody'), { from: 'backend', text: 'lost' });
    expect(gone.body).toMatchObject({ received: false, cached: false });
  });

  it('POST peer message with "offline": true is cached and delivered at the next login', async () => {
    const r = await call(base, 'POST', peerMsgs(APP_ID, 'later-carol'), {
      from: 'backend',
      text: 'stored',
      offline: true,
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ received: false, cached: true });
    const carol = t.client();
    const got = next<[RtmMessage, string, Props]>(carol, 'MessageFromPeer');
    await carol.login({ uid: 'later-carol' });
    const [msg, from, props] = await got;
    expect([text(msg), from, props.isOfflineMessage]).toEqual(['stored', 'backend', true]);
  });

  it('POST peer message with an Idempotency-Key: a retry is answered as the first, stored and delivered once', async () => {
    const key = { 'idempotency-key': 'order-42/attempt' };
    const body = { from: 'backend', text: 'once', offline: true };
    const first = await call(base, 'POST', peerMsgs(APP_ID, 'idem-dora'), body, key);
    expect(first.body).toMatchObject({ received: false, cached: true });
    const retry = await call(base, 'POST', peerMsgs(APP_ID, 'idem-dora'), body, key);
    expect(retry.body).toEqual(first.body);
    // Another key is another message.
    const other = await call(
      base,
      'POST',
      peerMsgs(APP_ID, 'idem-dora'),
      { ...body, text: 'two' },
      {
        'idempotency-key': 'order-43',
      },
    );
    expect(other.body.id).not.toBe(first.body.id);
    const dora = t.client();
    const got = collect<[RtmMessage, string, Props]>(dora, 'MessageFromPeer');
    await dora.login({ uid: 'idem-dora' });
    await until(() => got.some((g) => text(g[0]) === 'two'), 5000, 'the second message');
    expect(got.map((g) => text(g[0]))).toEqual(['once', 'two']);
    // dora's SDK acked both on arrival; a request answered on the same socket after that means
    // the server has handled the acks. Then a retry says received.
    await dora.queryPeersOnlineStatus(['x']);
    const again = await call(base, 'POST', peerMsgs(APP_ID, 'idem-dora'), body, key);
    expect(again.body).toEqual({ id: first.body.id, ts: first.body.ts, received: true, cached: false });
    expect(got).toHaveLength(2);
  });

  it('POST peer message: a Signaling user gets onMessageInstantReceive', async () => {
    const s = await sig.login('sig-peer');
    const r = await call(base, 'POST', peerMsgs(APP_ID, 'sig-peer'), { from: 'backend', text: 'to sig' });
    expect(r.status).toBe(200);
    expect(await s.wait('onMessageInstantReceive')).toEqual(['backend', 0, 'to sig']);
  });

  it('GET members: the uids in the channel and their count', async () => {
    await joined('m-1', 'member-room');
    await joined('m-2', 'member-room');
    const r = await call(base, 'GET', members(APP_ID, 'member-room'));
    expect(r.status).toBe(200);
    expect([[...r.body.members].sort(), r.body.count]).toEqual([['m-1', 'm-2'], 2]);
    expect((await call(base, 'GET', members(APP_ID, 'empty-room'))).body).toEqual({ members: [], count: 0 });
  });

  it('GET online: ONLINE, UNREACHABLE (grace period, counts as online), OFFLINE', async () => {
    const proxy = await startTcpProxy(t.server.port);
    try {
      const c = t.client({ serverUrl: proxy.url });
      await c.login({ uid: 'on-dave' });
      expect((await call(base, 'GET', online(APP_ID, 'on-dave'))).body).toEqual({
        online: true,
        state: 'ONLINE',
      });
      proxy.pause();
      proxy.dropAll();
      let r = await call(base, 'GET', online(APP_ID, 'on-dave'));
      for (let i = 0; i < 200 && r.body.state === 'ONLINE'; i++) {
        await sleep(10);
        r = await call(base, 'GET', online(APP_ID, 'on-dave'));
      }
      expect(r.body).toEqual({ online: true, state: 'UNREACHABLE' });
    } finally {
      await proxy.close();
    }
    expect((await call(base, 'GET', online(APP_ID, 'never-seen'))).body).toEqual({
      online: false,
      state: 'OFFLINE',
    });
  });

  describe('errors: status and code', () => {
    const expectError = async (p: ReturnType<typeof call>, status: number, code: string) => {
      const r = await p;
      expect([r.status, r.body.error.code]).toEqual([status, code]);
      expect(r.body.error.message).toEqual(expect.any(String));
      return r;
    };

    it('404 not_found for unknown routes, 405 method_not_allowed with Allow', async () => {
      await expectError(call(base, 'GET', '/api/v1/nope'), 404, 'not_found');
      await expectError(call(base, 'GET', `/api/v2/apps/${APP_ID}/users/u/online`), 404, 'not_found');
      await expectError(call(base, 'GET', `/api/v1/apps/${APP_ID}/users/u/offline`), 404, 'not_found');
      const r = await expectError(call(base, 'GET', channelMsgs(APP_ID, 'c')), 405, 'method_not_allowed');
      expect(r.headers.get('allow')).toBe('POST');
      const r2 = await expectError(call(base, 'POST', members(APP_ID, 'c'), {}), 405, 'method_not_allowed');
      expect(r2.headers.get('allow')).toBe('GET');
    });

    it('400 for ids that break the Agora rules (app, channel, user, "from")', async () => {
      await expectError(call(base, 'GET', online('not-an-app-id', 'u')), 400, 'invalid_app_id');
      await expectError(call(base, 'GET', members(APP_ID, 'null')), 400, 'invalid_channel_id');
      await expectError(call(base, 'GET', members(APP_ID, 'c'.repeat(65))), 400, 'invalid_channel_id');
      await expectError(
        call(base, 'POST', channelMsgs(APP_ID, 'a/b'), { from: 'u', text: 'x' }),
        400,
        'invalid_channel_id',
      );
      await expectError(call(base, 'GET', online(APP_ID, 'ü')), 400, 'invalid_user_id');
      await expectError(
        call(base, 'POST', peerMsgs(APP_ID, 'null'), { from: 'u', text: 'x' }),
        400,
        'invalid_user_id',
      );
      await expectError(
        call(base, 'POST', peerMsgs(APP_ID, 'u'), { from: '', text: 'x' }),
        400,
        'invalid_user_id',
      );
      await expectError(
        call(base, 'POST', channelMsgs(APP_ID, 'c'), { from: 'x'.repeat(65), text: 'x' }),
        400,
        'invalid_user_id',
      );
      await expectError(
        call(base, 'GET', `/api/v1/apps/${APP_ID}/users/%E0%A4%A/online`),
        400,
        'invalid_request',
      );
    });

    it('400 bad_json and invalid_request for malformed bodies', async () => {
      const url = channelMsgs(APP_ID, 'c');
      await expectError(call(base, 'POST', url, '{"from": '), 400, 'bad_json');
      await expectError(call(base, 'POST', url, '[1, 2]'), 400, 'bad_json');
      await expectError(call(base, 'POST', url, ''), 400, 'bad_json');
      await expectError(call(base, 'POST', url, { text: 'no from' }), 400, 'invalid_request');
      await expectError(call(base, 'POST', url, { from: 7, text: 'x' }), 400, 'invalid_request');
      await expectError(call(base, 'POST', url, { from: 'u' }), 400, 'invalid_request');
      await expectError(
        call(base, 'POST', url, { from: 'u', text: 'x', raw: 'AA==' }),
        400,
        'invalid_request',
      );
      await expectError(
        call(base, 'POST', url, { from: 'u', text: 'x', description: 'd' }),
        400,
        'invalid_request',
      );
      await expectError(call(base, 'POST', url, { from: 'u', raw: 'not base64!' }), 400, 'invalid_request');
      await expectError(
        call(base, 'POST', url, { from: 'u', raw: 'AA==', description: 3 }),
        400,
        'invalid_request',
      );
      const peer = peerMsgs(APP_ID, 'u');
      await expectError(
        call(base, 'POST', peer, { from: 'v', text: 'x', offline: 'yes' }),
        400,
        'invalid_request',
      );
      for (const bad of ['', 'has space', 'x'.repeat(65)])
        await expectError(
          call(base, 'POST', peer, { from: 'v', text: 'x' }, { 'idempotency-key': bad }),
          400,
          'invalid_request',
        );
    });

    it('415 unsupported_media_type for a body that is not declared JSON', async () => {
      const r = await call(base, 'POST', channelMsgs(APP_ID, 'c'), '{"from":"u","text":"x"}', {
        'content-type': 'text/plain',
      });
      expect([r.status, r.body.error.code]).toEqual([415, 'unsupported_media_type']);
      const ok = await call(
        base,
        'POST',
        channelMsgs(APP_ID, 'c'),
        { from: 'u', text: 'x' },
        {
          'content-type': 'Application/JSON; charset=utf-8',
        },
      );
      expect(ok.status).toBe(200);
    });

    it('413 body_too_large above 64 KiB, declared or streamed', async () => {
      const big = JSON.stringify({ from: 'u', text: 'x'.repeat(64 * 1024) });
      await expectError(call(base, 'POST', channelMsgs(APP_ID, 'c'), big), 413, 'body_too_large');
      // No Content-Length (chunked): the cap applies while reading.
      const chunked = new ReadableStream({
        start(ctl) {
          for (let i = 0; i < 20; i++) ctl.enqueue(new TextEncoder().encode(' '.repeat(4096)));
          ctl.close();
        },
      });
      const r = await fetch(`${base}${channelMsgs(APP_ID, 'c')}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: chunked,
        duplex: 'half',
      } as RequestInit);
      expect([r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([
        413,
        'body_too_large',
      ]);
      // The server still serves.
      expect((await call(base, 'GET', online(APP_ID, 'u'))).status).toBe(200);
    });
  });
});

describe('REST API with apps configured (auth)', () => {
  const CERT = 'c0ffee00c0ffee00c0ffee00c0ffee00';
  const OPEN_APP = 'fedcba9876543210fedcba9876543210';
  let t: Awaited<ReturnType<typeof setup>>;
  let base: string;
  const basic = (user: string, pass: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
  });
  beforeAll(async () => {
    t = await setup({ apps: [{ appId: APP_ID, appCertificate: CERT }, { appId: OPEN_APP }] });
    base = t.server.url;
  });
  afterAll(async () => t?.cleanup());

  it('an app with a certificate needs Basic base64(appId:appCertificate)', async () => {
    const url = online(APP_ID, 'u');
    for (const headers of [
      {},
      basic(APP_ID, 'wrong'),
      basic(APP_ID, `${CERT}x`),
      basic(OPEN_APP, CERT),
      { authorization: `Bearer ${CERT}` },
      { authorization: 'Basic' },
    ]) {
      const r = await call(base, 'GET', url, undefined, headers);
      expect([r.status, r.body.error.code]).toEqual([401, 'unauthorized']);
      expect(r.headers.get('www-authenticate')).toBe('Basic realm="parley"');
    }
    const ok = await call(base, 'GET', url, undefined, basic(APP_ID, CERT));
    expect([ok.status, ok.body]).toEqual([200, { online: false, state: 'OFFLINE' }]);
    const send = await call(
      base,
      'POST',
      channelMsgs(APP_ID, 'c'),
      { from: 'u', text: 'x' },
      basic(APP_ID, CERT),
    );
    expect(send.status).toBe(200);
    // Auth comes before the body is looked at.
    const noAuth = await call(base, 'POST', channelMsgs(APP_ID, 'c'), '{not json');
    expect([noAuth.status, noAuth.body.error.code]).toEqual([401, 'unauthorized']);
  });

  it('an app without a certificate is open; an unknown app is 404 unknown_app', async () => {
    const r = await call(base, 'GET', online(OPEN_APP, 'u'));
    expect(r.status).toBe(200);
    const unknown = await call(
      base,
      'GET',
      online('00000000000000000000000000000000', 'u'),
      undefined,
      basic(APP_ID, CERT),
    );
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'unknown_app']);
  });
});

const MODES: [string, NodeOptions][] = [
  ['two nodes (memory)', { nodes: 2 }],
  ['two nodes (Redis cluster)', { cluster: 2 }],
];

describe.each(MODES)('REST API across nodes: %s', (_mode, nodes) => {
  let t: Awaited<ReturnType<typeof setup>>;
  let sig: ReturnType<typeof signalingClients>;
  beforeAll(async () => {
    t = await setup(nodes);
    sig = signalingClients(t.servers);
  });
  afterAll(async () => {
    sig?.cleanup();
    await t?.cleanup();
  });

  it('a request to either node reaches members and peers on both, in order', async () => {
    // RTM clients go round-robin from the first node, Signaling clients from the second.
    const a = await t.login('x-a'); // node 1
    const b = await t.login('x-b'); // node 2
    const s = await sig.login('x-sig'); // node 2
    expect(t.servers[0]!.sessions.local(APP_ID, 'x-a')).toBeDefined();
    expect(t.servers[1]!.sessions.local(APP_ID, 'x-b')).toBeDefined();
    expect(t.servers[1]!.sessions.local(APP_ID, 'x-sig')).toBeDefined();
    const chA = a.createChannel('x-room');
    const chB = b.createChannel('x-room');
    await Promise.all([chA.join(), chB.join()]);
    s.api.channelJoin('x-room');
    await s.wait('onChannelJoined');

    const gotA = collect<[RtmMessage, string]>(chA, 'ChannelMessage');
    const gotB = collect<[RtmMessage, string]>(chB, 'ChannelMessage');
    const texts = (got: [RtmMessage, string][]) => got.map(([m]) => text(m));
    const sigTexts = () => s.calls('onMessageChannelReceive').map((c) => c[3]);
    const want: string[] = [];
    for (const [i, server] of t.servers.entries()) {
      const list = await call(server.url, 'GET', members(APP_ID, 'x-room'));
      expect([[...list.body.members].sort(), list.body.count]).toEqual([['x-a', 'x-b', 'x-sig'], 3]);
      for (let n = 0; n < 5; n++) {
        const r = await call(server.url, 'POST', channelMsgs(APP_ID, 'x-room'), {
          from: 'ops',
          text: `${i}-${n}`,
        });
        expect(r.status).toBe(200);
        want.push(`${i}-${n}`);
      }
      // One node's messages arrive in order; wait for them before sending through the next node
      // (two entry points have no order between them).
      await until(
        () => gotA.length === want.length && gotB.length === want.length && sigTexts().length === want.length,
      );
      expect([texts(gotA), texts(gotB), sigTexts()]).toEqual([want, want, want]);
    }

    // Peer messages from the first node to a user on the second, acked across nodes.
    const got = next<[RtmMessage, string]>(b, 'MessageFromPeer');
    const r = await call(t.servers[0]!.url, 'POST', peerMsgs(APP_ID, 'x-b'), { from: 'ops', text: 'cross' });
    expect(r.body).toMatchObject({ received: true, cached: false });
    expect(text((await got)[0])).toBe('cross');
    const state = await call(t.servers[0]!.url, 'GET', online(APP_ID, 'x-b'));
    expect(state.body).toEqual({ online: true, state: 'ONLINE' });
  });
});
