import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';

/** Socket-level helpers of the hardening tests: raw HTTP, refused upgrades, many sockets. */

/** The outcome of a WebSocket attempt: open, refused with an HTTP status, or failed at TCP level. */
export type Attempt =
  | { kind: 'open'; ws: WebSocket }
  | { kind: 'refused'; status: number; body: string; headers: Record<string, string | string[] | undefined> }
  | { kind: 'failed'; error: string };

/** Opens a WebSocket (from `localAddress`, e.g. 127.0.0.2, to stand for another client host). */
export function tryOpen(url: string, localAddress?: string): Promise<Attempt> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, localAddress ? { localAddress } : {});
    ws.once('open', () => resolve({ kind: 'open', ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.once('end', () =>
        resolve({ kind: 'refused', status: res.statusCode ?? 0, body, headers: res.headers }),
      );
      res.once('error', () =>
        resolve({ kind: 'refused', status: res.statusCode ?? 0, body, headers: res.headers }),
      );
    });
    ws.once('error', (e) => resolve({ kind: 'failed', error: e.message }));
  });
}

/** A GET on a fresh connection (no keep-alive pool holding a server descriptor); rejects on a socket error. */
export function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end();
  });
}

/**
 * Sends `bytes` on a raw TCP connection and resolves with the first data the server sends; the
 * connection is then reset (RST, not FIN) at once, as a client that gives up abruptly does.
 */
export function sendThenReset(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let first = '';
    const s = connect(port, '127.0.0.1', () => s.write(bytes));
    s.once('data', (d: Buffer) => {
      first = d.toString();
      s.resetAndDestroy();
    });
    s.on('error', () => undefined);
    s.once('close', () =>
      first ? resolve(first) : reject(new Error(`closed without an answer to ${bytes.split('\r')[0]}`)),
    );
  });
}

/**
 * Sends `head`, then `dribble` one byte every `everyMs` until the server answers or closes;
 * resolves with what it answered ('' if it closed without a word). Bounded by `maxBytes`.
 */
export function dribble(
  port: number,
  head: string,
  dribble: string,
  everyMs: number,
): Promise<{ answer: string; sent: number }> {
  return new Promise((resolve, reject) => {
    let answer = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const s: Socket = connect(port, '127.0.0.1', () => {
      s.write(head);
      timer = setInterval(() => {
        if (sent >= dribble.length) {
          clearInterval(timer);
          s.destroy();
          reject(new Error(`the server took all ${sent} dribbled bytes without cutting the request`));
          return;
        }
        s.write(dribble[sent++]!);
      }, everyMs);
    });
    s.on('data', (d: Buffer) => {
      answer += d.toString();
    });
    s.on('error', () => undefined);
    s.once('close', () => {
      clearInterval(timer);
      resolve({ answer, sent });
    });
  });
}
