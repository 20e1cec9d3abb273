import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  isValidMediaId,
  MEDIA_LIMITS,
  MEDIA_OFFSET_HEADER,
  MEDIA_PATH,
  MEDIA_SIZE_HEADER,
  MediaHttpCode,
} from '@parley/protocol';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { Metrics } from '../../metrics.js';
import { HttpError } from '../errors.js';
import type { MediaServices, MediaUploadAnswer, MediaUploadRefusal } from '../rest-services.js';

export interface MediaRouteOptions {
  media: MediaServices;
  metrics: Metrics;
}

/** Answers and their statuses (docs/media.md, "HTTP"). */
const REFUSALS: Record<MediaUploadRefusal, [number, string, string]> = {
  too_large: [413, MediaHttpCode.TOO_LARGE, `a file is at most ${MEDIA_LIMITS.maxFileBytes} bytes`],
  size_mismatch: [400, MediaHttpCode.INVALID_SIZE, `the body is not as long as ${MEDIA_SIZE_HEADER} said`],
  app_full: [507, MediaHttpCode.APP_FULL, "the app's media storage is full"],
  unavailable: [503, MediaHttpCode.UNAVAILABLE, 'this server stores no media (docs/media.md)'],
  session_ended: [401, MediaHttpCode.UNAUTHORIZED, 'the session that began the upload ended'],
  unknown_upload: [404, MediaHttpCode.UPLOAD_NOT_FOUND, 'no such upload in progress on this server'],
  invalid_offset: [
    409,
    MediaHttpCode.INVALID_OFFSET,
    `${MEDIA_OFFSET_HEADER} is not the bytes received so far`,
  ],
};

const CORS = {
  // Tickets travel in a header, never cookies: any page may call, only a live session's ticket works.
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'content-length',
};
const PREFLIGHT = {
  ...CORS,
  'access-control-allow-methods': 'GET, POST',
  'access-control-allow-headers': `authorization, content-type, ${MEDIA_SIZE_HEADER}, ${MEDIA_OFFSET_HEADER}`,
  'access-control-max-age': '600',
};

/**
 * Image and file transfers (docs/media.md): `POST /api/v1/media` uploads the body, streamed to
 * the media store, whole or as the first of several parts (`POST /api/v1/media/uploads/<id>`
 * for the next ones, so that no request must carry 30 MB within the HTTP request timeout);
 * `GET /api/v1/media/<mediaId>` streams it back. Each request carries a
 * single-use ticket its SDK got over its live WebSocket session (`Authorization: Bearer`);
 * the store is reached only through MediaServices. Bodies are never read whole into memory.
 */
/** A single-use transfer ticket of a live session (OpenAPI scheme `mediaTicket`). */
const TICKET = [{ mediaTicket: [] }];

export const mediaRoutes: FastifyPluginAsync<MediaRouteOptions> = async (app, { media, metrics }) => {
  const refuse = (status: number, code: string, message: string) => {
    metrics.mediaRefusals.inc({ code });
    return new HttpError(status, code, message);
  };
  const authorize = (request: FastifyRequest) => {
    const auth = request.headers.authorization ?? '';
    const who = auth.startsWith('Bearer ') ? media.redeem(auth.slice(7)) : null;
    if (!who) throw refuse(401, MediaHttpCode.UNAUTHORIZED, 'no valid transfer ticket of a live session');
    if (!media.available) throw refuse(...REFUSALS.unavailable);
    return who;
  };

  // The body stays the request stream: the upload route pipes it to the store as it arrives.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(CORS);
  });
  for (const url of [MEDIA_PATH, `${MEDIA_PATH}/:mediaId`, `${MEDIA_PATH}/uploads/:uploadId`])
    app.options(
      url,
      { schema: { summary: 'CORS preflight of a media transfer', security: [] } },
      async (_request, reply) => reply.code(204).headers(PREFLIGHT).send(),
    );

  /** One part's answer: 201 with the media id once all bytes are in, else 202 with how far it got. */
  const answer = async (
    request: FastifyRequest,
    reply: FastifyReply,
    run: (body: Readable) => Promise<MediaUploadAnswer>,
  ) => {
    const body = request.body as Readable | undefined;
    if (!body) throw refuse(...REFUSALS.size_mismatch);
    let r: MediaUploadAnswer;
    try {
      r = await run(body);
    } catch (e) {
      // The client went away mid-body (cancelled, or its link dropped): nothing was stored.
      if (request.raw.destroyed || request.raw.readableAborted)
        throw refuse(400, MediaHttpCode.ABORTED, 'the upload was cut short');
      throw e;
    }
    if ('refused' in r) throw refuse(...REFUSALS[r.refused]);
    reply.header('cache-control', 'no-store');
    if ('uploadId' in r) return reply.code(202).send(r);
    metrics.mediaBytes.inc({ direction: 'up' }, r.size);
    metrics.mediaStored.inc();
    return reply.code(201).send(r);
  };

  app.post(
    MEDIA_PATH,
    {
      bodyLimit: MEDIA_LIMITS.maxFileBytes + 1,
      schema: { summary: 'Uploads an image or file (whole, or its first part)', security: TICKET },
    },
    async (request, reply) => {
      const who = authorize(request);
      const size = declaredSize(request);
      if (size === null)
        throw refuse(400, MediaHttpCode.INVALID_SIZE, `${MEDIA_SIZE_HEADER} must be a positive integer`);
      if (size > MEDIA_LIMITS.maxFileBytes) throw refuse(...REFUSALS.too_large);
      // The body is the whole file or its first part.
      if (Number(request.headers['content-length'] ?? 0) > size) throw refuse(...REFUSALS.size_mismatch);
      return answer(request, reply, (body) => media.begin(who, size, body));
    },
  );

  app.post<{ Params: { uploadId: string } }>(
    `${MEDIA_PATH}/uploads/:uploadId`,
    {
      bodyLimit: MEDIA_LIMITS.maxFileBytes + 1,
      // No ticket: the upload id is the secret of its client, whose session must still be live.
      schema: { summary: 'Uploads the next part of an upload, at its offset', security: [] },
    },
    async (request, reply) => {
      // No ticket: the upload id is the secret of its client, whose session must still be live.
      const offset = request.headers[MEDIA_OFFSET_HEADER];
      if (typeof offset !== 'string' || !/^\d{1,15}$/.test(offset)) throw refuse(...REFUSALS.invalid_offset);
      return answer(request, reply, (body) => media.part(request.params.uploadId, Number(offset), body));
    },
  );

  app.get<{ Params: { mediaId: string } }>(
    `${MEDIA_PATH}/:mediaId`,
    { schema: { summary: 'Downloads an image or file by its media id', security: TICKET } },
    async (request, reply) => {
      const who = authorize(request);
      const id = request.params.mediaId;
      const found = isValidMediaId(id) ? await media.download(who.appId, id) : null;
      if (!found) throw refuse(404, MediaHttpCode.NOT_FOUND, 'no such media (unknown or expired id)');
      const counted = new Transform({
        transform(chunk: Buffer, _enc, done) {
          metrics.mediaBytes.inc({ direction: 'down' }, chunk.byteLength);
          done(null, chunk);
        },
      });
      // A client that goes away destroys `counted`; the pipeline then closes the file.
      pipeline(found.body, counted).catch(() => undefined);
      return reply
        .headers({
          'content-type': 'application/octet-stream',
          'content-length': String(found.size),
          'cache-control': 'no-store',
        })
        .send(counted);
    },
  );
};

/** The size header (a streamed body has no Content-Length), else Content-Length; null if not a size. */
function declaredSize(request: FastifyRequest): number | null {
  const declared = request.headers[MEDIA_SIZE_HEADER] ?? request.headers['content-length'];
  if (typeof declared !== 'string' || !/^\d{1,15}$/.test(declared)) return null;
  const n = Number(declared);
  return n === 0 ? null : n;
}
