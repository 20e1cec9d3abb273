import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRtmToken007 } from '@parley/token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, setup } from '../helpers.js';
import { agoraCall, agoraPaths, expectAgoraFailure, handleOf } from '../rest-client.js';
import { requireBuiltCli, spawnServer } from '../server-process.js';
import { metric } from '../wire-client.js';

/**
 * Agora's REST API (/dev/v2/project/{appId}/rtm, docs/rest-api.md): every refusal with its status
 * and code, both ways to authenticate (customer credentials, an RTM token with its uid) and the
 * per-app rate limits, on a real server with fetch.
 */

const call = agoraCall;
const expectFailure = expectAgoraFailure;
const { rtm, peer, chan, query, count } = agoraPaths;
const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-02T00:00:00.000Z';
const basic = (id: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
});

describe('Agora REST API: bad requests (development mode)', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let base: string;
  beforeAll(async () => {
    t = await setup({ cluster: false, historyQueryTtlMs: 50 });
    base = t.server.url;
  });
  afterAll(async () => t?.cleanup());

  it('400 invalid_app_id, invalid_user_id (path, destination, filter), invalid_channel_id', async () => {
    await expectFailure(
      call(base, 'POST', peer('short', 'u'), { destination: 'b', payload: 'x' }),
      400,
      'invalid_app_id',
    );
    await expectFailure(
      call(base, 'POST', peer(APP_ID, 'null'), { destination: 'b', payload: 'x' }),
      400,
      'invalid_user_id',
    );
    await expectFailure(
      call(base, 'POST', peer(APP_ID, 'a'), { destination: 'b'.repeat(65), payload: 'x' }),
      400,
      'invalid_user_id',
    );
    await expectFailure(
      call(base, 'POST', chan(APP_ID, 'a'), { channel_name: 'c/d', payload: 'x' }),
      400,
      'invalid_channel_id',
    );
    await expectFailure(
      call(base, 'POST', query(APP_ID), { filter: { source: 'ü', start_time: T0, end_time: T1 } }),
      400,
      'invalid_user_id',
    );
  });

  it('400 bad_json, invalid_request for missing or mistyped fields, message_too_large, 413 body_too_large', async () => {
    await expectFailure(call(base, 'POST', peer(APP_ID, 'a'), '{"destination":'), 400, 'bad_json');
    await expectFailure(call(base, 'POST', peer(APP_ID, 'a'), '[1]'), 400, 'bad_json');
    await expectFailure(call(base, 'POST', peer(APP_ID, 'a'), { payload: 'x' }), 400, 'invalid_request');
    await expectFailure(call(base, 'POST', peer(APP_ID, 'a'), { destination: 'b' }), 400, 'invalid_request');
    await expectFailure(
      call(base, 'POST', peer(APP_ID, 'a'), { destination: 'b', payload: '' }),
      400,
      'invalid_request',
    );
    await expectFailure(
      call(base, 'POST', peer(APP_ID, 'a'), { destination: 'b', payload: 7 }),
      400,
      'invalid_request',
    );
    await expectFailure(
      call(base, 'POST', peer(APP_ID, 'a'), {
        destination: 'b',
        payload: 'x',
        enable_offline_messaging: 'yes',
      }),
      400,
      'invalid_request',
    );
    await expectFailure(
      call(base, 'POST', peer(APP_ID, 'a', '?wait_for_ack=maybe'), { destination: 'b', payload: 'x' }),
      400,
      'invalid_request',
    );
    await expectFailure(call(base, 'POST', chan(APP_ID, 'a'), { payload: 'x' }), 400, 'invalid_request');
    await expectFailure(
      call(base, 'POST', chan(APP_ID, 'a'), { channel_name: 'c', payload: 'x'.repeat(32 * 1024 + 1) }),
      400,
      'message_too_large',
    );
    const ok = await call(base, 'POST', chan(APP_ID, 'a'), {
      channel_name: 'c',
      payload: 'x'.repeat(32 * 1024),
    });
    expect(ok.status).toBe(200);
    await expectFailure(
      call(base, 'POST', chan(APP_ID, 'a'), { channel_name: 'c', payload: 'x'.repeat(70 * 1024) }),
      413,
      'body_too_large',
    );
  });

  it('404 not_found for unknown paths under /dev/v2, 405 method_not_allowed with Allow', async () => {
    await expectFailure(call(base, 'GET', `${rtm(APP_ID)}/users/a/online`), 404, 'not_found');
    await expectFailure(call(base, 'GET', '/dev/v2/nothing'), 404, 'not_found');
    const r = await expectFailure(call(base, 'GET', peer(APP_ID, 'a')), 405, 'method_not_allowed');
    expect(r.headers.get('allow')).toBe('POST');
    const r2 = await expectFailure(
      call(base, 'DELETE', `${rtm(APP_ID)}/vendor/user_events`),
      405,
      'method_not_allowed',
    );
    expect(r2.headers.get('allow')).toBe('GET');
    const r3 = await expectFailure(call(base, 'GET', query(APP_ID)), 405, 'method_not_allowed');
    expect(r3.headers.get('allow')).toBe('POST');
  });

  it('history: 400 for a bad filter, limit, order or time; 404 unknown_handle; 410 handle_expired', async () => {
    const range = { start_time: T0, end_time: T1 };
    await expectFailure(call(base, 'POST', query(APP_ID), {}), 400, 'invalid_request');
    await expectFailure(
      call(base, 'POST', query(APP_ID), { filter: { start_time: T0 } }),
      400,
      'invalid_request',
    );
    await expectFailure(
      call(base, 'POST', query(APP_ID), { filter: range, limit: 101 }),
      400,
      'invalid_request',
    );
    await expectFailure(
      call(base, 'POST', query(APP_ID), { filter: range, limit: 0 }),
      400,
      'invalid_request',
    );
    await expectFailure(
      call(base, 'POST', query(APP_ID), { filter: range, offset: -1 }),
      400,
      'invalid_request',
    );
    await expectFailure(
      call(base, 'POST', query(APP_ID), { filter: range, order: 'up' }),
      400,
      'invalid_request',
    );
    await expectFailure(
      call(base, 'POST', query(APP_ID), { filter: { start_time: 'yesterday', end_time: T1 } }),
      400,
      'invalid_time',
    );
    await expectFailure(
      call(base, 'POST', query(APP_ID), { filter: { start_time: T1, end_time: T0 } }),
      400,
      'invalid_time',
    );
    await expectFailure(call(base, 'GET', count(APP_ID, { start_time: T0 })), 400, 'invalid_time');
    await expectFailure(
      call(base, 'GET', `${query(APP_ID)}/MjIzMDA3OjEyODA5MzkyOQ==`),
      404,
      'unknown_handle',
    );
    const made = await call(base, 'POST', query(APP_ID), { filter: range });
    expect(made.body).toEqual({
      result: 'success',
      request_id: expect.any(String),
      offset: 0,
      limit: 20,
      order: 'desc',
      location: expect.stringMatching(/^~\/rtm\/message\/history\/query\/[\w.-]+$/),
    });
    const handle = handleOf(made.body.location);
    // Altered: not ours. Another app's path: not found there either.
    const altered = `${handle.slice(0, 5)}${handle[5] === 'A' ? 'B' : 'A'}${handle.slice(6)}`;
    await expectFailure(call(base, 'GET', `${query(APP_ID)}/${altered}`), 404, 'unknown_handle');
    await expectFailure(
      call(base, 'GET', `${query('fedcba9876543210fedcba9876543210')}/${handle}`),
      404,
      'unknown_handle',
    );
    // --history-query-ttl-ms 50 here.
    await new Promise((r) => setTimeout(r, 80));
    await expectFailure(call(base, 'GET', `${query(APP_ID)}/${handle}`), 410, 'handle_expired');
  });
});

const CERT_APP = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const CERT = '0123456789abcdef0123456789abcdef';
const OPEN_APP = 'open0000open0000open0000open0000';
const LIMITED_APP = 'limited0limited0limited0limited0';

describe('Agora REST API: credentials and rate limits (apps configured)', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let base: string;
  const customer = basic('cust-1', 's3cret');
  const flagged = basic('cust-flag', 'flag-secret');
  const tokenOf = (uid: string) => ({
    'x-agora-token': buildRtmToken007(CERT_APP, CERT, uid, 3600),
    'x-agora-uid': uid,
  });
  beforeAll(async () => {
    t = await setup({
      cluster: false,
      apps: [
        { appId: CERT_APP, appCertificate: CERT },
        { appId: OPEN_APP },
        { appId: LIMITED_APP, restRates: { messages: 3, events: 2, history: 2 } },
      ],
      customers: [{ id: 'cust-1', secret: 's3cret' }],
      customerId: 'cust-flag',
      customerSecret: 'flag-secret',
    });
    base = t.server.url;
  });
  afterAll(async () => t?.cleanup());
  const send = (app: string, uid: string, headers: Record<string, string>) =>
    call(base, 'POST', peer(app, uid), { destination: 'nobody', payload: 'x' }, headers);

  it('Basic with a customer credential (config file list or flags) is valid for every app', async () => {
    for (const app of [CERT_APP, OPEN_APP])
      for (const h of [customer, flagged])
        expect((await send(app, 'anyone', h)).body.code).toBe('message_sent');
  });

  it('401 unauthorized without or with wrong credentials, before the body is read; 404 unknown_app', async () => {
    const r = await expectFailure(send(CERT_APP, 'a', {}), 401, 'unauthorized');
    expect(r.headers.get('www-authenticate')).toBe('Basic realm="agora"');
    // With customers configured, an app without certificate needs credentials too.
    await expectFailure(send(OPEN_APP, 'a', {}), 401, 'unauthorized');
    await expectFailure(send(CERT_APP, 'a', basic('cust-1', 'wrong')), 401, 'unauthorized');
    await expectFailure(send(CERT_APP, 'a', basic('cust-flag', 's3cret')), 401, 'unauthorized');
    await expectFailure(send(CERT_APP, 'a', { authorization: 'Basic !!!' }), 401, 'unauthorized');
    await expectFailure(call(base, 'POST', peer(CERT_APP, 'a'), '{not json', {}), 401, 'unauthorized');
    await expectFailure(send('0000aaaa0000aaaa0000aaaa0000aaaa', 'a', customer), 404, 'unknown_app');
  });

  it('x-agora-token + x-agora-uid: sends as that uid only; 401 for a bad or half token, 403 for another uid', async () => {
    expect((await send(CERT_APP, 'tok-alice', tokenOf('tok-alice'))).body.code).toBe('message_sent');
    const alt = {
      authorization: `agora token=${tokenOf('tok-alice')['x-agora-token']}`,
      'x-agora-uid': 'tok-alice',
    };
    expect((await send(CERT_APP, 'tok-alice', alt)).body.code).toBe('message_sent');
    await expectFailure(send(CERT_APP, 'tok-bob', tokenOf('tok-alice')), 403, 'forbidden');
    await expectFailure(
      call(
        base,
        'POST',
        chan(CERT_APP, 'tok-bob'),
        { channel_name: 'c', payload: 'x' },
        tokenOf('tok-alice'),
      ),
      403,
      'forbidden',
    );
    await expectFailure(
      send(CERT_APP, 'tok-alice', { ...tokenOf('tok-alice'), 'x-agora-uid': 'tok-mallory' }),
      401,
      'unauthorized',
    );
    await expectFailure(
      send(CERT_APP, 'tok-alice', { 'x-agora-token': 'garbage', 'x-agora-uid': 'tok-alice' }),
      401,
      'unauthorized',
    );
    await expectFailure(send(CERT_APP, 'tok-alice', { 'x-agora-uid': 'tok-alice' }), 401, 'unauthorized');
    await expectFailure(
      send(CERT_APP, 'tok-alice', { 'x-agora-token': tokenOf('tok-alice')['x-agora-token'] }),
      401,
      'unauthorized',
    );
  });

  it('a token caller reads history it took part in only, and no events', async () => {
    const range = { start_time: T0, end_time: T1 };
    const own = await call(
      base,
      'POST',
      query(CERT_APP),
      { filter: { ...range, source: 'tok-alice' } },
      tokenOf('tok-alice'),
    );
    expect(own.status).toBe(200);
    const handle = handleOf(own.body.location);
    const read = await call(base, 'GET', `${query(CERT_APP)}/${handle}`, undefined, tokenOf('tok-alice'));
    expect(read.body).toEqual({
      result: 'success',
      request_id: expect.any(String),
      code: 'ok',
      messages: [],
    });
    // The handle is the maker's: another token user may not read it, a customer may.
    await expectFailure(
      call(base, 'GET', `${query(CERT_APP)}/${handle}`, undefined, tokenOf('tok-bob')),
      403,
      'forbidden',
    );
    expect((await call(base, 'GET', `${query(CERT_APP)}/${handle}`, undefined, customer)).body.code).toBe(
      'ok',
    );
    const to = await call(
      base,
      'POST',
      query(CERT_APP),
      { filter: { ...range, destination: 'tok-alice' } },
      tokenOf('tok-alice'),
    );
    expect(to.status).toBe(200);
    await expectFailure(
      call(base, 'POST', query(CERT_APP), { filter: { ...range, source: 'tok-bob' } }, tokenOf('tok-alice')),
      403,
      'forbidden',
    );
    await expectFailure(
      call(base, 'POST', query(CERT_APP), { filter: range }, tokenOf('tok-alice')),
      403,
      'forbidden',
    );
    await expectFailure(
      call(
        base,
        'GET',
        count(CERT_APP, { ...range, destination: 'some-room' }),
        undefined,
        tokenOf('tok-alice'),
      ),
      403,
      'forbidden',
    );
    // A channel it is a member of.
    const c = t.client({}, CERT_APP);
    await c.login({ uid: 'tok-alice', token: tokenOf('tok-alice')['x-agora-token'] });
    await c.createChannel('alice-room').join();
    const counted = await call(
      base,
      'GET',
      count(CERT_APP, { ...range, destination: 'alice-room' }),
      undefined,
      tokenOf('tok-alice'),
    );
    expect(counted.body).toEqual({ result: 'success', request_id: expect.any(String), code: 'ok', count: 0 });
    for (const p of ['vendor/user_events', 'hook/channel_events'])
      await expectFailure(
        call(base, 'GET', `${rtm(CERT_APP)}/${p}`, undefined, tokenOf('tok-alice')),
        403,
        'forbidden',
      );
    expect((await call(base, 'GET', `${rtm(CERT_APP)}/vendor/user_events`, undefined, customer)).status).toBe(
      200,
    );
  });

  it('429 rate_limited past the app’s rates (messages, events, history), each counted apart', async () => {
    const many = async (n: number, f: () => ReturnType<typeof call>) =>
      (await Promise.all(Array.from({ length: n }, f))).map((r) => r.status);
    const msgs = await many(8, () => send(LIMITED_APP, 'a', customer));
    expect(msgs.filter((s) => s === 200).length).toBeLessThanOrEqual(3);
    expect(msgs).toContain(429);
    const r = await expectFailure(send(LIMITED_APP, 'a', customer), 429, 'rate_limited');
    expect(r.body.message).toBe('API rate limit exceeded');
    expect(r.headers.get('retry-after')).toBe('1');
    const evs = await many(6, () =>
      call(base, 'GET', `${rtm(LIMITED_APP)}/vendor/user_events`, undefined, customer),
    );
    expect(evs).toContain(429);
    expect(evs).toContain(200);
    const hist = await many(6, () =>
      call(base, 'GET', count(LIMITED_APP, { start_time: T0, end_time: T1 }), undefined, customer),
    );
    expect(hist).toContain(429);
    expect(hist).toContain(200);
    // An unauthenticated caller spends nothing of the app's rate.
    await expectFailure(send(CERT_APP, 'a', {}), 401, 'unauthorized');
  });
});

describe('Agora REST API: offline quotas', () => {
  const FULL_APP = 'full0000full0000full0000full0000';
  const QUOTA_APP = 'quota000quota000quota000quota000';
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup({
      cluster: false,
      apps: [
        { appId: FULL_APP, quotas: { offlineMaxBytes: 10 } },
        { appId: QUOTA_APP, quotas: { offlineMaxPerSenderPerHour: 1 } },
      ],
    });
  });
  afterAll(async () => t?.cleanup());
  const offline = (app: string, to: string) =>
    call(t.server.url, 'POST', peer(app, 'billing'), {
      destination: to,
      enable_offline_messaging: true,
      payload: 'x'.repeat(100),
    });

  it('507 offline_storage_full (counted in parley_http_errors_total{route="dev"}), 429 offline_sender_quota', async () => {
    expect((await offline(FULL_APP, 'bob')).body.code).toBe('message_offline');
    await expectFailure(offline(FULL_APP, 'carol'), 507, 'offline_storage_full');
    expect(
      await metric(t.server.url, 'parley_http_errors_total', { route: 'dev', code: 'offline_storage_full' }),
    ).toBe(1);
    expect((await offline(QUOTA_APP, 'bob')).body.code).toBe('message_offline');
    await expectFailure(offline(QUOTA_APP, 'carol'), 429, 'offline_sender_quota');
  });
});

describe('Agora REST API: --rate-limits off', () => {
  it('lifts the per-app rates', async () => {
    const t = await setup({
      cluster: false,
      rateLimits: false,
      apps: [{ appId: LIMITED_APP, restRates: { messages: 1 } }],
    });
    try {
      const statuses = await Promise.all(
        Array.from({ length: 10 }, () =>
          call(t.server.url, 'POST', peer(LIMITED_APP, 'a'), { destination: 'b', payload: 'x' }).then(
            (r) => r.status,
          ),
        ),
      );
      expect(statuses).toEqual(Array(10).fill(200));
    } finally {
      await t.cleanup();
    }
  });
});

describe('Agora REST API: customer credentials of `parley serve`', () => {
  it("PARLEY_CUSTOMER_ID / PARLEY_CUSTOMER_SECRET and the config file's customers are all valid", async () => {
    requireBuiltCli();
    const dir = mkdtempSync(join(tmpdir(), 'parley-agora-cli-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ customers: [{ id: 'from-file', secret: 'file-secret' }] }));
    const p = await spawnServer(
      ['--port', '0', '--data-dir', dir, '--config', file, '--app-id', CERT_APP, '--app-certificate', CERT],
      {
        env: { PARLEY_CUSTOMER_ID: 'from-env', PARLEY_CUSTOMER_SECRET: 'env-secret' },
      },
    );
    try {
      const url = `http://127.0.0.1:${p.port}`;
      const send = (h: Record<string, string>) =>
        call(url, 'POST', chan(CERT_APP, 'backend'), { channel_name: 'c', payload: 'x' }, h);
      expect((await send(basic('from-env', 'env-secret'))).body.code).toBe('message_sent');
      expect((await send(basic('from-file', 'file-secret'))).body.code).toBe('message_sent');
      await expectFailure(send(basic('from-env', 'file-secret')), 401, 'unauthorized');
      await expectFailure(send({}), 401, 'unauthorized');
    } finally {
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
