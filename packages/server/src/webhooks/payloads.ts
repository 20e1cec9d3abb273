import type { WireMessage } from '@parley/protocol';
import type { WebhookEndpoint, WebhookEventName } from '../config.js';
import type { ActivityEvent, ActivityType } from '../kernel/activity-feed.js';

/** One event of a webhook batch: `{ name, ts, ...fields }` (docs/webhooks.md). */
export interface WebhookEvent {
  name: WebhookEventName;
  /** when it happened, ms since the epoch */
  ts: number;
  [field: string]: unknown;
}

/** The feed events each webhook event comes from (occupied/vacated are joins/leaves with their count). */
const SOURCE: Record<WebhookEventName, ActivityType> = {
  'user.online': 'user.online',
  'user.offline': 'user.offline',
  'channel.member_joined': 'channel.member_joined',
  'channel.member_left': 'channel.member_left',
  'channel.occupied': 'channel.member_joined',
  'channel.vacated': 'channel.member_left',
  'channel.attributes_updated': 'channel.attributes_updated',
  'message.peer': 'message.peer',
  'message.channel': 'message.channel',
};

/** The feed types the endpoints need (the feed builds nothing for the others). */
export function feedTypes(endpoints: Iterable<WebhookEndpoint>): ActivityType[] {
  const types = new Set<ActivityType>();
  for (const e of endpoints) for (const name of e.events) types.add(SOURCE[name]);
  return [...types];
}

/** The webhook events one feed event makes, in order: a join that occupies the channel is both. */
export function webhookNames(e: ActivityEvent): WebhookEventName[] {
  switch (e.type) {
    case 'channel.member_joined':
      return e.count === 1 ? ['channel.member_joined', 'channel.occupied'] : ['channel.member_joined'];
    case 'channel.member_left':
      return e.count === 0 ? ['channel.member_left', 'channel.vacated'] : ['channel.member_left'];
    case 'request.error':
      return [];
    default:
      return [e.type];
  }
}

/** Whether `endpoint` wants `name` of `e` (its events, its channel prefix for channel events). */
export function wants(endpoint: WebhookEndpoint, name: WebhookEventName, e: ActivityEvent): boolean {
  if (!endpoint.events.includes(name)) return false;
  if (endpoint.channelPrefix === undefined || !('channelId' in e)) return true;
  return e.channelId.startsWith(endpoint.channelPrefix);
}

/** A message as the REST API takes it: `{ text }` or `{ raw: base64, description? }`. */
function messageJson(m: WireMessage): Record<string, string> {
  if (m.raw === undefined) return { text: m.text ?? '' };
  const raw = Buffer.from(m.raw.buffer, m.raw.byteOffset, m.raw.byteLength).toString('base64');
  return m.description ? { raw, description: m.description } : { raw };
}

/** The JSON of webhook event `name` made from feed event `e` (literals, not spreads: it runs per message). */
export function payloadOf(name: WebhookEventName, e: ActivityEvent): WebhookEvent {
  const ts = e.ts;
  switch (e.type) {
    case 'user.online':
      return { name, ts, uid: e.uid, sessionId: e.sessionId };
    case 'user.offline':
      return { name, ts, uid: e.uid, sessionId: e.sessionId, reason: e.cause };
    case 'channel.member_joined':
    case 'channel.member_left':
      return name === 'channel.occupied' || name === 'channel.vacated'
        ? { name, ts, channelId: e.channelId, uid: e.uid }
        : { name, ts, channelId: e.channelId, uid: e.uid, count: e.count };
    case 'channel.attributes_updated':
      return { name, ts, channelId: e.channelId, uid: e.uid, change: e.change, keys: e.keys };
    case 'message.peer':
      return { name, ts, id: e.id, from: e.from, to: e.to, message: messageJson(e.msg) };
    case 'message.channel':
      return { name, ts, id: e.id, channelId: e.channelId, from: e.from, message: messageJson(e.msg) };
    case 'request.error':
      throw new Error('request.error is not a webhook event');
  }
}
