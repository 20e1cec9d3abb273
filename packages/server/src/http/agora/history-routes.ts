import { isValidUserId } from '@parley/protocol';
import type { HistoryEntry, HistoryFilter } from '../../ports/message-history-store.js';
import type { RestServices } from '../rest-services.js';
import type { Principal } from './auth.js';
import { agoraError } from './errors.js';
import { makeHandle, openHandle } from './history-handle.js';
import { type AgoraRoute, isoTime } from './route.js';

type Range = Omit<HistoryFilter, 'offset' | 'limit' | 'order'>;

/** Agora's default page (its docs list 20, 50 and 100; any 1-100 is taken). */
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

const QUERY_BODY = {
  type: 'object',
  required: ['filter'],
  properties: {
    filter: {
      type: 'object',
      required: ['start_time', 'end_time'],
      properties: {
        source: { type: 'string' },
        destination: { type: 'string' },
        start_time: { type: 'string' },
        end_time: { type: 'string' },
      },
    },
    offset: { type: 'integer', minimum: 0 },
    limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT },
    // Agora's English docs default to desc, the Chinese ones to asc: the first is answered.
    order: { enum: ['asc', 'desc'] },
  },
};

/** source / destination / start_time / end_time, from a query body's filter or a count's query string. */
function rangeOf(f: Record<string, unknown>): Range {
  const id = (name: 'source' | 'destination') => {
    const v = f[name];
    if (v === undefined || v === '') return undefined;
    if (!isValidUserId(v)) throw agoraError(400, 'invalid_user_id', `"${name}" is not a valid id`);
    return v;
  };
  const range: Range = {
    startMs: isoTime('start_time', f.start_time),
    endMs: isoTime('end_time', f.end_time),
  };
  const source = id('source');
  const destination = id('destination');
  if (source !== undefined) range.source = source;
  if (destination !== undefined) range.destination = destination;
  if (range.endMs < range.startMs) throw agoraError(400, 'invalid_time', '"end_time" is before "start_time"');
  return range;
}

/** Agora's message_type names: a channel message is "channel_message" ("group_message" in captures). */
const toAgora = (e: HistoryEntry) => ({
  src: e.src,
  dst: e.dst,
  message_type: e.messageType,
  ms: e.ts,
  payload: e.payload,
});

/**
 * Agora's message history (`POST …/message/history/query`, `GET …/query/{handle}`,
 * `GET …/message/history/count`). A handle carries its query (history-handle.ts), so the query
 * runs when it is read, on whichever node: its answer is never "in progress".
 */
export function historyRoutes(services: RestServices): AgoraRoute[] {
  /** A token caller reads only what it took part in: its own sends, to it, or its channels. */
  const mayRead = async (appId: string, p: Principal, r: Range): Promise<void> => {
    if (p.uid === null || r.source === p.uid || r.destination === p.uid) return;
    if (r.destination !== undefined && (await services.channelMembers(appId, r.destination)).includes(p.uid))
      return;
    throw agoraError(
      403,
      'forbidden',
      `the token is for "${p.uid}": filter on "source" or "destination" "${p.uid}", or on a channel it is in`,
    );
  };
  return [
    {
      method: 'POST',
      url: '/message/history/query',
      summary: 'Starts a query of the message history; answers its handle in `location`',
      rate: 'history',
      body: QUERY_BODY,
      async run({ appId, principal, body }) {
        const range = rangeOf(body.filter as Record<string, unknown>);
        await mayRead(appId, principal, range);
        const offset = (body.offset as number | undefined) ?? 0;
        const limit = (body.limit as number | undefined) ?? DEFAULT_LIMIT;
        const order = (body.order as 'asc' | 'desc' | undefined) ?? 'desc';
        const filter: HistoryFilter = { ...range, offset, limit, order };
        const handle = makeHandle(services.handleKey, {
          appId,
          filter,
          uid: principal.uid,
          expiresAt: Date.now() + services.handleTtlMs,
        });
        return { offset, limit, order, location: `~/rtm/message/history/query/${handle}` };
      },
    },
    {
      method: 'GET',
      url: '/message/history/query/:handle',
      summary: 'A history query\'s messages (`code: "ok"`); 410 once the handle expired',
      rate: 'history',
      async run({ appId, principal, params }) {
        const h = openHandle(services.handleKey, params.handle!);
        if (!h || h.appId !== appId) throw agoraError(404, 'unknown_handle', 'no such history query');
        if (principal.uid !== null && h.uid !== principal.uid)
          throw agoraError(403, 'forbidden', 'this query was made by another user');
        if (Date.now() > h.expiresAt)
          throw agoraError(410, 'handle_expired', 'the query expired: create it again');
        const entries = await services.queryHistory(appId, h.filter);
        return { code: 'ok', messages: entries.map(toAgora) };
      },
    },
    {
      method: 'GET',
      url: '/message/history/count',
      summary: 'How many history messages match source, destination and the time range',
      rate: 'history',
      async run({ appId, principal, query }) {
        const range = rangeOf(query);
        await mayRead(appId, principal, range);
        return { code: 'ok', count: await services.countHistory(appId, range) };
      },
    },
  ];
}
