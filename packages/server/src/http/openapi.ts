import type { SwaggerOptions } from '@fastify/swagger';

/** The methods an OpenAPI document can name; a route answering others is a 405 catch-all. */
export const OPENAPI_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE'];

/** A route registered for a method OpenAPI cannot name answers "method not allowed": not an operation. */
export const isMethodCatchAll = (methods: readonly string[]) =>
  methods.some((m) => !OPENAPI_METHODS.includes(m));

/** Auth of the routes under each prefix, unless a route's schema names its own `security`. */
const SECURITY_BY_PREFIX: Array<[string, Record<string, string[]>[]]> = [
  ['/api/v1/', [{ appBasic: [] }, {}]],
  ['/console/api/', [{ consoleSession: [] }]],
  ['/dev/v2/', [{ agoraCustomer: [] }, { agoraToken: [], agoraUid: [] }, {}]],
];

/** Groups of the document, by prefix (a route's own `tags` win). */
const TAG_BY_PREFIX: Array<[string, string]> = [
  ['/api/v1/', 'REST API'],
  ['/console/', 'Web console'],
  ['/dev/v2/', 'Agora RTM RESTful API'],
  ['/sdk/', 'SDK files'],
];

/**
 * @fastify/swagger's options: the document is built from the routes as they are registered
 * (onRoute), so every route of every plugin is in it without a list kept by hand — routes added
 * later included. Security and tags come from the URL prefix when a route names none.
 */
export const OPENAPI_OPTIONS: SwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'Parley HTTP API',
      version: '0.1.0',
      description:
        'Every HTTP route of a Parley server (the WebSocket API is at /rtm; docs/protocol.md). Generated from the route definitions.',
    },
    components: {
      securitySchemes: {
        appBasic: {
          type: 'http',
          scheme: 'basic',
          description:
            'Basic base64(appId:appCertificate), for apps with a certificate; apps without one (and development mode) need none',
        },
        agoraCustomer: {
          type: 'http',
          scheme: 'basic',
          description:
            "Basic base64(customerId:customerSecret), Agora's customer credentials (--customer-id/--customer-secret or `customers` in the config file)",
        },
        agoraToken: {
          type: 'apiKey',
          in: 'header',
          name: 'x-agora-token',
          description: 'an RTM token of the app for the uid in x-agora-uid (acts only as that uid)',
        },
        agoraUid: {
          type: 'apiKey',
          in: 'header',
          name: 'x-agora-uid',
          description: 'the uid the x-agora-token was made for',
        },
        mediaTicket: {
          type: 'http',
          scheme: 'bearer',
          description:
            "a single-use media transfer ticket, got over the SDK's live WebSocket session (docs/media.md)",
        },
        consoleSession: {
          type: 'apiKey',
          in: 'cookie',
          name: 'parley_console',
          description: 'the web console session cookie, set by POST /console/login (docs/console.md)',
        },
      },
    },
  },
  transform: ({ schema, url, route }) => {
    const methods = ([] as string[]).concat(route.method);
    const s: Record<string, unknown> = { ...(schema as Record<string, unknown> | undefined) };
    if (isMethodCatchAll(methods)) s.hide = true;
    if (s.security === undefined) {
      const sec = SECURITY_BY_PREFIX.find(([p]) => url.startsWith(p));
      if (sec) s.security = sec[1];
    }
    if (s.tags === undefined) {
      const tag = TAG_BY_PREFIX.find(([p]) => url.startsWith(p));
      if (tag) s.tags = [tag[1]];
    }
    return { schema: s as typeof schema, url };
  },
};
