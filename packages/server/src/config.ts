import { DEFAULT_LIMITS, type Limits } from '@parley/protocol';

/** One app: its id, optional certificate (token required when set) and optional limit overrides. */
export interface AppConfig {
  appId: string;
  appCertificate?: string;
  limits?: Partial<Limits>;
  /** storage quotas of this app (server-side only; defaults from the server-wide flags) */
  quotas?: Partial<AppQuotas>;
  /** Agora REST API calls per second of this app (defaults: Agora's, REST_RATES) */
  restRates?: Partial<RestRates>;
  /** where this app's events are POSTed (docs/webhooks.md); none = the `--webhook-url` one, if set */
  webhooks?: WebhookEndpoint[];
}

/**
 * Calls per second one app may make to Agora's REST API (`/dev/v2/project/...`), Agora's limits
 * by default; lifted by `--rate-limits off`. Counted per node.
 */
export interface RestRates {
  /** peer and channel message sends together */
  messages: number;
  /** user and channel event reads */
  events: number;
  /** history queries, result reads and counts */
  history: number;
}
export const REST_RATES: RestRates = { messages: 500, events: 10, history: 100 };

/** Agora-style customer credentials: Basic auth on Agora's REST API, valid for every app. */
export interface CustomerCredential {
  id: string;
  secret: string;
}

/** Event names a webhook may ask for; `message.*` carry the message and are opt-in. */
export const WEBHOOK_EVENTS = [
  'user.online',
  'user.offline',
  'channel.member_joined',
  'channel.member_left',
  'channel.occupied',
  'channel.vacated',
  'channel.attributes_updated',
  'message.peer',
  'message.channel',
] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];
/** What `--webhook-url` gets without `--webhook-events`: everything but the messages. */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEventName[] = WEBHOOK_EVENTS.filter(
  (e) => !e.startsWith('message.'),
);

/** One receiver of an app's events (docs/webhooks.md). */
export interface WebhookEndpoint {
  /** http(s) URL the batches are POSTed to */
  url: string;
  /** HMAC-SHA256 key of the X-Parley-Signature header */
  secret: string;
  events: WebhookEventName[];
  /** only channel events (and channel messages) of channels whose name starts with it */
  channelPrefix?: string;
}

/**
 * Caps on what one app may make the server hold, against growth that per-client limits do not
 * bound (ever-new receivers, ever-new channels). 0 = no cap. Not lifted by `--rate-limits off`.
 */
export interface AppQuotas {
  /** bytes of offline messages held for all receivers of the app (stored event bytes) */
  offlineMaxBytes: number;
  /** offline messages one sender may have cached (not delivered live) per hour */
  offlineMaxPerSenderPerHour: number;
  /** bytes of channel attributes (keys + values) held on channels without members */
  emptyChannelAttrsMaxBytes: number;
  /** bytes of message history (payloads) kept for the app; over it the oldest entries go */
  historyMaxBytes: number;
}

/** `--log-format`: `auto` (default) is `pretty` when stdout is a terminal, `json` otherwise. */
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const isLogFormat = (v: unknown): v is LogFormat => LOG_FORMATS.includes(v as LogFormat);

/** Everything `createServer` needs. Every field has a default; the CLI maps flags and env onto it. */
export interface ServerConfig {
  /** TCP port; 0 picks a free one (default 8080) */
  port: number;
  /** bind address (default 127.0.0.1) */
  host: string;
  /** where durable data lives (default ./data); null = in-memory only (tests) */
  dataDir: string | null;
  /** configured apps; empty = development mode (any well-formed App ID, no token) */
  apps: AppConfig[];
  /** customer credentials for Agora's REST API (config file `customers`), besides customerId/Secret */
  customers: CustomerCredential[];
  /** one customer credential from `--customer-id` / `--customer-secret` ('' = none) */
  customerId: string;
  customerSecret: string;
  /** Redis URL for cluster mode; null = embedded */
  redisUrl: string | null;
  /**
   * Seed nodes of a Redis Cluster (`host:port,host:port,...`) for cluster mode, instead of
   * `redisUrl` (never both); null = none
   */
  redisCluster: string | null;
  /** prefix of every Redis key and pub/sub channel (default 'parley'); one per deployment or test run */
  redisPrefix: string;
  /**
   * PostgreSQL URL (`--postgres`): durable data that must outlast Redis — the message history —
   * goes there instead of Redis (cluster mode) or SQLite (embedded); null = none
   */
  postgres: string | null;
  /** cluster mode: how often a node heartbeats into Redis, ms (default 1000); dead after 3 missed */
  nodeHeartbeatMs: number;
  /** this node's id (default: random) */
  nodeId: string;
  logLevel: string;
  /** `auto` (default): readable lines on a terminal, JSON lines otherwise; or `pretty` / `json` */
  logFormat: LogFormat;
  /** how long a dropped session is kept for resume, ms (default 30000) */
  sessionGraceMs: number;
  /** callee offline or silent, ms (default 30000) */
  invitationAckTimeoutMs: number;
  /** received but unanswered, ms (default 60000) */
  invitationExpireMs: number;
  /** client heartbeat interval, ms (default 5000); a socket silent for 3 intervals is dropped */
  heartbeatMs: number;
  /** how long the server waits for the receiving SDK's ack of a peer message, ms (default 5000) */
  peerAckTimeoutMs: number;
  /** a WebSocket that has not logged in this long after connecting is closed (4007), ms (default 10000; 0 = never) */
  loginTimeoutMs: number;
  /**
   * WebSockets open at once (handshakes included) before new ones are refused with 503; 0 (default)
   * = automatic: the open-file limit minus a reserve for HTTP, storage and logs (no cap if unknown)
   */
  maxConnections: number;
  /** WebSockets open at once from one remote address before it is refused with 429 (default 1000; 0 = no cap) */
  maxConnectionsPerIp: number;
  /** HTTP: time to receive a request's headers, ms (default 10000); over it the request gets 408 */
  httpHeadersTimeoutMs: number;
  /** HTTP: time to receive a whole request, body included, ms (default 30000); over it 408 */
  httpRequestTimeoutMs: number;
  /** false = `--rate-limits off` (size limits stay) */
  rateLimits: boolean;
  /** messages kept per session for resume, and the cap of its queue while detached (default 1024) */
  resumeBufferMessages: number;
  /** bytes a socket may have buffered before it is closed as a slow consumer (default 8 MiB) */
  maxSocketBufferBytes: number;
  /** offline messages kept per receiver (default 200) and their lifetime, ms (default 7 days) */
  offlineMaxPerUser: number;
  offlineTtlMs: number;
  /**
   * how long the idempotency key of an offline peer message is remembered, ms (default 1 hour):
   * a retry with the same key within it is answered with the first outcome, not stored again
   */
  sendKeyTtlMs: number;
  /** channel history kept for resumed sessions: messages and age, ms (default 32 / 30000) */
  historyMessages: number;
  historyMs: number;
  /** how long a handle of Agora's history query API opens, ms (default 10 minutes; 410 after) */
  historyQueryTtlMs: number;
  /**
   * message history (messages sent with enableHistoricalMessaging): how long an entry is kept, ms
   * (default 7 days, as Agora), and the payload bytes kept per app (default 200 MiB; the oldest
   * go first). Agora keeps 2 GB per app on its own fleet; a tenth of that suits one Parley
   * deployment, where Redis mode holds the history in memory.
   */
  historyTtlMs: number;
  historyMaxBytesPerApp: number;
  /** channel attributes of a channel empty this long are dropped, ms (default 300000) */
  emptyChannelAttrsTtlMs: number;
  /**
   * SQLite commit durability (embedded mode): 'normal' (default) survives a crash or kill -9 of
   * the process; 'full' also a power loss or OS crash, at one fsync per commit.
   */
  sqliteSync: 'normal' | 'full';
  /**
   * Requests (and pings) one socket may send per second, bursting one second's worth; one more
   * closes it with 4009 REQUEST_FLOOD (default 1000; 0 = no budget). Lifted with rate limits.
   */
  maxRequestsPerSecond: number;
  /** requests refused by a limit tolerated per socket in any 10 s; one more closes it, 4009 (default 100) */
  maxRefusedRequests: number;
  /**
   * after a socket is closed for a request flood (4009), new WebSockets from its address are
   * refused with 429 for this long, ms (default 10000; 0 = off)
   */
  floodCooldownMs: number;
  /** AppQuotas defaults for every app (per app in the config file: `apps[].quotas`) */
  offlineMaxBytesPerApp: number;
  offlineMaxPerSenderPerHour: number;
  emptyChannelAttrsMaxBytesPerApp: number;
  /** the web console's password (docs/console.md); '' (default) = no console, /console/ is 404 */
  adminPassword: string;
  /**
   * A webhook for every app without `webhooks` of its own (`--webhook-url`, with `--webhook-secret`
   * and `--webhook-events`, a comma list; '' = DEFAULT_WEBHOOK_EVENTS); null = none
   */
  webhookUrl: string | null;
  webhookSecret: string | null;
  webhookEvents: string;
  /** webhook batches: sent this long after their first event, ms (default 50), or at this many events (default 100) */
  webhookBatchMs: number;
  webhookBatchMax: number;
  /** one webhook request's time limit, ms (default 5000); over it, it is retried */
  webhookTimeoutMs: number;
  /** retries of a failed webhook batch (default 5), the first after about this long, ms (default 2000), doubling */
  webhookRetries: number;
  webhookRetryBaseMs: number;
  /** webhook events waiting per endpoint (default 10000); more are dropped and counted */
  webhookQueueMax: number;
  /** how long a shutdown may spend sending the webhook events still queued, ms (default 2000) */
  webhookShutdownMs: number;
  /** how long an uploaded image or file can be downloaded, ms (default 7 days, Agora's) */
  mediaTtlMs: number;
  /** bytes of media one app may hold; an upload past it is refused (default 1 GiB; 0 = no cap) */
  mediaMaxBytesPerApp: number;
}

export const DEFAULT_CONFIG: ServerConfig = {
  port: 8080,
  host: '127.0.0.1',
  dataDir: './data',
  apps: [],
  customers: [],
  customerId: '',
  customerSecret: '',
  redisUrl: null,
  redisCluster: null,
  redisPrefix: 'parley',
  postgres: null,
  nodeHeartbeatMs: 1000,
  nodeId: '',
  logLevel: 'info',
  logFormat: 'auto',
  sessionGraceMs: 30_000,
  invitationAckTimeoutMs: 30_000,
  invitationExpireMs: 60_000,
  heartbeatMs: 5_000,
  peerAckTimeoutMs: 5_000,
  loginTimeoutMs: 10_000,
  maxConnections: 0,
  maxConnectionsPerIp: 1000,
  httpHeadersTimeoutMs: 10_000,
  httpRequestTimeoutMs: 30_000,
  rateLimits: true,
  resumeBufferMessages: 1024,
  maxSocketBufferBytes: 8 * 1024 * 1024,
  offlineMaxPerUser: 200,
  offlineTtlMs: 7 * 24 * 3600 * 1000,
  sendKeyTtlMs: 3600 * 1000,
  historyMessages: 32,
  historyMs: 30_000,
  historyQueryTtlMs: 600_000,
  historyTtlMs: 7 * 24 * 3600 * 1000,
  historyMaxBytesPerApp: 200 * 1024 * 1024,
  emptyChannelAttrsTtlMs: 300_000,
  sqliteSync: 'normal',
  maxRequestsPerSecond: 1000,
  maxRefusedRequests: 100,
  floodCooldownMs: 10_000,
  offlineMaxBytesPerApp: 1024 * 1024 * 1024,
  offlineMaxPerSenderPerHour: 1000,
  emptyChannelAttrsMaxBytesPerApp: 64 * 1024 * 1024,
  adminPassword: '',
  webhookUrl: null,
  webhookSecret: null,
  webhookEvents: '',
  webhookBatchMs: 50,
  webhookBatchMax: 100,
  webhookTimeoutMs: 5_000,
  webhookRetries: 5,
  webhookRetryBaseMs: 2_000,
  webhookQueueMax: 10_000,
  webhookShutdownMs: 2_000,
  mediaTtlMs: 7 * 24 * 3600 * 1000,
  mediaMaxBytesPerApp: 1024 * 1024 * 1024,
};

export function resolveConfig(partial: Partial<ServerConfig>): ServerConfig {
  const c = { ...DEFAULT_CONFIG, ...partial };
  if (!c.nodeId) c.nodeId = Math.random().toString(36).slice(2, 10);
  return c;
}

/**
 * The seed nodes of `--redis-cluster`: `host:port` items separated by commas (IPv6 hosts in
 * brackets, `[::1]:7000`). Throws a message naming the bad item.
 */
export function parseRedisSeeds(list: string): Array<{ host: string; port: number }> {
  const items = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0)
    throw new Error('expected host:port[,host:port...] (seed nodes of a Redis Cluster)');
  return items.map((item) => {
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(item);
    const port = m ? Number(m[3]) : 0;
    if (!m || port < 1 || port > 65535)
      throw new Error(`"${item}" is not host:port (seed nodes of a Redis Cluster: host:port[,host:port...])`);
    return { host: (m[1] ?? m[2])!, port };
  });
}

/** Both Redis modes set: a configuration error (the message names the flags). */
export function checkRedisMode(c: Pick<ServerConfig, 'redisUrl' | 'redisCluster'>): void {
  if (c.redisUrl && c.redisCluster)
    throw new Error(
      '--redis and --redis-cluster exclude each other: give a single Redis (--redis) or the seed nodes of a Redis Cluster (--redis-cluster), not both',
    );
}

/** The limits in force for an app: defaults, then the app's overrides, then --rate-limits. */
export function limitsFor(config: ServerConfig, app: AppConfig | undefined): Limits {
  const l: Limits = { ...DEFAULT_LIMITS, ...(app?.limits ?? {}) };
  if (!config.rateLimits) l.rateLimits = false;
  return l;
}

/** Every customer credential of the server: the config file's list and the flags' pair. */
export function customersOf(config: ServerConfig): CustomerCredential[] {
  const flagged = config.customerId ? [{ id: config.customerId, secret: config.customerSecret }] : [];
  return [...config.customers, ...flagged];
}

/** The REST API rates in force for an app (null: not limited, `--rate-limits off`). */
export function restRatesFor(config: ServerConfig, app: AppConfig | undefined): RestRates | null {
  if (!config.rateLimits) return null;
  return { ...REST_RATES, ...(app?.restRates ?? {}) };
}

/** The quotas in force for an app (by App ID). */
export type QuotasOf = (appId: string) => AppQuotas;

/**
 * The quotas of every app, resolved once (createServer): the server-wide values, then each
 * configured app's own. An App ID not configured (development mode) gets the server-wide values.
 */
export function resolveQuotas(config: ServerConfig): QuotasOf {
  const serverWide: AppQuotas = {
    offlineMaxBytes: config.offlineMaxBytesPerApp,
    offlineMaxPerSenderPerHour: config.offlineMaxPerSenderPerHour,
    emptyChannelAttrsMaxBytes: config.emptyChannelAttrsMaxBytesPerApp,
    historyMaxBytes: config.historyMaxBytesPerApp,
  };
  const byApp = new Map(config.apps.map((a) => [a.appId, { ...serverWide, ...(a.quotas ?? {}) }]));
  return (appId) => byApp.get(appId) ?? serverWide;
}
