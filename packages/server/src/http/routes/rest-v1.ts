import { createHash, timingSafeEqual } from 'node:crypto';
import {
  checkWireMessage,
  isValidAppId,
  isValidChannelId,
  isValidSendKey,
  isValidUserId,
  type WireMessage,
} from '@parley/protocol';
import type { FastifyPluginAsync, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { HttpError, JSON_UTF8, MAX_BODY_BYTES } from '../errors.js';
import { pathParam } from '../path-params.js';
import type { RestServices } from '../rest-services.js';
import { ERROR_BODY, USER_ID_FORMAT } from '../schemas.js';

/** The `error.code` strings of the REST API (docs/rest-api.md lists them with their statuses). */
export type RestErrorCode =
  | 'bad_json'
  | 'invalid_request'
  | 'invalid_app_id'
  | 'invalid_channel_id'
  | 'invalid_user_id'
  | 'message_too_large'
  | 'unauthorized'
  | 'unknown_app'
  | 'not_found'
  | 'method_not_allowed'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'offline_sender_quota'
  | 'offline_storage_full'
  | 'internal';

type Json = Record<string, unknown>;

/** One request, past the route's checks: the app, the id named in the path, the body (POST). */
interface Call {
  appId: string;
  id: string;
  body: Json;
  request: FastifyRequest;
}

interface RestRoute {
  method: 'GET' | 'POST';
  url: string;
  /** one line for the OpenAPI document */
  summary: string;
  /** what the `:id` segment names: checked with the Agora id rules */
  idKind: 'channel' | 'user';
  /** JSON Schema of the body (POST) */
  body?: object;
  /** JSON Schema of the 200 answer (documentation: the answer is written as JSON text) */
  answer: object;
  run(call: Call): Promise<Json>;
}

const STR = { type: 'string' } as const;
const NUM = { type: 'number' } as const;
const BOOL = { type: 'boolean' } as const;
const obj = (properties: Record<string, object>) => ({
  type: 'object',
  required: Object.keys(properties),
  properties,
});

const MESSAGE_SHAPE =
  'the body carries { "text": string } or { "raw": base64 string, "description"?: string }';

/**
 * A message body. The schema checks what comes first in docs/rest-api.md's order (`from`, then
 * the types of the message fields); which fields go together, base64, the app's size limit,
 * `offline` and the Idempotency-Key follow in the route, so a body with several faults gets the
 * code of the first, as documented.
 */
const MESSAGE_BODY = {
  type: 'object',
  required: ['from'],
  properties: {
    from: { type: 'string', format: USER_ID_FORMAT },
    text: { type: 'string' },
    raw: { type: 'string', description: 'standard base64, padding optional' },
    description: { type: 'string' },
  },
};

/** An optional boolean field of a send body (`offline`, `historical`): absent is false. */
function flag(body: Json, name: 'offline' | 'historical'): boolean {
  const v = body[name];
  if (v !== undefined && typeof v !== 'boolean') throw invalid(`"${name}" is a boolean`);
  return v === true;
}

/** Schema failures as the codes of the REST API (Fastify stops at the first). */
function messageBodyError(errors: FastifySchemaValidationError[]): HttpError {
  const e = errors[0];
  const onFrom = e?.instancePath === '/from' || e?.params.missingProperty === 'from';
  if (onFrom && e?.keyword === 'format')
    return new HttpError(400, 'invalid_user_id', '"from" is not a valid user id');
  return invalid(onFrom ? '"from" (a user id) is required' : MESSAGE_SHAPE);
}

export interface RestV1Options {
  services: RestServices;
}

/**
 * The REST API for back-ends, /api/v1/apps/{appId}/… (docs/rest-api.md): send a channel message
 * without joining, send a peer message, read a channel's members and a user's online state.
 * Checks run in the documented order: route (404, the app's not-found handler), method (405),
 * App ID, app and auth, path id — all before the body is read — then content type (415), size
 * (413) and JSON (400) by Fastify's body parsing, then the fields.
 */
export const restV1Routes: FastifyPluginAsync<RestV1Options> = async (app, { services }) => {
  // Only JSON bodies, at most MAX_BODY_BYTES; anything else is 415 (parsers are per plugin).
  // Plain JSON.parse: a "__proto__" key stays an own property, and nothing here merges bodies.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: MAX_BODY_BYTES },
    (_request, text, done) => {
      let body: unknown;
      try {
        body = JSON.parse(text as string);
      } catch {
        return done(new HttpError(400, 'bad_json', 'the body is not valid JSON'));
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        return done(new HttpError(400, 'bad_json', 'the body is not a JSON object'));
      done(null, body);
    },
  );

  /** The message of a send body (the schema checked `from` and the fields' types). */
  const messageOf = (appId: string, body: Json): { from: string; msg: WireMessage } => {
    const { from, text, raw, description } = body as Record<string, string | undefined>;
    let msg: WireMessage;
    if (text !== undefined && raw === undefined && description === undefined) msg = { type: 'TEXT', text };
    else if (raw !== undefined && text === undefined)
      msg = { type: 'RAW', raw: decodeBase64(raw), description: description ?? '' };
    else throw invalid(MESSAGE_SHAPE);
    const max = services.messageBytes(appId);
    if (checkWireMessage(msg, max))
      throw new HttpError(400, 'message_too_large', `the message is over ${max} bytes`);
    return { from: from!, msg };
  };

  const routes: RestRoute[] = [
    {
      method: 'POST',
      url: '/api/v1/apps/:appId/channels/:id/messages',
      summary: 'Sends a channel message to every member, without joining',
      idKind: 'channel',
      body: MESSAGE_BODY,
      answer: obj({ id: STR, ts: NUM }),
      async run({ appId, id, body, request }) {
        const { from, msg } = messageOf(appId, body);
        const historical = flag(body, 'historical');
        const key = idempotencyKey(request);
        const r = await services.sendChannelMessage(appId, id, from, msg, key, historical);
        if (!r) throw new HttpError(500, 'internal', 'the message history could not be written');
        return { ...r };
      },
    },
    {
      method: 'POST',
      url: '/api/v1/apps/:appId/peers/:id/messages',
      summary: 'Sends a peer message (sendMessageToPeer; `offline` to cache it for an offline user)',
      idKind: 'user',
      body: MESSAGE_BODY,
      answer: obj({ id: STR, ts: NUM, received: BOOL, cached: BOOL }),
      async run({ appId, id, body, request }) {
        const { from, msg } = messageOf(appId, body);
        const offline = flag(body, 'offline');
        const historical = flag(body, 'historical');
        const key = idempotencyKey(request);
        const r = await services.sendPeerMessage(appId, from, id, msg, offline, key, historical);
        if (!r)
          throw new HttpError(
            500,
            'internal',
            historical
              ? 'the message could not be stored (offline inbox or message history)'
              : 'the offline message could not be stored',
          );
        if ('refused' in r)
          throw r.refused === 'offline_sender_hourly'
            ? new HttpError(
                429,
                'offline_sender_quota',
                `"${from}" cached its offline messages for this hour`,
              )
            : new HttpError(507, 'offline_storage_full', "this app's offline storage is full");
        return { ...r };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/apps/:appId/channels/:id/members',
      summary: "A channel's members across all nodes",
      idKind: 'channel',
      answer: obj({ members: { type: 'array', items: STR }, count: NUM }),
      async run({ appId, id }) {
        const members = await services.channelMembers(appId, id);
        return { members, count: members.length };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/apps/:appId/users/:id/online',
      summary: "A user's online state across all nodes",
      idKind: 'user',
      answer: obj({ online: BOOL, state: { type: 'string', enum: ['ONLINE', 'UNREACHABLE', 'OFFLINE'] } }),
      async run({ appId, id }) {
        const state = await services.onlineState(appId, id);
        // As queryPeersOnlineStatus: a session in its grace period (UNREACHABLE) counts as online.
        return { online: state !== 'OFFLINE', state };
      },
    },
  ];

  /** Development mode: open. Else the app must exist; with a certificate, Basic auth proves it. */
  const checkAuth = (request: FastifyRequest, appId: string): void => {
    if (services.devMode) return;
    const known = services.app(appId);
    if (!known) throw new HttpError(404, 'unknown_app', 'no such app on this server');
    if (!known.appCertificate) return;
    const m = /^basic\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    // Both sides hashed to a fixed length, so the comparison takes the same time for any input.
    const given = digest(m ? Buffer.from(m[1]!, 'base64') : Buffer.alloc(0));
    if (!m || !timingSafeEqual(given, digest(Buffer.from(`${appId}:${known.appCertificate}`))))
      throw new HttpError(401, 'unauthorized', 'Authorization: Basic base64(appId:appCertificate) required', {
        'www-authenticate': 'Basic realm="parley"',
      });
  };

  /** The App ID and the id of the path, as the client meant them. */
  const idsOf = (request: FastifyRequest): { appId: string; id: string } => {
    const params = request.params as { appId: string; id: string };
    return { appId: pathParam(request, params.appId), id: pathParam(request, params.id) };
  };

  /** App ID (400), app and auth (404, 401), path id (400), in this order. */
  const admit = (request: FastifyRequest, route: RestRoute): void => {
    const params = request.params as { appId: string; id: string };
    const appId = pathParam(request, params.appId);
    if (!isValidAppId(appId))
      throw new HttpError(400, 'invalid_app_id', 'an App ID is 32 characters [0-9A-Za-z]');
    checkAuth(request, appId);
    const id = pathParam(request, params.id);
    if (route.idKind === 'channel' ? !isValidChannelId(id) : !isValidUserId(id))
      throw new HttpError(400, `invalid_${route.idKind}_id`, `not a valid ${route.idKind} id`);
  };

  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      exposeHeadRoute: false,
      schema: {
        summary: route.summary,
        ...(route.body ? { body: route.body } : {}),
        response: { 200: route.answer, '4xx': ERROR_BODY, '5xx': ERROR_BODY },
      },
      schemaErrorFormatter: messageBodyError,
      // Before the body is read: a request without valid credentials learns nothing about it.
      onRequest: async (request) => admit(request, route),
      // No Content-Type and no body: Fastify parses nothing, but it is still not JSON.
      preValidation: route.body
        ? async (request) => {
            if (request.headers['content-type'] === undefined)
              throw new HttpError(415, 'unsupported_media_type', 'send Content-Type: application/json');
          }
        : undefined,
      handler: async (request, reply) => {
        const { appId, id } = idsOf(request);
        const out = await route.run({ appId, id, body: (request.body ?? {}) as Json, request });
        return reply
          .header('cache-control', 'no-store')
          .header('content-type', JSON_UTF8)
          .send(`${JSON.stringify(out)}\n`);
      },
    });
    // Any other method: 405 with Allow, before the body is read.
    app.route({
      method: app.supportedMethods.filter((m) => m !== route.method),
      url: route.url,
      exposeHeadRoute: false,
      onRequest: async () => {
        throw new HttpError(405, 'method_not_allowed', `use ${route.method}`, { allow: route.method });
      },
      handler: async () => undefined,
    });
  }
};

/**
 * The `Idempotency-Key` header of a send, if any: a retry with the same key (same app, sender and
 * receiver) is answered with the first send's outcome (docs/rest-api.md).
 */
function idempotencyKey(request: FastifyRequest): string | undefined {
  const v = request.headers['idempotency-key'];
  if (v === undefined) return undefined;
  if (!isValidSendKey(v)) throw invalid('Idempotency-Key: 1-64 printable ASCII characters, no spaces');
  return v;
}

function invalid(message: string): HttpError {
  return new HttpError(400, 'invalid_request', message);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** Standard base64, padding optional; Buffer.from alone would skip invalid characters silently. */
function decodeBase64(s: string): Uint8Array {
  if (!BASE64.test(s)) throw invalid('"raw" is not base64');
  return Buffer.from(s, 'base64');
}

function digest(b: Buffer): Buffer {
  return createHash('sha256').update(b).digest();
}
