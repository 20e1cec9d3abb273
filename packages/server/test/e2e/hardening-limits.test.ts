import { CloseCode } from '@parley/protocol';
import type WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { autoMaxConnections } from '../../src/transport/fd-limit.js';
import { APP_ID, setup } from '../helpers.js';
import { type Attempt, dribble, tryOpen } from '../hardening-net.js';
import { WireClient, metric } from '../wire-client.js';

/** Issue 13 items 6 and 8: caps on WebSockets, the login timeout, HTTP header and body timeouts. */

const opened = (a: Attempt): WebSocket => {
  if (a.kind !== 'open') throw new Error(`expected an open WebSocket, got ${JSON.stringify(a)}`);
  return a.ws;
};
const refusal = (a: Attempt) => {
  if (a.kind !== 'refused') throw new Error(`expected a refused upgrade, got ${a.kind}`);
  return { status: a.status, error: JSON.parse(a.body).error, retryAfter: a.headers['retry-after'] };
};

describe('connection caps (--max-connections, --max-connections-per-ip)', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  const sockets: WebSocket[] = [];
  beforeAll(async () => {
    t = await setup({ maxConnections: 3, maxConnectionsPerIp: 2 });
  });
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await t.cleanup();
  });

  it('refuses a third socket from one address with 429, a fourth in total with 503; /healthz and /metrics still answer', async () => {
    const url = t.server.wsUrl;
    sockets.push(opened(await tryOpen(url)), opened(await tryOpen(url)));
    expect(refusal(await tryOpen(url))).toEqual({
      status: 429,
      error: { code: 'max_connections_per_ip', message: 'too many connections from this address (limit 2)' },
      retryAfter: '5',
    });
    // Another address (loopback 127.0.0.2 stands for another client host) still gets in...
    sockets.push(opened(await tryOpen(url, '127.0.0.2')));
    // ...up to the total cap.
    expect(refusal(await tryOpen(url, '127.0.0.3'))).toEqual({
      status: 503,
      error: { code: 'max_connections', message: 'the server is at its connection limit (3)' },
      retryAfter: '5',
    });
    // A logged-in client on a full server keeps working; HTTP is not part of the cap.
    const health = await fetch(`${t.server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(
      await metric(t.server.url, 'parley_connections_refused_total', { reason: 'max_connections_per_ip' }),
    ).toBe(1);
    expect(
      await metric(t.server.url, 'parley_connections_refused_total', { reason: 'max_connections' }),
    ).toBe(1);
  });

  it('a closed socket gives its place back, to its address and to the total', async () => {
    const url = t.server.wsUrl;
    sockets.shift()!.close();
    // The place is free once the server has seen the close: retry until then (refused 429 before).
    let again: Attempt | undefined;
    for (let i = 0; i < 250 && again?.kind !== 'open'; i++) {
      if (again) expect(refusal(again).status).toBe(429);
      if (i > 0) await new Promise((r) => setTimeout(r, 20));
      again = await tryOpen(url);
    }
    sockets.push(opened(again!));
    expect(refusal(await tryOpen(url)).status).toBe(429);
  });
});

describe('login timeout (--login-timeout-ms)', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup({ loginTimeoutMs: 300 });
  });
  afterAll(async () => t.cleanup());

  it('defaults to 10 s, as docs/configuration.md says', () => {
    expect(DEFAULT_CONFIG.loginTimeoutMs).toBe(10_000);
  });

  it('closes a socket that does not log in with 4007; one that logged in stays', async () => {
    const member = await WireClient.open(t.server.wsUrl);
    expect(await member.login(APP_ID, 'timeout-member')).toBe(0);
    const idle = await WireClient.open(t.server.wsUrl);
    expect(await idle.closed).toEqual({
      code: CloseCode.LOGIN_TIMEOUT,
      reason: 'login not completed in time',
    });
    // Connected before `idle`, so past the same deadline: logged in, it is kept.
    expect(member.isOpen).toBe(true);
    expect(await metric(t.server.url, 'parley_socket_closes_total', { code: CloseCode.LOGIN_TIMEOUT })).toBe(
      1,
    );
    member.close();
  });
});

describe('HTTP header and request timeouts (--http-headers-timeout-ms, --http-request-timeout-ms)', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup({ httpHeadersTimeoutMs: 300, httpRequestTimeoutMs: 600 });
  });
  afterAll(async () => t.cleanup());

  const post = `/api/v1/apps/${APP_ID}/peers/nobody/messages`;

  it('a body dribbled after the headers is cut with 408 at the request timeout', async () => {
    const body = JSON.stringify({ from: 'slow', text: 'x'.repeat(2000) });
    const head =
      `POST ${post} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const r = await dribble(t.server.port, head, body, 20);
    expect(r.answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(r.sent).toBeLessThan(body.length);
  });

  it('headers dribbled one byte at a time are cut with 408 at the headers timeout', async () => {
    const head = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'y'.repeat(2000)}\r\n\r\n`;
    const r = await dribble(t.server.port, '', head, 20);
    expect(r.answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it('a connection that sends nothing is cut with 408 at the headers timeout', async () => {
    const r = await dribble(t.server.port, '', 'G', 10_000);
    expect(r).toEqual({ answer: expect.stringMatching(/^HTTP\/1\.1 408 Request Timeout\r\n/), sent: 0 });
  });

  it('a normal request is answered, and the cut ones are counted', async () => {
    const r = await fetch(`${t.server.url}${post}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'fast', text: 'hi' }),
    });
    expect(r.status).toBe(200);
    expect(await metric(t.server.url, 'parley_http_client_errors_total', { kind: 'timeout' })).toBe(3);
  });

  it('defaults: 10 s for headers, 30 s for the whole request', () => {
    expect(DEFAULT_CONFIG.httpHeadersTimeoutMs).toBe(10_000);
    expect(DEFAULT_CONFIG.httpRequestTimeoutMs).toBe(30_000);
  });
});

describe('the automatic --max-connections', () => {
  it('is the open-file limit minus a reserve of a tenth (at least 64); no cap when unknown', () => {
    expect(autoMaxConnections(1024)).toBe(1024 - 103);
    expect(autoMaxConnections(256)).toBe(256 - 64);
    expect(autoMaxConnections(100_000)).toBe(90_000);
    expect(autoMaxConnections(null)).toBe(0);
  });
});
