import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

export interface HttpTimeouts {
  /** time to receive a request's headers, ms (0 = none) */
  headersTimeoutMs: number;
  /** time to receive a whole request, body included, ms (0 = none) */
  requestTimeoutMs: number;
}

/**
 * Options for `http.createServer`: Node's own header and request timeouts (which answer 408 and
 * close the connection) instead of its 300 s default, and a check interval that keeps them
 * closely (Node checks every 30 s by default, which would let a 10 s timeout run to 40 s).
 */
export function httpServerOptions(t: HttpTimeouts) {
  const requestTimeout = t.requestTimeoutMs;
  // Node refuses a headers timeout longer than the request timeout.
  const headersTimeout =
    requestTimeout > 0 ? Math.min(t.headersTimeoutMs, requestTimeout) : t.headersTimeoutMs;
  const shortest = Math.min(...[headersTimeout, requestTimeout].filter((v) => v > 0), 30_000);
  return {
    headersTimeout,
    requestTimeout,
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(shortest / 4))),
  };
}

/** Node's answers for a client error, as its default `clientError` handling writes them. */
const ANSWERS: Record<string, { kind: string; response: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { kind: 'timeout', response: answer(408, 'Request Timeout') },
  HPE_HEADER_OVERFLOW: {
    kind: 'headers_too_large',
    response: answer(431, 'Request Header Fields Too Large'),
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { kind: 'too_large', response: answer(413, 'Payload Too Large') },
};
const BAD_REQUEST = { kind: 'bad_request', response: answer(400, 'Bad Request') };

function answer(status: number, text: string): string {
  return `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n\r\n`;
}

/**
 * What the HTTP server does with a client error (a timeout, a malformed or oversized request):
 * answered as Node would, counted, and the socket destroyed. Given to Fastify as its
 * `clientErrorHandler`, so that it is the server's only 'clientError' listener.
 */
export function answerClientError(metrics: Metrics) {
  return (err: Error & { code?: string }, socket: Socket): void => {
    const reset = err.code === 'ECONNRESET';
    const a = reset ? { kind: 'reset', response: '' } : (ANSWERS[err.code ?? ''] ?? BAD_REQUEST);
    metrics.httpClientErrors.inc({ kind: a.kind });
    // Only where no response of ours has started on this socket (Node's rule, too).
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (a.response && socket.writable && !inFlight?.headersSent) {
      socket.end(a.response);
      socket.destroySoon();
    } else socket.destroy();
  };
}

/**
 * Errors of the listening socket itself (EMFILE on accept: out of file descriptors) are counted
 * and logged at most once a second — without a listener they would end the process. Installed
 * once listening (a failing `listen` reports its own error).
 */
export function guardListener(http: HttpServer, metrics: Metrics, log: Logger): void {
  let lastLogged = 0;
  http.on('error', (err: Error & { code?: string }) => {
    metrics.acceptErrors.inc({ code: err.code ?? 'unknown' });
    const now = Date.now();
    if (now - lastLogged < 1000) return;
    lastLogged = now;
    log.error({ err }, 'HTTP listener error (new connections are being refused)');
  });
}
