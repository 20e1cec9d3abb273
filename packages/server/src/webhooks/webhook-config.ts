import {
  DEFAULT_WEBHOOK_EVENTS,
  type ServerConfig,
  WEBHOOK_EVENTS,
  type WebhookEndpoint,
  type WebhookEventName,
} from '../config.js';

const ENDPOINT_KEYS = ['url', 'secret', 'events', 'channelPrefix'];
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An http(s) URL, or an Error naming `label`. */
function checkUrl(v: unknown, label: string): string {
  let u: URL | null = null;
  try {
    u = typeof v === 'string' ? new URL(v) : null;
  } catch {
    u = null;
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
    throw new Error(`${label}: ${JSON.stringify(v)} is not an http:// or https:// URL`);
  return v as string;
}

function checkSecret(v: unknown, label: string): string {
  if (typeof v !== 'string' || v === '')
    throw new Error(`${label}: missing; every webhook request is signed with its secret`);
  return v;
}

function checkEvents(v: unknown, label: string): WebhookEventName[] {
  if (!Array.isArray(v) || v.length === 0)
    throw new Error(`${label}: expected a non-empty list of events (${WEBHOOK_EVENTS.join(', ')})`);
  for (const e of v)
    if (!WEBHOOK_EVENTS.includes(e as WebhookEventName))
      throw new Error(`${label}: unknown event ${JSON.stringify(e)} (known: ${WEBHOOK_EVENTS.join(', ')})`);
  return [...new Set(v as WebhookEventName[])];
}

/** One `apps[].webhooks[]` entry, checked; errors name `where` and the key. */
export function validateEndpoint(e: unknown, where: string): WebhookEndpoint {
  if (!isRecord(e)) throw new Error(`${where}: expected an object { url, secret, events, channelPrefix? }`);
  for (const k of Object.keys(e))
    if (!ENDPOINT_KEYS.includes(k))
      throw new Error(`${where}: unknown key "${k}" (known: ${ENDPOINT_KEYS.join(', ')})`);
  const endpoint: WebhookEndpoint = {
    url: checkUrl(e.url, `${where}.url`),
    secret: checkSecret(e.secret, `${where}.secret`),
    events: checkEvents(e.events, `${where}.events`),
  };
  if (e.channelPrefix !== undefined) {
    if (typeof e.channelPrefix !== 'string' || e.channelPrefix === '')
      throw new Error(
        `${where}.channelPrefix: expected a non-empty string, got ${JSON.stringify(e.channelPrefix)}`,
      );
    endpoint.channelPrefix = e.channelPrefix;
  }
  return endpoint;
}

/** An app's `webhooks`, checked. */
export function validateEndpoints(list: unknown, where: string): WebhookEndpoint[] {
  if (!Array.isArray(list))
    throw new Error(`${where}: expected an array of { url, secret, events, channelPrefix? }`);
  return list.map((e, i) => validateEndpoint(e, `${where}[${i}]`));
}

type FlagSettings = Pick<ServerConfig, 'webhookUrl' | 'webhookSecret' | 'webhookEvents'>;

/** The endpoint of `--webhook-url` / `--webhook-secret` / `--webhook-events`, checked; null without a URL. */
export function flagEndpoint(c: FlagSettings): WebhookEndpoint | null {
  if (!c.webhookUrl) {
    if (c.webhookSecret) throw new Error('--webhook-secret needs --webhook-url');
    if (c.webhookEvents) throw new Error('--webhook-events needs --webhook-url');
    return null;
  }
  const events = c.webhookEvents
    ? checkEvents(
        c.webhookEvents.split(',').map((s) => s.trim()),
        '--webhook-events',
      )
    : [...DEFAULT_WEBHOOK_EVENTS];
  return {
    url: checkUrl(c.webhookUrl, '--webhook-url'),
    secret: checkSecret(
      c.webhookSecret,
      '--webhook-secret (PARLEY_WEBHOOK_SECRET, config key webhookSecret)',
    ),
    events,
  };
}

/**
 * Every endpoint of a config, checked (a bad one stops `createServer` with a message naming it):
 * the apps' own, then the flags' one, which serves every app without its own list.
 */
export function webhookEndpoints(config: ServerConfig): {
  byApp: Map<string, WebhookEndpoint[]>;
  fallback: WebhookEndpoint | null;
} {
  const byApp = new Map<string, WebhookEndpoint[]>();
  config.apps.forEach((app, i) => {
    if (app.webhooks !== undefined)
      byApp.set(app.appId, validateEndpoints(app.webhooks, `apps[${i}].webhooks`));
  });
  return { byApp, fallback: flagEndpoint(config) };
}
