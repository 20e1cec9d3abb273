import { isValidAppId, isValidChannelId, isValidUserId } from '@parley/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Logger } from '../../logger.js';
import { type Operator, operatorOf } from '../console-auth.js';
import type { ConsoleServices, TailCursor } from '../console-services.js';
import { HttpError, JSON_UTF8, MAX_BODY_BYTES } from '../errors.js';
import type { RestServices } from '../rest-services.js';
import { USER_ID_FORMAT } from '../schemas.js';

/** The `error.code` strings of the console API beside the REST API's (docs/console.md). */
export type ConsoleErrorCode = 'unauthorized' | 'unknown_app' | 'user_offline' | 'invalid_request';

const SCOPE = { type: 'string', enum: ['node', 'cluster'] } as const;
const TEXT_MESSAGE = {
  type: 'object',
  required: ['from', 'text'],
  additionalProperties: false,
  properties: { from: { type: 'string', format: USER_ID_FORMAT }, text: { type: 'string', minLength: 1 } },
} as const;

declare module 'fastify' {
  interface FastifyRequest {
    /** the console operator of the request (set by the cookie check) */
    operator?: Operator;
  }
}

/**
 * The console's JSON API under /console/api/ (docs/console.md). Every route here checks the
 * session cookie first (401 `unauthorized` without a valid one, before anything else is read);
 * actions are logged with the operator's name and address.
 */
export const consoleApiRoutes: FastifyPluginAsync<{
  services: RestServices;
  console: ConsoleServices;
  log: Logger;
}> = async (app, { services, console: svc, log }) => {
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: MAX_BODY_BYTES },
    (_request, text, done) => {
      try {
        done(null, JSON.parse(text as string));
      } catch {
        done(new HttpError(400, 'bad_json', 'the body is not valid JSON'));
      }
    },
  );
  app.addHook('onRequest', async (request) => {
    const op = operatorOf(request);
    if (!op) throw new HttpError(401, 'unauthorized', 'log in at /console/ first');
    request.operator = op;
  });

  const json = <T>(value: T) => `${JSON.stringify(value)}\n`;
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    return payload;
  });

  /** The app of the path: well-formed, and configured (any, in development mode). */
  const appOf = (request: FastifyRequest): string => {
    const { appId } = request.params as { appId: string };
    if (!isValidAppId(appId))
      throw new HttpError(400, 'invalid_app_id', 'an App ID is 32 characters [0-9A-Za-z]');
    if (!services.devMode && !services.app(appId))
      throw new HttpError(404, 'unknown_app', 'no such app on this server');
    return appId;
  };
  const userOf = (request: FastifyRequest): string => {
    const { uid } = request.params as { uid: string };
    if (!isValidUserId(uid)) throw new HttpError(400, 'invalid_user_id', 'not a valid user id');
    return uid;
  };
  const channelOf = (request: FastifyRequest): string => {
    const { channelId } = request.params as { channelId: string };
    if (!isValidChannelId(channelId))
      throw new HttpError(400, 'invalid_channel_id', 'not a valid channel id');
    return channelId;
  };
  const scopeOf = (request: FastifyRequest) =>
    (request.query as { scope?: 'node' | 'cluster' }).scope ?? 'cluster';
  const acted = (request: FastifyRequest, action: string, detail: Record<string, unknown>) =>
    log.info({ operator: request.operator?.name, address: request.ip, action, ...detail }, 'console action');
  const send = (reply: import('fastify').FastifyReply, value: unknown) =>
    reply.header('content-type', JSON_UTF8).send(json(value));

  app.get(
    '/console/api/me',
    { schema: { summary: 'Who is logged in, on which node' } },
    async (request, reply) =>
      send(reply, { name: request.operator!.name, node: svc.nodeId, expires: request.operator!.expires }),
  );

  app.get(
    '/console/api/overview',
    {
      schema: {
        summary: 'Counters of this node or of every node (the /metrics counters; rates from two readings)',
        querystring: { type: 'object', properties: { scope: SCOPE } },
      },
    },
    async (request, reply) => send(reply, { node: svc.nodeId, nodes: await svc.overview(scopeOf(request)) }),
  );

  app.get(
    '/console/api/apps',
    { schema: { summary: 'Apps and their sessions per node' } },
    async (_request, reply) => send(reply, { apps: await svc.apps() }),
  );

  app.get(
    '/console/api/apps/:appId/users/:uid',
    { schema: { summary: 'A user: online state, node, channels, attributes, subscriptions' } },
    async (request, reply) => send(reply, await svc.user(appOf(request), userOf(request))),
  );

  app.get(
    '/console/api/apps/:appId/channels/:channelId',
    { schema: { summary: 'A channel: members, count, attributes, recent history' } },
    async (request, reply) => send(reply, await svc.channel(appOf(request), channelOf(request))),
  );

  app.get(
    '/console/api/events',
    {
      schema: {
        summary: 'Activity after a cursor (logins, session ends, joins, leaves, attribute writes, errors)',
        querystring: {
          type: 'object',
          properties: {
            scope: SCOPE,
            after: { type: 'string', description: 'the cursor of the previous answer: node:seq,node:seq' },
          },
        },
      },
    },
    async (request, reply) => {
      const { after = '' } = request.query as { after?: string };
      const cursor: TailCursor = {};
      for (const part of after.split(',')) {
        const i = part.lastIndexOf(':');
        const n = Number(part.slice(i + 1));
        if (i > 0 && Number.isSafeInteger(n) && n >= 0) cursor[part.slice(0, i)] = n;
      }
      const r = await svc.events(cursor, scopeOf(request));
      const next = Object.entries(r.cursor)
        .map(([node, seq]) => `${node}:${seq}`)
        .join(',');
      return send(reply, { events: r.events, after: next });
    },
  );

  app.post(
    '/console/api/apps/:appId/users/:uid/end-session',
    { schema: { summary: "Ends the user's session: its client goes ABORTED / BANNED_BY_SERVER" } },
    async (request, reply) => {
      const appId = appOf(request);
      const uid = userOf(request);
      const ended = await svc.endSession(appId, uid);
      acted(request, 'end-session', { appId, uid, ended });
      if (!ended) throw new HttpError(404, 'user_offline', `${uid} has no session`);
      return send(reply, { ended });
    },
  );

  app.post(
    '/console/api/apps/:appId/peers/:uid/messages',
    {
      schema: {
        summary: 'Sends a peer message as the named sender (live only, as sendMessageToPeer without offline)',
        body: TEXT_MESSAGE,
      },
    },
    async (request, reply) => {
      const appId = appOf(request);
      const to = userOf(request);
      const { from, text } = request.body as { from: string; text: string };
      const r = await services.sendPeerMessage(appId, from, to, { type: 'TEXT', text }, false, undefined);
      acted(request, 'peer-message', { appId, from, to });
      if (!r || 'refused' in r) throw new HttpError(500, 'internal', 'the message was not sent');
      return send(reply, r);
    },
  );

  app.post(
    '/console/api/apps/:appId/channels/:channelId/messages',
    { schema: { summary: 'Sends a channel message as the named sender', body: TEXT_MESSAGE } },
    async (request, reply) => {
      const appId = appOf(request);
      const channelId = channelOf(request);
      const { from, text } = request.body as { from: string; text: string };
      const r = await services.sendChannelMessage(appId, channelId, from, { type: 'TEXT', text }, undefined);
      acted(request, 'channel-message', { appId, channelId, from });
      return send(reply, r);
    },
  );

  app.delete(
    '/console/api/apps/:appId/channels/:channelId/attributes',
    {
      schema: {
        summary: "Deletes channel attributes (the named keys, or all) and tells the channel's members",
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            keys: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
            all: { type: 'boolean', const: true },
          },
          oneOf: [{ required: ['keys'] }, { required: ['all'] }],
        },
      },
    },
    async (request, reply) => {
      const appId = appOf(request);
      const channelId = channelOf(request);
      const { keys } = request.body as { keys?: string[] };
      const name = request.operator!.name;
      const left = await svc.deleteChannelAttributes(appId, channelId, keys ?? null, name);
      acted(request, 'delete-channel-attributes', { appId, channelId, keys: keys ?? 'all' });
      return send(reply, { keys: left });
    },
  );
};
