import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { SdkFiles } from './sdk-files.js';

export interface HttpDeps {
  metrics: Metrics;
  log: Logger;
  /** false while the server cannot serve (shutting down, Redis unreachable in cluster mode) */
  ready: () => { ok: boolean; detail: Record<string, unknown> };
  /** the REST API (rest-api.ts): every request under /api/ */
  api?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/**
 * Plain HTTP routes on the WebSocket port: /healthz, /metrics, the REST API under /api/ and the
 * SDKs' browser builds under /sdk/. The returned handler never rejects: Node's http server
 * ignores the promise, so a failure would be an unhandled rejection; it is answered 500 instead.
 */
export function createHttpHandler(deps: HttpDeps) {
  const sdk = new SdkFiles((name, err) => {
    deps.metrics.httpErrors.inc({ route: 'sdk', code: 'sdk_file_unavailable' });
    deps.log.error({ err, file: name }, 'SDK file could not be read');
  });
  const route = async (req: IncomingMessage, res: ServerResponse, url: string): Promise<void> => {
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
    if (url.startsWith('/sdk/')) return sdk.serve(req, res, url.slice('/sdk/'.length));
    return send(res, 404, 'text/plain', 'not found\n');
  };
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = (req.url ?? '/').split('?')[0]!;
    try {
      await route(req, res, url);
    } catch (err) {
      deps.metrics.httpErrors.inc({ route: routeLabel(url), code: 'internal' });
      deps.log.error({ err, url }, 'HTTP request failed');
      if (res.headersSent) res.destroy();
      else
        send(
          res,
          500,
          'application/json; charset=utf-8',
          `${JSON.stringify({ error: { code: 'internal', message: 'internal error' } })}\n`,
        );
    }
  };
}

/** A bounded label for metrics: the route family, never the client-chosen path. */
function routeLabel(url: string): string {
  const top = url.split('/')[1] ?? '';
  return ['api', 'healthz', 'metrics', 'sdk'].includes(top) ? top : 'other';
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
