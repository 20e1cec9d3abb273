import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';

/** Set on a request whose path had broken percent-encoding: its path parameters are raw. */
const RAW_PARAMS = Symbol('parley.rawParams');
type Marked = IncomingMessage & { [RAW_PARAMS]?: true };

/**
 * Fastify's `rewriteUrl`. The router decodes the whole path before matching, so a path with
 * broken percent-encoding would match no route. Such a path is routed as written instead (every
 * `%` escaped), so that the route answers — the REST API with 400 `invalid_request` for the
 * segment at fault, after its own earlier checks — and its parameters arrive raw.
 */
export function routeBrokenEncodingAsWritten(req: IncomingMessage): string {
  const url = req.url ?? '/';
  if (!url.includes('%')) return url;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  try {
    decodeURIComponent(path);
    return url;
  } catch {
    (req as Marked)[RAW_PARAMS] = true;
    return path.replaceAll('%', '%25') + (q === -1 ? '' : url.slice(q));
  }
}

/** A path parameter as the client meant it (Fastify decoded it, except as above). */
export function pathParam(request: FastifyRequest, value: string): string {
  if (!(request.raw as Marked)[RAW_PARAMS]) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    throw new HttpError(400, 'invalid_request', 'a path segment is not valid percent-encoding');
  }
}
