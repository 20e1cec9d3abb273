import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from '../metrics.js';
import { serveSdkFile } from './sdk-files.js';

export interface HttpDeps {
  metrics: Metrics;
  /** false while the server cannot serve (shutting down, Redis unreachable in cluster mode) */
  ready: () => { ok: boolean; detail: Record<string, unknown> };
  /** the REST API (rest-api.ts): every request under /api/ */
  api?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/**
 * Plain HTTP routes on the WebSocket port: /healthz, /metrics, the REST API under /api/ and the
 * SDKs' browser builds under /sdk/.
 */
export function createHttpHandler(deps: HttpDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = (req.url ?? '/').split('?')[0]!;
    if (deps.api && url.startsWith('/api/')) return deps.api(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'text/plain', 'method not allowed\n');
    if (url === '/healthz') {
      const r = deps.ready();
      return send(
        res,
        r.ok ? 200 : 503,
        'application/json',
        JSON.stringify({ status: r.ok ? 'ok' : 'unavailable', ...r.detail }) + '\n',
      );
    }
    if (url === '/metrics') {
      const body = await deps.metrics.registry.metrics();
      return send(res, 200, deps.metrics.registry.contentType, body);
    }
    if (url === '/rtm') return send(res, 426, 'text/plain', 'upgrade to WebSocket required\n');
    if (url.startsWith('/sdk/')) return serveSdkFile(req, res, url.slice('/sdk/'.length));
    return send(res, 404, 'text/plain', 'not found\n');
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
