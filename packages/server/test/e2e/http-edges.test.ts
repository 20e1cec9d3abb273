import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, setup } from '../helpers.js';
import { metric } from '../wire-client.js';

/**
 * The HTTP answers at the edges of routing and body parsing (issue 14: the HTTP side moved onto
 * Fastify). Each answer here is what the hand-written routing gave; the framework must not add
 * its own (Fastify-shaped bodies, 414 for long ids, 415 before 405, proto-poisoning refusals…).
 */

const CERT = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const AUTH = { authorization: `Basic ${Buffer.from(`${APP_ID}:${CERT}`).toString('base64')}` };
const enc = encodeURIComponent;
const online = (uid: string) => `/api/v1/apps/${APP_ID}/users/${uid}/online`;
const members = (ch: string) => `/api/v1/apps/${APP_ID}/channels/${ch}/members`;
const channelMsgs = (ch: string) => `/api/v1/apps/${APP_ID}/channels/${ch}/messages`;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request over node:http, so that any method and header (e.g. Connection) is seen as sent. */
function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
) {
  return new Promise<Answer>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const codeOf = (a: Answer) => (JSON.parse(a.text) as { error: { code: string } }).error.code;

describe('HTTP edges: methods, paths, content types, bodies', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let port: number;
  const json = { ...AUTH, 'content-type': 'application/json' };
  beforeAll(async () => {
    t = await setup({ apps: [{ appId: APP_ID, appCertificate: CERT }] });
    port = t.server.port;
  });
  afterAll(async () => t?.cleanup());

  it('a REST route answers every other method with 405 and Allow, before looking at the body', async () => {
    for (const method of ['HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'PROPFIND']) {
      const r = await send(port, method, online('u'), AUTH);
      expect([method, r.status, r.headers.allow]).toEqual([method, 405, 'GET']);
      if (method !== 'HEAD') expect(codeOf(r)).toBe('method_not_allowed');
    }
    // A body that is not JSON, to a GET route: still 405, not 415.
    const r = await send(port, 'POST', members('c'), { ...AUTH, 'content-type': 'text/plain' }, 'hello');
    expect([r.status, codeOf(r), r.headers.allow]).toEqual([405, 'method_not_allowed', 'GET']);
    // 405 before the App ID and auth.
    const noAuth = await send(port, 'GET', '/api/v1/apps/bad/channels/c/messages');
    expect([noAuth.status, codeOf(noAuth)]).toEqual([405, 'method_not_allowed']);
  });

  it('an unknown /api/ path is 404 not_found whatever its body; other paths answer in plain text', async () => {
    const r = await send(port, 'POST', '/api/v1/nope', { 'content-type': 'text/plain' }, 'x'.repeat(20_000));
    expect([r.status, codeOf(r)]).toEqual([404, 'not_found']);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    // The body was not read: the connection is not kept for a next request.
    expect(r.headers.connection).toBe('close');
    for (const path of [`${online('u')}/`, '/api/v1/apps', '/api/']) {
      const a = await send(port, 'GET', path, AUTH);
      expect([path, a.status, codeOf(a)]).toEqual([path, 404, 'not_found']);
    }
    const post = await send(port, 'POST', '/nope', { 'content-type': 'application/json' }, '{}');
    expect([post.status, post.headers['content-type'], post.text]).toEqual([
      405,
      'text/plain',
      'method not allowed\n',
    ]);
    const get = await send(port, 'GET', '/nope');
    expect([get.status, get.headers['content-type'], get.text]).toEqual([404, 'text/plain', 'not found\n']);
    expect((await send(port, 'GET', '/healthz/')).status).toBe(404);
    expect((await send(port, 'GET', '/api')).text).toBe('not found\n');
    // The asterisk form (a server-wide OPTIONS) is no route either.
    const star = await send(port, 'OPTIONS', '*');
    expect([star.status, star.text]).toEqual([405, 'method not allowed\n']);
  });

  it('/healthz: JSON without charset, a query string ignored, HEAD with the length and no body', async () => {
    const r = await send(port, 'GET', '/healthz?probe=1');
    expect([r.status, r.headers['content-type']]).toEqual([200, 'application/json']);
    expect(JSON.parse(r.text)).toMatchObject({ status: 'ok' });
    const head = await send(port, 'HEAD', '/healthz');
    expect([head.status, head.text, head.headers['content-type']]).toEqual([200, '', 'application/json']);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(10);
    const rtm = await send(port, 'GET', '/rtm');
    expect([rtm.status, rtm.headers['content-type'], rtm.text]).toEqual([
      426,
      'text/plain',
      'upgrade to WebSocket required\n',
    ]);
  });

  it('REST answers are JSON with a newline, never cached: success and error alike', async () => {
    const ok = await send(port, 'GET', online('u'), AUTH);
    expect([ok.status, ok.text]).toEqual([200, '{"online":false,"state":"OFFLINE"}\n']);
    expect(ok.headers['cache-control']).toBe('no-store');
    const bad = await send(port, 'GET', online('null'), AUTH);
    expect([bad.status, bad.headers['cache-control']]).toEqual([400, 'no-store']);
    expect(JSON.parse(bad.text)).toEqual({
      error: { code: 'invalid_user_id', message: 'not a valid user id' },
    });
  });

  it('ids: long percent-encoded ones reach the id check (no 414), empty segments too; the query is ignored', async () => {
    // 64 characters, each percent-encoded: 192 characters in the path.
    const ch = '#'.repeat(64);
    const r = await send(port, 'GET', members(enc(ch)), AUTH);
    expect([r.status, r.text]).toEqual([200, '{"members":[],"count":0}\n']);
    const over = await send(port, 'GET', members(enc('#'.repeat(300))), AUTH);
    expect([over.status, codeOf(over)]).toEqual([400, 'invalid_channel_id']);
    const empty = await send(port, 'GET', '/api/v1/apps//users/u/online');
    expect([empty.status, codeOf(empty)]).toEqual([400, 'invalid_app_id']);
    const emptyId = await send(port, 'GET', online(''), AUTH);
    expect([emptyId.status, codeOf(emptyId)]).toEqual([400, 'invalid_user_id']);
    const query = await send(port, 'GET', `${online('u')}?x=%E0`, AUTH);
    expect(query.status).toBe(200);
    const decoded = await send(port, 'GET', online(enc('a%b c')), AUTH);
    expect(decoded.status).toBe(200);
  });

  it('broken percent-encoding: 400 invalid_request where the route exists, after its auth; 404 where none does', async () => {
    const r = await send(port, 'GET', online('%E0%A4%A'), AUTH);
    expect([r.status, codeOf(r)]).toEqual([400, 'invalid_request']);
    const app = await send(port, 'GET', '/api/v1/apps/%E0/users/u/online', AUTH);
    expect([app.status, codeOf(app)]).toEqual([400, 'invalid_request']);
    // The id is decoded after the credentials are checked.
    const noAuth = await send(port, 'GET', online('%E0'));
    expect([noAuth.status, codeOf(noAuth)]).toEqual([401, 'unauthorized']);
    const noRoute = await send(port, 'GET', '/api/v1/nope/%E0', AUTH);
    expect([noRoute.status, codeOf(noRoute)]).toEqual([404, 'not_found']);
    const plain = await send(port, 'GET', '/sdk/%E0');
    expect([plain.status, plain.headers['content-type']]).toEqual([404, 'text/plain']);
  });

  it('content types: JSON in any case and with any parameters; no Content-Type and no body is 415', async () => {
    const body = '{"from":"u","text":"x"}';
    for (const type of ['application/json;;;', 'APPLICATION/JSON', 'application/json; charset=latin1']) {
      const r = await send(port, 'POST', channelMsgs('c'), { ...AUTH, 'content-type': type }, body);
      expect([type, r.status]).toEqual([type, 200]);
    }
    for (const type of ['application/jsonx', 'application/merge-patch+json', 'text/json']) {
      const r = await send(port, 'POST', channelMsgs('c'), { ...AUTH, 'content-type': type }, body);
      expect([type, r.status, codeOf(r)]).toEqual([type, 415, 'unsupported_media_type']);
    }
    const none = await send(port, 'POST', channelMsgs('c'), { ...AUTH, 'content-length': '0' });
    expect([none.status, codeOf(none)]).toEqual([415, 'unsupported_media_type']);
    const withBody = await send(port, 'POST', channelMsgs('c'), AUTH, body);
    expect([withBody.status, codeOf(withBody)]).toEqual([415, 'unsupported_media_type']);
  });

  it('413 with Connection: close when the declared length is over 64 KiB, before reading it', async () => {
    const big = JSON.stringify({ from: 'u', text: 'x'.repeat(64 * 1024) });
    const r = await send(port, 'POST', channelMsgs('c'), json, big);
    expect([r.status, codeOf(r), r.headers.connection]).toEqual([413, 'body_too_large', 'close']);
    // Exactly 64 KiB is read (and then refused for its message size, not its body size).
    const exact = `{"from":"u","text":"${'x'.repeat(64 * 1024 - 22)}"}`;
    expect(Buffer.byteLength(exact)).toBe(64 * 1024);
    const r2 = await send(port, 'POST', channelMsgs('c'), json, exact);
    expect([r2.status, codeOf(r2)]).toEqual([400, 'message_too_large']);
  });

  it('fields: the first fault in the documented order wins; JSON is taken as sent (no coercion, no proto stripping)', async () => {
    const post = async (body: unknown) => {
      const r = await send(port, 'POST', channelMsgs('c'), json, JSON.stringify(body));
      return r.status === 200 ? 'ok' : codeOf(r);
    };
    expect(await post({ from: '', text: 7 })).toBe('invalid_user_id');
    expect(await post({ from: 'null', raw: 3 })).toBe('invalid_user_id');
    expect(await post({ from: 7 })).toBe('invalid_request');
    expect(await post({ from: 'u', text: 7 })).toBe('invalid_request');
    expect(await post({ from: 'u', text: null })).toBe('invalid_request');
    expect(await post({ from: 'u', text: true })).toBe('invalid_request');
    expect(await post({ from: 'u', raw: 'AA==', description: null })).toBe('invalid_request');
    // A message too large is reported before a wrong `offline` or Idempotency-Key.
    const peer = `/api/v1/apps/${APP_ID}/peers/v/messages`;
    const huge = JSON.stringify({ from: 'u', text: 'x'.repeat(40_000), offline: 'yes' });
    const r = await send(port, 'POST', peer, { ...json, 'idempotency-key': 'has space' }, huge);
    expect(codeOf(r)).toBe('message_too_large');
    const r2 = await send(
      port,
      'POST',
      peer,
      { ...json, 'idempotency-key': 'has space' },
      '{"from":"u","text":"x","offline":1}',
    );
    expect(codeOf(r2)).toBe('invalid_request');
    expect(JSON.parse(r2.text).error.message).toBe('"offline" is a boolean');
    // Keys JSON.parse keeps as own properties are harmless here and accepted, as before.
    expect(await post({ from: 'u', text: 'x', constructor: { prototype: {} } })).toBe('ok');
    const proto = await send(
      port,
      'POST',
      channelMsgs('c'),
      json,
      '{"from":"u","text":"x","__proto__":{"a":1}}',
    );
    expect(proto.status).toBe(200);
  });
});

describe('HTTP edges: 5xx answers are counted by route family and code', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup({ apps: [{ appId: APP_ID, quotas: { offlineMaxBytes: 10 } }] });
  });
  afterAll(async () => t?.cleanup());

  it('a REST 507 offline_storage_full is in parley_http_errors_total{route="api"}', async () => {
    const post = (to: string) =>
      send(
        t.server.port,
        'POST',
        `/api/v1/apps/${APP_ID}/peers/${to}/messages`,
        { 'content-type': 'application/json' },
        JSON.stringify({ from: 'billing', text: 'x'.repeat(100), offline: true }),
      );
    // The first fits (the app held nothing); after it the app is over its 10 bytes.
    expect((await post('bob')).status).toBe(200);
    const r = await post('carol');
    expect([r.status, codeOf(r)]).toEqual([507, 'offline_storage_full']);
    expect(
      await metric(t.server.url, 'parley_http_errors_total', { route: 'api', code: 'offline_storage_full' }),
    ).toBe(1);
  });
});
