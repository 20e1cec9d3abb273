import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export const JSON_UTF8 = 'application/json; charset=utf-8';

/**
 * An answer with a JSON error body `{ "error": { "code", "message" } }` (the REST API, /sdk/,
 * 500s; docs/rest-api.md lists the REST codes). Thrown from routes and hooks, answered by the
 * app's error handler.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Largest REST request body, bytes: a 32 KB message as base64 inside JSON fits with room. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Fastify's own errors (body reading, content type), as the codes the REST API documents. */
const FRAMEWORK: Record<string, [number, string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large', `the body is over ${MAX_BODY_BYTES} bytes`],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'send Content-Type: application/json'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'bad_json', 'the body is not valid JSON'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_request', 'the body is not as long as Content-Length'],
  FST_ERR_BAD_URL: [400, 'invalid_request', 'a path segment is not valid percent-encoding'],
};

/**
 * The answer for an error a request ran into, or null for an unexpected one (a bug: answered
 * 500 `internal` and logged). A client error of the framework's own (e.g. the client went away
 * while its body was read) is 400 `invalid_request`.
 */
export function toHttpError(err: FastifyError | Error): HttpError | null {
  if (err instanceof HttpError) return err;
  const code = (err as FastifyError).code;
  const known = code ? FRAMEWORK[code] : undefined;
  if (known) return new HttpError(...known);
  const status = (err as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500)
    return new HttpError(400, 'invalid_request', err.message);
  return null;
}

/**
 * Sends `err` as JSON, never cached. A body left unread (too large, or never read) would keep
 * the connection busy: the answer closes it.
 */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: HttpError): FastifyReply {
  const headers = request.raw.complete ? err.headers : { ...err.headers, connection: 'close' };
  return reply
    .code(err.status)
    .headers({ ...headers, 'cache-control': 'no-store', 'content-type': JSON_UTF8 })
    .send(`${JSON.stringify({ error: { code: err.code, message: err.message } })}\n`);
}

/** A bounded label for metrics: the route family, never the client-chosen path. */
export function routeLabel(url: string): string {
  const top = url.split('?')[0]!.split('/')[1] ?? '';
  return ['api', 'dev', 'healthz', 'metrics', 'sdk'].includes(top) ? top : 'other';
}

/** A plain-text answer (the routes outside the REST API answer their refusals so). */
export function sendText(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).header('content-type', 'text/plain').send(text);
}
