import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** One webhook request as the receiver got it. */
export interface Received {
  headers: IncomingHttpHeaders;
  /** the raw body, as signed */
  body: string;
  json: { appId: string; events: Array<{ name: string; ts: number; [k: string]: unknown }> };
}

/** What the receiver answers request n (0-based): a status, or 'hang' (answered by `release()`). */
export type Answer = (n: number, r: Received) => number | 'hang';

/** The self-signed certificate of 127.0.0.1 the HTTPS receiver uses (trust it with NODE_EXTRA_CA_CERTS). */
export const TLS_CERT = new URL('./fixtures/webhook-tls/cert.pem', import.meta.url).pathname;
const tlsOptions = () => ({
  cert: readFileSync(TLS_CERT),
  key: readFileSync(new URL('./fixtures/webhook-tls/key.pem', import.meta.url)),
});

/**
 * A real HTTP server (HTTPS with `{ tls: true }`) on 127.0.0.1, port 0, recording every request.
 * `answer` decides each status (default 200); hung requests wait until `release(status)`.
 */
export async function startReceiver(answer: Answer = () => 200, o: { tls?: boolean } = {}) {
  const requests: Received[] = [];
  const hung: ServerResponse[] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r: Received = { headers: req.headers, body, json: JSON.parse(body) };
      requests.push(r);
      const status = answer(requests.length - 1, r);
      if (status === 'hang') hung.push(res);
      else res.writeHead(status, { 'content-type': 'text/plain' }).end(`status ${status}`);
    });
  };
  const http = o.tls ? createTlsServer(tlsOptions(), onRequest) : createServer(onRequest);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}/hooks?token=abc`,
    port,
    requests,
    /** every event received, in order of arrival */
    events: () => requests.flatMap((r) => r.json.events),
    names: () => requests.flatMap((r) => r.json.events.map((e) => e.name)),
    /** answers the hung requests */
    release(status = 200) {
      for (const res of hung.splice(0)) res.writeHead(status).end();
    },
    async close() {
      for (const res of hung.splice(0)) res.destroy();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** A metric's value in the server's /metrics text (0 when absent). */
export async function metricValue(serverUrl: string, series: string): Promise<number> {
  const text = await (await fetch(`${serverUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Waits until a metric reaches `value` (rejects after `ms`). */
export async function untilMetric(
  serverUrl: string,
  series: string,
  value: number,
  ms = 5000,
): Promise<void> {
  const end = Date.now() + ms;
  while ((await metricValue(serverUrl, series)) < value) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${series} >= ${value}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The end of a webhook test: its servers, then its receiver. */
export async function closeAll(env?: { cleanup(): Promise<void> }, rx?: Receiver): Promise<void> {
  await env?.cleanup();
  await rx?.close();
}
