import { InvalidArgumentError } from 'commander';
import { LOG_FORMATS, parseRedisSeeds, type ServerConfig } from '../config.js';

const int = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  return Number(v);
};

const choice = (name: string, allowed: string[]) => (v: string) => {
  if (!allowed.includes(v)) throw new InvalidArgumentError(`${name} must be one of ${allowed.join(', ')}`);
  return v;
};

/** Flags of `parley serve`; each is also read from env PARLEY_<FLAG> (e.g. PARLEY_SESSION_GRACE_MS). */
export const SERVE_FLAGS: Array<{
  flag: string;
  key: keyof ServerConfig;
  desc: string;
  parse?: (v: string) => unknown;
}> = [
  { flag: 'port <n>', key: 'port', desc: 'TCP port (0 = pick a free one)', parse: int('port') },
  { flag: 'host <addr>', key: 'host', desc: 'bind address' },
  { flag: 'data-dir <dir>', key: 'dataDir', desc: 'directory for durable data (SQLite)' },
  {
    flag: 'customer-id <id>',
    key: 'customerId',
    desc: 'customer ID for Basic auth on Agora’s REST API (/dev/v2/...), valid for every app',
  },
  {
    flag: 'customer-secret <secret>',
    key: 'customerSecret',
    desc: 'customer secret paired with --customer-id',
  },
  { flag: 'redis <url>', key: 'redisUrl', desc: 'Redis URL: cluster mode' },
  {
    flag: 'redis-cluster <seeds>',
    key: 'redisCluster',
    desc: 'seed nodes of a Redis Cluster (host:port,...): cluster mode on Redis Cluster',
    parse: (v: string) => {
      try {
        parseRedisSeeds(v);
      } catch (e) {
        throw new InvalidArgumentError(`${(e as Error).message}.`);
      }
      return v;
    },
  },
  {
    flag: 'redis-prefix <prefix>',
    key: 'redisPrefix',
    desc: 'prefix of Redis keys and channels (cluster mode)',
  },
  {
    flag: 'postgres <url>',
    key: 'postgres',
    desc: 'PostgreSQL URL: message history kept there (shared by every node)',
  },
  {
    flag: 'node-heartbeat-ms <ms>',
    key: 'nodeHeartbeatMs',
    desc: 'node heartbeat into Redis; dead after 3 missed',
    parse: int('node-heartbeat-ms'),
  },
  { flag: 'node-id <id>', key: 'nodeId', desc: 'this node’s id (default random)' },
  { flag: 'log-level <level>', key: 'logLevel', desc: 'fatal|error|warn|info|debug|trace|silent' },
  {
    flag: 'log-format <format>',
    key: 'logFormat',
    desc: 'auto (pretty on a terminal, json otherwise) | pretty | json',
    parse: choice('log-format', [...LOG_FORMATS]),
  },
  {
    flag: 'session-grace-ms <ms>',
    key: 'sessionGraceMs',
    desc: 'how long a dropped session waits for its client',
    parse: int('session-grace-ms'),
  },
  {
    flag: 'invitation-ack-timeout-ms <ms>',
    key: 'invitationAckTimeoutMs',
    desc: 'callee offline or silent',
    parse: int('invitation-ack-timeout-ms'),
  },
  {
    flag: 'invitation-expire-ms <ms>',
    key: 'invitationExpireMs',
    desc: 'invitation received but unanswered',
    parse: int('invitation-expire-ms'),
  },
  {
    flag: 'heartbeat-ms <ms>',
    key: 'heartbeatMs',
    desc: 'client heartbeat interval; 3 missed = dead socket',
    parse: int('heartbeat-ms'),
  },
  {
    flag: 'peer-ack-timeout-ms <ms>',
    key: 'peerAckTimeoutMs',
    desc: 'wait for the receiving SDK to ack a peer message',
    parse: int('peer-ack-timeout-ms'),
  },
  {
    flag: 'login-timeout-ms <ms>',
    key: 'loginTimeoutMs',
    desc: 'close a WebSocket not logged in this long after connecting (close code 4007)',
    parse: int('login-timeout-ms'),
  },
  {
    flag: 'max-connections <n>',
    key: 'maxConnections',
    desc: 'WebSockets open at once, beyond which new ones get 503 (0 = open-file limit minus a reserve)',
    parse: int('max-connections'),
  },
  {
    flag: 'max-connections-per-ip <n>',
    key: 'maxConnectionsPerIp',
    desc: 'WebSockets open at once from one address, beyond which it gets 429 (0 = no cap)',
    parse: int('max-connections-per-ip'),
  },
  {
    flag: 'http-headers-timeout-ms <ms>',
    key: 'httpHeadersTimeoutMs',
    desc: 'HTTP: time to receive the request headers (408 after)',
    parse: int('http-headers-timeout-ms'),
  },
  {
    flag: 'http-request-timeout-ms <ms>',
    key: 'httpRequestTimeoutMs',
    desc: 'HTTP: time to receive the whole request, body included (408 after)',
    parse: int('http-request-timeout-ms'),
  },
  {
    flag: 'offline-max-per-user <n>',
    key: 'offlineMaxPerUser',
    desc: 'offline messages kept per receiver',
    parse: int('offline-max-per-user'),
  },
  {
    flag: 'offline-ttl-ms <ms>',
    key: 'offlineTtlMs',
    desc: 'offline message lifetime',
    parse: int('offline-ttl-ms'),
  },
  {
    flag: 'media-ttl-ms <ms>',
    key: 'mediaTtlMs',
    desc: 'how long an uploaded image or file can be downloaded',
    parse: int('media-ttl-ms'),
  },
  {
    flag: 'media-max-bytes-per-app <bytes>',
    key: 'mediaMaxBytesPerApp',
    desc: 'media bytes held per app; over it uploads are refused (0 = no cap)',
    parse: int('media-max-bytes-per-app'),
  },
  {
    flag: 'send-key-ttl-ms <ms>',
    key: 'sendKeyTtlMs',
    desc: 'how long a send idempotency key is remembered',
    parse: int('send-key-ttl-ms'),
  },
  {
    flag: 'history-messages <n>',
    key: 'historyMessages',
    desc: 'channel history kept for resumed sessions',
    parse: int('history-messages'),
  },
  {
    flag: 'history-ms <ms>',
    key: 'historyMs',
    desc: 'age limit of channel history',
    parse: int('history-ms'),
  },
  {
    flag: 'history-query-ttl-ms <ms>',
    key: 'historyQueryTtlMs',
    desc: 'how long a history query handle of Agora’s REST API opens (HTTP 410 after)',
    parse: int('history-query-ttl-ms'),
  },
  {
    flag: 'history-ttl-ms <ms>',
    key: 'historyTtlMs',
    desc: 'message history (enableHistoricalMessaging): how long an entry is kept',
    parse: int('history-ttl-ms'),
  },
  {
    flag: 'history-max-bytes-per-app <bytes>',
    key: 'historyMaxBytesPerApp',
    desc: 'message history payload bytes kept per app; over it the oldest go (0 = no cap)',
    parse: int('history-max-bytes-per-app'),
  },
  {
    flag: 'sqlite-sync <normal|full>',
    key: 'sqliteSync',
    desc: 'SQLite durability: normal survives a process crash, full also a power loss',
    parse: choice('sqlite-sync', ['normal', 'full']),
  },
  {
    flag: 'empty-channel-attrs-ttl-ms <ms>',
    key: 'emptyChannelAttrsTtlMs',
    desc: 'drop attributes of a channel empty this long',
    parse: int('empty-channel-attrs-ttl-ms'),
  },
  {
    flag: 'max-requests-per-second <n>',
    key: 'maxRequestsPerSecond',
    desc: 'requests per socket per second (burst: one second’s worth); over it the socket is closed, 4009 (0 = no budget)',
    parse: int('max-requests-per-second'),
  },
  {
    flag: 'max-refused-requests <n>',
    key: 'maxRefusedRequests',
    desc: 'requests refused by a limit tolerated per socket in any 10 s; one more closes it, 4009 (0 = never)',
    parse: int('max-refused-requests'),
  },
  {
    flag: 'flood-cooldown-ms <ms>',
    key: 'floodCooldownMs',
    desc: 'after a socket is closed for flooding (4009), its address gets 429 for this long (0 = off)',
    parse: int('flood-cooldown-ms'),
  },
  {
    flag: 'offline-max-bytes-per-app <bytes>',
    key: 'offlineMaxBytesPerApp',
    desc: 'offline message bytes held per app; over it offline sends are refused (0 = no cap)',
    parse: int('offline-max-bytes-per-app'),
  },
  {
    flag: 'offline-max-per-sender-per-hour <n>',
    key: 'offlineMaxPerSenderPerHour',
    desc: 'offline messages one sender may have cached per hour (0 = no cap)',
    parse: int('offline-max-per-sender-per-hour'),
  },
  {
    flag: 'empty-channel-attrs-max-bytes-per-app <bytes>',
    key: 'emptyChannelAttrsMaxBytesPerApp',
    desc: 'channel attribute bytes held on channels without members, per app (0 = no cap)',
    parse: int('empty-channel-attrs-max-bytes-per-app'),
  },
  {
    flag: 'admin-password <secret>',
    key: 'adminPassword',
    desc: 'enables the web console at /console/ with this password (docs/console.md)',
  },
  {
    flag: 'webhook-url <url>',
    key: 'webhookUrl',
    desc: 'POST events to this URL, signed (with --webhook-secret), for apps without webhooks of their own',
  },
  { flag: 'webhook-secret <secret>', key: 'webhookSecret', desc: 'the key of the webhook signature' },
  {
    flag: 'webhook-events <list>',
    key: 'webhookEvents',
    desc: 'comma list of the events --webhook-url gets (default: all but message.peer, message.channel)',
  },
];

export const envName = (flag: string) => 'PARLEY_' + flag.split(' ')[0]!.replace(/-/g, '_').toUpperCase();
/** The commander option name of a flag (`session-grace-ms <ms>` → sessionGraceMs). */
export const camel = (flag: string) =>
  flag.split(' ')[0]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
