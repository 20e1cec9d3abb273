import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  checkWireMessage,
  isValidAppId,
  isValidChannelId,
  isValidSendKey,
  isValidUserId,
  type PeerOnlineState,
  type WireMessage,
} from '@parley/protocol';
import { limitsFor } from '../config.js';
import type { FeatureContext } from '../features/context.js';
import type { Authenticator } from '../session/auth.js';

/** Largest request body accepted, bytes: a 32 KB message as base64 inside JSON fits with room. */
export const MAX_BODY_BYTES = 64 * 1024;

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

class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: RestErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * The `Idempotency-Key` header of a send, if any: a retry with the same key (same app, sender and
 * receiver) is answered with the first send's outcome (docs/rest-api.md).
 */
function idempotencyKey(req: IncomingMessage): string | undefined {
  const v = req.headers['idempotency-key'];
  if (v === undefined) return undefined;
  if (!isValidSendKey(v))
    throw new RestError(
      400,
      'invalid_request',
      'Idempotency-Key: 1-64 printable ASCII characters, no spaces',
    );
  return v;
}

/** One request, after routing: the app, the id named in the path, the body (POST). */
interface Call {
  appId: string;
  id: string;
  req: IncomingMessage;
}
type Json = Record<string, unknown>;

interface Route {
  method: 'GET' | 'POST';
  /** what the `{id}` segment names: checked with the Agora id rules */
  idKind: 'channel' | 'user';
  run(call: Call): Promise<Json>;
}

export interface RestApiDeps {
  ctx: FeatureContext;
  auth: Authenticator;
}

/**
 * The REST API for back-ends on the HTTP port (docs/rest-api.md): send a channel message without
 * joining, send a peer message, read a channel's members and a user's online state. Delivery runs
 * through the same paths as the WebSocket features (ChannelRooms.sendMessage, PeerDelivery.send),
 * so it reaches members and users on every node.
 */
export function createRestApi({ ctx, auth }: RestApiDeps) {
  const { rooms, peers } = ctx;

  /** The message of a send body; `from` is checked too. */
  const messageOf = (appId: string, body: Json): { from: string; msg: WireMessage } => {
    const { from, text, raw, description } = body;
    if (typeof from !== 'string') throw invalid('"from" (a user id) is required');
    if (!isValidUserId(from)) throw new RestError(400, 'invalid_user_id', '"from" is not a valid user id');
    let msg: WireMessage;
    if (typeof text === 'string' && raw === undefined && description === undefined)
      msg = { type: 'TEXT', text };
    else if (typeof raw === 'string' && text === undefined && optString(description))
      msg = { type: 'RAW', raw: decodeBase64(raw), description: description ?? '' };
    else
      throw invalid(
        'the body carries { "text": string } or { "raw": base64 string, "description"?: string }',
      );
    const max = limitsFor(ctx.config, auth.app(appId)).messageBytes;
    if (checkWireMessage(msg, max))
      throw new RestError(400, 'message_too_large', `the message is over ${max} bytes`);
    return { from, msg };
  };

  const routes: Record<string, Route> = {
    'channels/messages': {
      method: 'POST',
      idKind: 'channel',
      async run({ appId, id, req }) {
        const { from, msg } = messageOf(appId, await readJson(req));
        const key = idempotencyKey(req);
        // Never delivered to a member whose uid is `from`: RTM does not echo a sender's message.
        return { ...(await rooms.sendMessage(appId, id, from, msg, from, undefined, key)) };
      },
    },
    'peers/messages': {
      method: 'POST',
      idKind: 'user',
      async run({ appId, id, req }) {
        const body = await readJson(req);
        const { from, msg } = messageOf(appId, body);
        if (body.offline !== undefined && typeof body.offline !== 'boolean')
          throw invalid('"offline" is a boolean');
        const key = idempotencyKey(req);
        const r = await peers.send(null, appId, from, id, msg, body.offline === true, key);
        if (!r) throw new RestError(500, 'internal', 'the offline message could not be stored');
        if ('refused' in r)
          throw r.refused === 'offline_sender_hourly'
            ? new RestError(
                429,
                'offline_sender_quota',
                `"${from}" cached its offline messages for this hour`,
              )
            : new RestError(507, 'offline_storage_full', "this app's offline storage is full");
        return { ...r };
      },
    },
    'channels/members': {
      method: 'GET',
      idKind: 'channel',
      async run({ appId, id }) {
        const members = await ctx.store.channels.members(appId, id);
        return { members, count: members.length };
      },
    },
    'users/online': {
      method: 'GET',
      idKind: 'user',
      async run({ appId, id }) {
        const rec = await ctx.store.sessions.lookup(appId, id);
        const state: PeerOnlineState = rec ? rec.state : 'OFFLINE';
        // As queryPeersOnlineStatus: a session in its grace period (UNREACHABLE) counts as online.
        return { online: state !== 'OFFLINE', state };
      },
    },
  };

  /** Routes `/api/v1/apps/{appId}/{collection}/{id}/{action}`; throws RestError. */
  const dispatch = async (req: IncomingMessage, path: string): Promise<Json> => {
    const parts = path.split('/');
    const [, api, version, apps, rawApp, collection, rawId, action] = parts;
    const route =
      parts.length === 8 && api === 'api' && version === 'v1' && apps === 'apps'
        ? routes[`${collection}/${action}`]
        : undefined;
    if (!route) throw new RestError(404, 'not_found', `no route ${path}`);
    if (req.method !== route.method)
      throw new RestError(405, 'method_not_allowed', `use ${route.method}`, { allow: route.method });
    const appId = decodeSegment(rawApp!);
    if (!isValidAppId(appId))
      throw new RestError(400, 'invalid_app_id', 'an App ID is 32 characters [0-9A-Za-z]');
    checkAuth(req, appId);
    const id = decodeSegment(rawId!);
    if (route.idKind === 'channel' ? !isValidChannelId(id) : !isValidUserId(id))
      throw new RestError(400, `invalid_${route.idKind}_id`, `not a valid ${route.idKind} id`);
    return route.run({ appId, id, req });
  };

  /** Development mode: open. Else the app must exist; with a certificate, Basic auth proves it. */
  const checkAuth = (req: IncomingMessage, appId: string): void => {
    if (auth.devMode) return;
    const app = auth.app(appId);
    if (!app) throw new RestError(404, 'unknown_app', 'no such app on this server');
    if (!app.appCertificate) return;
    const header = req.headers.authorization ?? '';
    const m = /^basic\s+(\S+)\s*$/i.exec(header);
    // Both sides hashed to a fixed length, so the comparison takes the same time for any input.
    const given = digest(m ? Buffer.from(m[1]!, 'base64') : Buffer.alloc(0));
    if (!m || !timingSafeEqual(given, digest(Buffer.from(`${appId}:${app.appCertificate}`))))
      throw new RestError(401, 'unauthorized', 'Authorization: Basic base64(appId:appCertificate) required', {
        'www-authenticate': 'Basic realm="parley"',
      });
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!;
    try {
      sendJson(res, 200, await dispatch(req, path));
    } catch (e) {
      if (!(e instanceof RestError)) ctx.log.error({ err: e, path }, 'REST API request failed');
      const err = e instanceof RestError ? e : new RestError(500, 'internal', 'internal error');
      // A body left unread (too large, or never read) would keep the connection busy: close it.
      const headers = req.complete ? err.headers : { ...err.headers, connection: 'close' };
      sendJson(res, err.status, { error: { code: err.code, message: err.message } }, headers);
    }
  };
}

function invalid(message: string): RestError {
  return new RestError(400, 'invalid_request', message);
}

function optString(v: unknown): v is string | undefined {
  return v === undefined || typeof v === 'string';
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalid('a path segment is not valid percent-encoding');
  }
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

/** Reads a JSON object body of at most MAX_BODY_BYTES (415, 413, 400 otherwise). */
async function readJson(req: IncomingMessage): Promise<Json> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    throw new RestError(415, 'unsupported_media_type', 'send Content-Type: application/json');
  const tooLarge = () => new RestError(413, 'body_too_large', `the body is over ${MAX_BODY_BYTES} bytes`);
  if (Number(req.headers['content-length']) > MAX_BODY_BYTES) throw tooLarge();
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      // Stop collecting but keep the socket: the 413 still has to reach the client.
      req.off('data', onData);
      reject(tooLarge());
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
    req.once('close', () => reject(new RestError(400, 'invalid_request', 'the request was aborted')));
  });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RestError(400, 'bad_json', 'the body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new RestError(400, 'bad_json', 'the body is not a JSON object');
  return body as Json;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}
