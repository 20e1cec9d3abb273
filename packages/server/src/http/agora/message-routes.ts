import { checkWireMessage, type WireMessage } from '@parley/protocol';
import type { FastifySchemaValidationError } from 'fastify';
import type { RestServices } from '../rest-services.js';
import { USER_ID_FORMAT } from '../schemas.js';
import { requireSelf } from './auth.js';
import { agoraError } from './errors.js';
import { type AgoraRoute, invalid, type Json } from './route.js';

const FLAGS = {
  enable_historical_messaging: { type: 'boolean' },
  payload: { type: 'string', minLength: 1 },
};

const PEER_BODY = {
  type: 'object',
  required: ['destination', 'payload'],
  properties: {
    destination: { type: 'string', format: USER_ID_FORMAT },
    enable_offline_messaging: { type: 'boolean' },
    ...FLAGS,
  },
};

const CHANNEL_BODY = {
  type: 'object',
  required: ['channel_name', 'payload'],
  properties: { channel_name: { type: 'string', format: USER_ID_FORMAT }, ...FLAGS },
};

/** A bad `destination` / `channel_name` has its own code; the rest is invalid_request. */
const idError =
  (field: string, code: 'invalid_user_id' | 'invalid_channel_id') => (e: FastifySchemaValidationError) =>
    e.instancePath === `/${field}` && e.keyword === 'format'
      ? { code, message: `"${field}" is not a valid ${code === 'invalid_user_id' ? 'user' : 'channel'} id` }
      : null;

/**
 * Agora's message sends (`POST …/users/{user_id}/peer_messages`, `…/channel_messages`), through
 * the server's peer and channel send paths. The path's user is the sender; a token caller may send
 * only as itself.
 */
export function messageRoutes(services: RestServices): AgoraRoute[] {
  const textOf = (appId: string, body: Json): WireMessage => {
    const msg: WireMessage = { type: 'TEXT', text: body.payload as string };
    const max = services.messageBytes(appId);
    if (checkWireMessage(msg, max))
      throw agoraError(400, 'message_too_large', `the payload is over ${max} bytes`);
    return msg;
  };
  return [
    {
      method: 'POST',
      url: '/users/:userId/peer_messages',
      summary: 'Sends a peer message from the user (offline and historical flags; wait_for_ack)',
      rate: 'messages',
      body: PEER_BODY,
      bodyError: idError('destination', 'invalid_user_id'),
      async run({ appId, principal, params, query, body }) {
        const from = params.userId!;
        requireSelf(principal, from);
        const wait = query.wait_for_ack;
        if (wait !== undefined && wait !== 'true' && wait !== 'false')
          throw invalid('wait_for_ack is true or false');
        const to = body.destination as string;
        const msg = textOf(appId, body);
        const offline = body.enable_offline_messaging === true;
        const historical = body.enable_historical_messaging === true;
        // Without wait_for_ack the answer does not wait for the receiver's SDK, only for what
        // tells "offline" apart (an offline receiver's send settles at once, stored or not) and
        // for a history entry (durable before the answer).
        const settle = wait === 'true' || historical || (await services.onlineState(appId, to)) === 'OFFLINE';
        const sent = services.sendPeerMessage(appId, from, to, msg, offline, undefined, historical);
        if (!settle) {
          sent.catch(() => {});
          return { code: 'message_sent' };
        }
        const r = await sent;
        if (!r) throw agoraError(500, 'internal', 'the message could not be stored');
        if ('refused' in r)
          throw r.refused === 'offline_sender_hourly'
            ? agoraError(429, 'offline_sender_quota', `"${from}" cached its offline messages for this hour`)
            : agoraError(507, 'offline_storage_full', "this app's offline storage is full");
        return { code: r.received ? 'message_delivered' : r.cached ? 'message_offline' : 'message_sent' };
      },
    },
    {
      method: 'POST',
      url: '/users/:userId/channel_messages',
      summary: 'Sends a channel message from the user to every member (the sender need not be one)',
      rate: 'messages',
      body: CHANNEL_BODY,
      bodyError: idError('channel_name', 'invalid_channel_id'),
      async run({ appId, principal, params, body }) {
        const from = params.userId!;
        requireSelf(principal, from);
        const msg = textOf(appId, body);
        const historical = body.enable_historical_messaging === true;
        const r = await services.sendChannelMessage(
          appId,
          body.channel_name as string,
          from,
          msg,
          undefined,
          historical,
        );
        if (!r) throw agoraError(500, 'internal', 'the history entry could not be stored: nothing was sent');
        return { code: 'message_sent' };
      },
    },
  ];
}
