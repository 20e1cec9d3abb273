import { DEFAULT_LIMITS, type Limits } from '@parley/protocol';

/** One app: its id, optional certificate (token required when set) and optional limit overrides. */
export interface AppConfig {
  appId: string;
  appCertificate?: string;
  limits?: Partial<Limits>;
}

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
  /** Redis URL for cluster mode; null = embedded */
  redisUrl: string | null;
  /** prefix of every Redis key and pub/sub channel (default 'parley'); one per deployment or test run */
  redisPrefix: string;
  /** cluster mode: how often a node heartbeats into Redis, ms (default 1000); dead after 3 missed */
  nodeHeartbeatMs: number;
  /** this node's id (default: random) */
  nodeId: string;
  logLevel: string;
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
  /** channel attributes of a channel empty this long are dropped, ms (default 300000) */
  emptyChannelAttrsTtlMs: number;
  /**
   * SQLite commit durability (embedded mode): 'normal' (default) survives a crash or kill -9 of
   * the process; 'full' also a power loss or OS crash, at one fsync per commit.
   */
  sqliteSync: 'normal' | 'full';
}

export const DEFAULT_CONFIG: ServerConfig = {
  port: 8080,
  host: '127.0.0.1',
  dataDir: './data',
  apps: [],
  redisUrl: null,
  redisPrefix: 'parley',
  nodeHeartbeatMs: 1000,
  nodeId: '',
  logLevel: 'info',
  sessionGraceMs: 30_000,
  invitationAckTimeoutMs: 30_000,
  invitationExpireMs: 60_000,
  heartbeatMs: 5_000,
  peerAckTimeoutMs: 5_000,
  rateLimits: true,
  resumeBufferMessages: 1024,
  maxSocketBufferBytes: 8 * 1024 * 1024,
  offlineMaxPerUser: 200,
  offlineTtlMs: 7 * 24 * 3600 * 1000,
  sendKeyTtlMs: 3600 * 1000,
  historyMessages: 32,
  historyMs: 30_000,
  emptyChannelAttrsTtlMs: 300_000,
  sqliteSync: 'normal',
};

export function resolveConfig(partial: Partial<ServerConfig>): ServerConfig {
  const c = { ...DEFAULT_CONFIG, ...partial };
  if (!c.nodeId) c.nodeId = Math.random().toString(36).slice(2, 10);
  return c;
}

/** The limits in force for an app: defaults, then the app's overrides, then --rate-limits. */
export function limitsFor(config: ServerConfig, app: AppConfig | undefined): Limits {
  const l: Limits = { ...DEFAULT_LIMITS, ...(app?.limits ?? {}) };
  if (!config.rateLimits) l.rateLimits = false;
  return l;
}
