import { isValidAppId, isValidUserId } from '@parley/protocol';
import type { FastifyError, FastifyPluginAsync, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { authenticate } from '../agora/auth.js';
import { agoraError, sendAgoraError, sendAgoraOk } from '../agora/errors.js';
import { eventRoutes } from '../agora/event-routes.js';
import { historyRoutes } from '../agora/history-routes.js';
import { messageRoutes } from '../agora/message-routes.js';
import { AppRates } from '../agora/rates.js';
import { type AgoraRoute, invalid, type Json } from '../agora/route.js';
import { type HttpError, MAX_BODY_BYTES, toHttpError } from '../errors.js';
import { pathParam } from '../path-params.js';
import type { RestServices } from '../rest-services.js';

export interface AgoraV2Options {
  services: RestServices;
  /** a 5xx answer of the group's own (counted in /metrics like the app's) */
  onServerError: (url: string, code: string) => void;
}

/** Under the plugin's prefix, /dev/v2 (app.ts). */
const BASE = '/project/:appId/rtm';

/**
 * Agora's RTM RESTful API, path for path (`/dev/v2/project/{appId}/rtm/...`, docs/rest-api.md):
 * a back-end written for `api.agora.io` changes only the host. Checks run in this order: App ID
 * (400), app (404) and credentials (401), the app's rate (429), the path's user (400, 403 for a
 * token of another user) — all before the body is read — then the body (400) and the route.
 * Refusals have Agora's shape, `{ result: "failed", code, message, request_id }`.
 */
export const agoraV2Routes: FastifyPluginAsync<AgoraV2Options> = async (app, { services, onServerError }) => {
  // JSON bodies whatever the Content-Type says (Agora's clients send `application/json;charset=utf-8`,
  // some none at all), at most MAX_BODY_BYTES.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (_request, text, done) => {
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text as string);
    } catch {
      return done(agoraError(400, 'bad_json', 'the body is not valid JSON'));
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return done(agoraError(400, 'bad_json', 'the body is not a JSON object'));
    done(null, body);
  });
  // Refusals in Agora's shape; a bug goes on to the app's handler (500, logged and counted).
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const known = toHttpError(err);
    if (!known) throw err;
    if (known.status >= 500) onServerError(request.originalUrl, known.code);
    return sendAgoraError(request, reply, known);
  });

  const rates = new AppRates((appId) => services.restRates(appId));
  const routes = [...messageRoutes(services), ...historyRoutes(services), ...eventRoutes(services)];

  /** The call's App ID and path parameters as the client meant them. */
  const paramsOf = (request: FastifyRequest) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.params as Record<string, string>))
      out[k] = pathParam(request, v);
    return out;
  };

  for (const route of routes) {
    app.route({
      method: route.method,
      url: `${BASE}${route.url}`,
      exposeHeadRoute: false,
      schema: route.body ? { summary: route.summary, body: route.body } : { summary: route.summary },
      schemaErrorFormatter: (errors) => bodyError(route, errors),
      onRequest: async (request) => {
        const { appId, userId } = paramsOf(request);
        if (!isValidAppId(appId))
          throw agoraError(400, 'invalid_app_id', 'an App ID is 32 characters [0-9A-Za-z]');
        const principal = authenticate(services, request, appId);
        if (!rates.take(appId, route.rate)) {
          const e = agoraError(429, 'rate_limited', 'API rate limit exceeded');
          e.headers['retry-after'] = '1';
          throw e;
        }
        if (userId !== undefined && !isValidUserId(userId))
          throw agoraError(400, 'invalid_user_id', 'the path names no valid user id');
        (request as Principaled)[PRINCIPAL] = principal;
      },
      handler: async (request, reply) => {
        const { appId, ...params } = paramsOf(request);
        const out = await route.run({
          appId: appId!,
          principal: (request as Principaled)[PRINCIPAL]!,
          params,
          query: request.query as Record<string, string | undefined>,
          body: (request.body ?? {}) as Json,
        });
        return sendAgoraOk(reply, out);
      },
    });
  }
  // Any other method on a route's path: 405 with Allow, before the body is read. (The history
  // handle's path shares its prefix with the query's POST, so methods are grouped by path.)
  const methodsOf = new Map<string, string[]>();
  for (const r of routes) methodsOf.set(r.url, [...(methodsOf.get(r.url) ?? []), r.method]);
  for (const [url, allowed] of methodsOf)
    app.route({
      method: app.supportedMethods.filter((m) => !allowed.includes(m)),
      url: `${BASE}${url}`,
      exposeHeadRoute: false,
      onRequest: async () => {
        const e = agoraError(405, 'method_not_allowed', `use ${allowed.join(', ')}`);
        e.headers.allow = allowed.join(', ');
        throw e;
      },
      handler: async () => undefined,
    });
  // No such route under /dev/v2: Agora's shape too.
  app.setNotFoundHandler(async (request) => {
    throw agoraError(404, 'not_found', `no route ${request.originalUrl.split('?')[0]}`);
  });
};

const PRINCIPAL = Symbol('agora.principal');
type Principaled = FastifyRequest & { [PRINCIPAL]?: ReturnType<typeof authenticate> };

/** The first schema failure (Fastify stops at it) as a code. */
function bodyError(route: AgoraRoute, errors: FastifySchemaValidationError[]): HttpError {
  const e = errors[0]!;
  const own = route.bodyError?.(e);
  if (own) return agoraError(400, own.code, own.message);
  const where = e.instancePath ? `"${e.instancePath.slice(1).replaceAll('/', '.')}" ` : 'the body ';
  return invalid(`${where}${e.message ?? 'is not valid'}`);
}
