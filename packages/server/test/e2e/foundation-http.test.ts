import { ProtocolErrorCode } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { next, setup } from '../helpers.js';
import { WireClient, sample } from '../wire-client.js';

/** HTTP on the WebSocket port: /healthz and the Prometheus /metrics (issue: connections, logins, messages, errors, lag). */
describe('/healthz and /metrics', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup();
  });
  afterAll(async () => t.cleanup());

  const scrape = async () => {
    const r = await fetch(`${t.server.url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    return r.text();
  };

  it('/healthz is 200 with a JSON status while serving', async () => {
    const r = await fetch(`${t.server.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ status: 'ok' });
  });

  it('other paths and methods', async () => {
    expect((await fetch(`${t.server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${t.server.url}/healthz`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${t.server.url}/rtm`)).status).toBe(426);
  });

  it("serves the SDKs' browser builds under /sdk/ (script tag swap), revalidated by ETag", async () => {
    const r = await fetch(`${t.server.url}/sdk/agora-rtm-sdk.js`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    const js = await r.text();
    // A classic script that defines Agora's global and nothing Node.
    expect(js.slice(0, 40)).toMatch(/^("use strict";)?var AgoraRTM=/);
    expect(js.includes('AgoraRTM = AgoraRTM.default;')).toBe(true);
    expect(Number(r.headers.get('content-length'))).toBe(Buffer.byteLength(js));
    const etag = r.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    const again = await fetch(`${t.server.url}/sdk/agora-rtm-sdk.js`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const head = await fetch(`${t.server.url}/sdk/parley-sdk.browser.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000);
    expect((await fetch(`${t.server.url}/sdk/agora-rtm-sdk.js.map`)).headers.get('content-type')).toBe(
      'application/json',
    );
    const missing = await fetch(`${t.server.url}/sdk/../package.json`);
    expect(missing.status).toBe(404);
    const unknown = await fetch(`${t.server.url}/sdk/nope.js`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toMatch(/^no such SDK file; available: agora-rtm-sdk\.js/);
  });

  it('exposes connections, logins, messages in/out, errors by code and event-loop lag', async () => {
    const before = await scrape();
    for (const name of [
      'parley_connections',
      'parley_sessions',
      'parley_logins_total',
      'parley_messages_in_total',
      'parley_messages_out_total',
      'parley_errors_total',
      'parley_protocol_errors_total',
      'parley_event_loop_lag_seconds',
    ])
      expect(before, name).toContain(`# TYPE ${name} `);

    const alice = await t.login('m-alice');
    const bob = await t.login('m-bob');
    const got = next(bob, 'MessageFromPeer');
    await alice.sendMessageToPeer({ text: 'counted' }, 'm-bob');
    await got;
    await alice.sendMessageToPeer({ text: 'x' }, 'nobody-online');
    const w = await WireClient.open(t.server.wsUrl);
    w.send('junk');
    await w.protocolError(1);
    const bad = w.request(9999, {}); // before login: 102 + a protocol error
    await w.response(bad);

    const after = await scrape();
    const d = (name: string, labels: Record<string, string | number> = {}) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(sample(after, 'parley_connections')).toBeGreaterThanOrEqual(3);
    expect(sample(after, 'parley_sessions')).toBeGreaterThanOrEqual(2);
    expect(d('parley_logins_total', { code: 0 })).toBe(2);
    expect(d('parley_messages_in_total', { kind: 'peer' })).toBe(2);
    expect(d('parley_messages_out_total', { kind: 'peer' })).toBe(1);
    expect(d('parley_protocol_errors_total', { code: ProtocolErrorCode.MALFORMED_FRAME })).toBe(1);
    expect(d('parley_protocol_errors_total', { code: ProtocolErrorCode.NOT_LOGGED_IN })).toBe(1);
    // `sample` reads a missing metric as 0: check the gauge is there with a number.
    expect(after).toMatch(/^parley_event_loop_lag_seconds \d/m);

    // errors by op and code: a refused request is counted
    await expect(alice.sendMessageToPeer({ text: 'x' }, 'null')).rejects.toMatchObject({ code: 6 });
    const w2 = await WireClient.open(t.server.wsUrl);
    expect(await w2.login('0123456789abcdef0123456789abcdef', 'm-raw')).toBe(0);
    await w2.response(w2.request(10, { to: 'null', msg: { type: 'TEXT', text: 'x' } }));
    const last = await scrape();
    expect(sample(last, 'parley_errors_total', { op: 10, code: 6 })).toBeGreaterThanOrEqual(1);
    w.close();
    w2.close();
  });
});
