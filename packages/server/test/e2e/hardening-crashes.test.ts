import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP_ID } from '../helpers.js';
import { type Attempt, dribble, httpGet, sendThenReset, tryOpen } from '../hardening-net.js';
import { rawLogin } from '../raw-client.js';
import { type ServerProcess, spawnServer } from '../server-process.js';
import { metric } from '../wire-client.js';

/**
 * Issue 13 items 1, 2 and 6 on real `parley serve` processes (needs `npm run build`): what used
 * to end the process — a reset refused upgrade, fd exhaustion, an unhandled rejection — must not.
 */
describe('a hostile client cannot end the process', () => {
  let dir: string;
  let server: ServerProcess | null = null;
  const sockets: WebSocket[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-hardening-'));
  });
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    if (server && server.proc.exitCode === null && server.proc.signalCode === null) await server.kill9();
    server = null;
    rmSync(dir, { recursive: true, force: true });
  });

  const alive = async (s: ServerProcess) => {
    expect(s.proc.exitCode, s.stderr()).toBeNull();
    expect((await httpGet(s.port, '/healthz')).status).toBe(200);
    expect((await rawLogin(s.wsUrl, { appId: APP_ID, uid: 'after' })).code).toBe(0);
  };

  it('refused upgrades reset (RST) as soon as the answer arrives, 300 times each way, leave it serving', async () => {
    server = await spawnServer(['--port', '0', '--data-dir', dir]);
    const upgrade = (path: string, extra = '') =>
      `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${extra}\r\n`;
    // Before the fix the process died within a few tries (ECONNRESET, unhandled 'error' event).
    for (let i = 0; i < 300; i++) {
      expect(await sendThenReset(server.port, upgrade('/x'))).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
      // ws refuses a handshake without a key: 400, the same way.
      expect(await sendThenReset(server.port, upgrade('/rtm', 'Sec-WebSocket-Version: 13\r\n'))).toMatch(
        /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*"code":"bad_handshake"/,
      );
      // A malformed HTTP request (the http server's clientError path).
      expect(await sendThenReset(server.port, 'GET / HTTP/1.1\r\nBad Header\r\n\r\n')).toMatch(
        /^HTTP\/1\.1 400 Bad Request\r\n/,
      );
    }
    await alive(server);
    const url = `http://127.0.0.1:${server.port}`;
    expect(await metric(url, 'parley_connections_refused_total', { reason: 'not_found' })).toBe(300);
    expect(await metric(url, 'parley_connections_refused_total', { reason: 'bad_handshake' })).toBe(300);
    expect(await metric(url, 'parley_http_client_errors_total', { kind: 'bad_request' })).toBe(300);
  });

  it('under a low open-file limit the automatic cap refuses WebSockets with 503 while /healthz, /metrics and /sdk/ answer', async () => {
    // 256 descriptors: the cap is 256 - 64 = 192 sockets.
    server = await spawnServer(['--port', '0', '--data-dir', dir], { fdLimit: 256 });
    const attempts: Attempt[] = [];
    for (let i = 0; i < 200; i++) attempts.push(await tryOpen(server.wsUrl));
    for (const a of attempts) if (a.kind === 'open') sockets.push(a.ws);
    expect(sockets.length).toBe(192);
    const refused = attempts.filter((a) => a.kind === 'refused');
    expect(refused.length).toBe(8);
    expect(refused.every((a) => a.kind === 'refused' && a.status === 503)).toBe(true);
    expect((await httpGet(server.port, '/healthz')).status).toBe(200);
    expect((await httpGet(server.port, '/sdk/agora-rtm-sdk.js')).status).toBe(200);
    const metrics = await httpGet(server.port, '/metrics');
    expect(metrics.body).toMatch(/^parley_connections_refused_total\{reason="max_connections"\} 8$/m);
    // The descriptors never ran out.
    expect(metrics.body).not.toMatch(/^parley_accept_errors_total\{/m);
  });

  it('out of file descriptors (EMFILE): a served SDK file is served from memory, an unread one is answered 503, the process survives', async () => {
    // The cap set above the fd limit, so that the descriptors really run out.
    server = await spawnServer(['--port', '0', '--data-dir', dir, '--max-connections', '100000'], {
      fdLimit: 200,
    });
    expect((await httpGet(server.port, '/sdk/agora-rtm-sdk.js')).status).toBe(200);
    // Open sockets until the server cannot accept any more (it drops the connection at accept).
    for (let i = 0; i < 250; i++) {
      const a = await tryOpen(server.wsUrl);
      if (a.kind !== 'open') break;
      sockets.push(a.ws);
    }
    expect(sockets.length).toBeGreaterThan(100);
    expect(sockets.length).toBeLessThan(200);
    /** GETs `path`, retried until the server accepted the connection (a freed descriptor has to reach it first). */
    const getWhenAccepted = async (path: string) => {
      for (let i = 0; i < 200; i++) {
        const r = await httpGet(server!.port, path).catch(() => null);
        if (r) return r;
        await new Promise((res) => setTimeout(res, 20));
      }
      throw new Error(`the server never answered ${path}`);
    };
    // One descriptor free: enough to accept a connection, not to open a file as well.
    sockets.pop()!.terminate();
    const cached = await getWhenAccepted('/sdk/agora-rtm-sdk.js');
    expect(cached.status).toBe(200);
    expect(cached.body.slice(0, 40)).toMatch(/var AgoraRTM=/);
    // Never read before: reading it needs a descriptor there is none of.
    const unread = await getWhenAccepted('/sdk/agora-signaling.js');
    expect(unread.status).toBe(503);
    expect(JSON.parse(unread.body)).toEqual({
      error: { code: 'sdk_file_unavailable', message: 'agora-signaling.js could not be read; try again' },
    });
    for (const ws of sockets.splice(0)) ws.terminate();
    // Descriptors back: the failed read was not remembered.
    let later = { status: 0, body: '' };
    for (let i = 0; i < 200 && later.status !== 200; i++) {
      later = await httpGet(server.port, '/sdk/agora-signaling.js').catch(() => later);
      if (later.status !== 200) await new Promise((res) => setTimeout(res, 20));
    }
    expect(later.status).toBe(200);
    await alive(server);
    const url = `http://127.0.0.1:${server.port}`;
    expect(
      await metric(url, 'parley_http_errors_total', { route: 'sdk', code: 'sdk_file_unavailable' }),
    ).toBe(1);
    expect(await metric(url, 'parley_unhandled_errors_total', { kind: 'rejection' })).toBe(0);
  });
});

describe('the limits as flags and env of parley serve', () => {
  let dir: string;
  let server: ServerProcess | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-limits-'));
  });
  afterEach(async () => {
    if (server && server.proc.exitCode === null && server.proc.signalCode === null) await server.kill9();
    server = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('--max-connections-per-ip, PARLEY_LOGIN_TIMEOUT_MS and PARLEY_HTTP_HEADERS_TIMEOUT_MS reach the server', async () => {
    server = await spawnServer(['--port', '0', '--data-dir', dir, '--max-connections-per-ip', '1'], {
      env: { PARLEY_LOGIN_TIMEOUT_MS: '200', PARLEY_HTTP_HEADERS_TIMEOUT_MS: '200' },
    });
    const first = await tryOpen(server.wsUrl);
    expect(first.kind).toBe('open');
    const second = await tryOpen(server.wsUrl);
    expect(second.kind === 'refused' && second.status).toBe(429);
    if (first.kind !== 'open') return;
    const closed = await new Promise<number>((r) => first.ws.once('close', (code) => r(code)));
    expect(closed).toBe(4007);
    // A connection that sends nothing: cut at the headers timeout.
    expect((await dribble(server.port, '', 'G', 10_000)).answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('the last resort of parley serve (PARLEY_TEST_INJECT_FAULT)', () => {
  let dir: string;
  let server: ServerProcess | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-fault-'));
  });
  afterEach(async () => {
    if (server && server.proc.exitCode === null && server.proc.signalCode === null) await server.kill9();
    server = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('an unhandled rejection is logged and counted, and the server keeps serving', async () => {
    server = await spawnServer(['--port', '0', '--data-dir', dir], {
      env: { PARLEY_TEST_INJECT_FAULT: 'unhandled-rejection' },
    });
    const url = `http://127.0.0.1:${server.port}`;
    let n = 0;
    for (let i = 0; i < 250 && n === 0; i++) {
      n = await metric(url, 'parley_unhandled_errors_total', { kind: 'rejection' });
      if (n === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(n).toBe(1);
    expect(server.stdout()).toMatch(/unhandled promise rejection \(a bug; please report it\)/);
    expect(server.stdout()).toMatch(/injected test fault/);
    expect((await httpGet(server.port, '/healthz')).status).toBe(200);
    expect((await rawLogin(server.wsUrl, { appId: APP_ID, uid: 'after-rejection' })).code).toBe(0);
  });

  it('an uncaught exception shuts the server down with a clear message and exit code 70', async () => {
    server = await spawnServer(['--port', '0', '--data-dir', dir], {
      env: { PARLEY_TEST_INJECT_FAULT: 'uncaught-exception' },
    });
    expect(await server.exited).toBe(70);
    expect(server.stderr()).toMatch(
      /^parley: internal error, uncaught exception: Error: injected test fault/m,
    );
    expect(server.stderr()).toMatch(
      /parley: shutting down \(exit code 70\) because the server's state may be inconsistent; restart it\./,
    );
    expect(server.stdout()).toMatch(/uncaught exception \(a bug; please report it\): shutting down/);
    // Shut down gracefully, not just exited: the data dir's lock was released.
    expect(existsSync(join(dir, 'parley.lock'))).toBe(false);
  });
});
