import { createServer as createHttpServer, METHODS, type Server as HttpServer } from 'node:http';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { HttpError, routeLabel, sendError, sendText, toHttpError } from './errors.js';
import { answerClientError, type HttpTimeouts, httpServerOptions } from './http-guards.js';
import { OPENAPI_OPTIONS } from './openapi.js';
import { routeBrokenEncodingAsWritten } from './path-params.js';
import type { RestServices } from './rest-services.js';
import { agoraV2Routes } from './routes/agora-v2.js';
import { consoleRoutes } from './routes/console.js';
import { healthRoutes, type HealthOptions } from './routes/health.js';
import { mediaRoutes } from './routes/media.js';
import { metricsRoutes } from './routes/metrics.js';
import { openapiRoutes } from './routes/openapi.js';
import { restV1Routes } from './routes/rest-v1.js';
import { rtmRoutes } from './routes/rtm.js';
import { sdkRoutes } from './routes/sdk.js';
import { SCHEMA_FORMATS } from './schemas.js';

export interface HttpAppDeps {
  metrics: Metrics;
  log: Logger;
  timeouts: HttpTimeouts;
  ready: HealthOptions['ready'];
  rest: RestServices;
}

/** A registered route: its methods and URL as given to Fastify. */
export interface HttpRoute {
  methods: string[];
  url: string;
}

export interface HttpApp {
  app: FastifyInstance<HttpServer>;
  /** every route of every plugin, in registration order (the OpenAPI and console tests read it) */
  routes: readonly HttpRoute[];
}

/**
 * The HTTP side of the port (docs/architecture.md, "HTTP"): a Fastify app on a node http server of
 * ours, which also carries the WebSocket gateway ('upgrade' never reaches Fastify) and the
 * header/request timeouts. Each route group is a plugin in routes/. Every answer of the app's
 * own is JSON `{ error: { code, message } }` under /api/ and plain text elsewhere, as before
 * the framework; no request can end in an unhandled rejection.
 */
export async function createHttpApp(deps: HttpAppDeps): Promise<HttpApp> {
  const { metrics, log } = deps;
  const app = Fastify({
    serverFactory: (handler) => createHttpServer(httpServerOptions(deps.timeouts), handler),
    clientErrorHandler: answerClientError(metrics),
    logger: false,
    // Shutdown closes the http server itself (server.ts); requests in flight are answered.
    return503OnClosing: false,
    rewriteUrl: routeBrokenEncodingAsWritten,
    // Ids are checked by the routes (400 with a code), never cut by the router (414).
    routerOptions: { maxParamLength: Number.MAX_SAFE_INTEGER },
    // Types as sent: a number is not a string (`"from": 7` is refused, not coerced).
    ajv: { customOptions: { coerceTypes: false, formats: SCHEMA_FORMATS } },
    frameworkErrors: (err, request, reply) => {
      // Only what routeBrokenEncodingAsWritten let through (a malformed URL).
      if (!request.url.startsWith('/api/')) return answerNotFound(request, reply);
      return sendError(
        request,
        reply,
        toHttpError(err) ?? new HttpError(400, 'invalid_request', err.message),
      );
    },
  });
  // Every method Node parses, so that a REST route answers any other one with 405.
  for (const m of METHODS)
    if (m !== 'CONNECT' && !app.supportedMethods.includes(m)) app.addHttpMethod(m, { hasBody: true });
  // Outside the route groups that parse bodies (each adds its parsers), a body is never read.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  app.setErrorHandler((err: Error, request, reply) => {
    const known = toHttpError(err);
    if (!known) log.error({ err, url: request.originalUrl }, 'HTTP request failed');
    const answer = known ?? new HttpError(500, 'internal', 'internal error');
    if (answer.status >= 500)
      metrics.httpErrors.inc({ route: routeLabel(request.originalUrl), code: answer.code });
    return sendError(request, reply, answer);
  });
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.originalUrl.split('?')[0]!;
    if (path.startsWith('/api/')) throw new HttpError(404, 'not_found', `no route ${path}`);
    return answerNotFound(request, reply);
  });

  const routes: HttpRoute[] = [];
  app.addHook('onRoute', (r) => {
    routes.push({ methods: ([] as string[]).concat(r.method), url: r.url });
  });
  // Before every route: the document is built from the routes as they are registered.
  await app.register(swagger, OPENAPI_OPTIONS);
  await app.register(openapiRoutes);
  await app.register(healthRoutes, { ready: deps.ready });
  await app.register(metricsRoutes, { metrics });
  await app.register(rtmRoutes);
  await app.register(sdkRoutes, { log });
  await app.register(restV1Routes, { services: deps.rest });
  await app.register(agoraV2Routes, {
    prefix: '/dev/v2',
    services: deps.rest,
    onServerError: (url, code) => metrics.httpErrors.inc({ route: routeLabel(url), code }),
  });
  await app.register(consoleRoutes, { services: deps.rest, log });
  await app.register(mediaRoutes, { media: deps.rest.media, metrics });
  await app.ready();
  return { app, routes };
}

/** No route outside /api/: 405 for a method other than GET/HEAD, else 404, in plain text. */
function answerNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return sendText(reply, 405, 'method not allowed\n');
  return sendText(reply, 404, 'not found\n');
}
