import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CloseCode } from '@parley/protocol';
import {
  customersOf,
  limitsFor,
  resolveConfig,
  resolveQuotas,
  restRatesFor,
  type ServerConfig,
} from './config.js';
import { secretEqual } from './kernel/secret-equal.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { ActivityFeed } from './kernel/activity-feed.js';
import type { Bus } from './ports/bus.js';
import type { NodeRegistry } from './ports/node-registry.js';
import type { Store } from './ports/store.js';
import { Authenticator } from './session/auth.js';
import { NodeMesh } from './cluster/node-mesh.js';
import { NodeCensus } from './cluster/node-census.js';
import { RouteCache } from './cluster/route-cache.js';
import { consoleServices } from './console/console-services.js';
import { MemberFanout } from './delivery/member-fanout.js';
import { HistoryWriteFailed, MessageHistory } from './delivery/message-history.js';
import { PeerDelivery } from './delivery/peer-delivery.js';
import { ChannelRooms } from './delivery/rooms.js';
import { UserDelivery } from './delivery/user-delivery.js';
import { SessionManager } from './session/session-manager.js';
import { Gateway } from './transport/gateway.js';
import { createHttpApp, type HttpRoute } from './http/app.js';
import type { ConsoleServices } from './http/console-services.js';
import { guardListener } from './http/http-guards.js';
import type { RestServices } from './http/rest-services.js';
import { autoMaxConnections, fdReserve, openFileLimit } from './transport/fd-limit.js';
import { FeatureRegistry } from './features/registry.js';
import type { FeatureContext } from './features/context.js';
import { FEATURES } from './features/index.js';
import { createAdapters, livenessAgent } from './adapters/index.js';
import { Webhooks } from './webhooks/index.js';
import { TicketTable } from './kernel/ticket-table.js';
import { mediaServices } from './media-services.js';

export interface ServerDeps {
  /** override the adapters (tests share one MemoryBus/Store between in-process nodes) */
  store?: Store;
  bus?: Bus;
  /** with `store` and `bus`: node liveness over this registry (the in-memory nodes of a test) */
  nodes?: NodeRegistry;
  logger?: Logger;
}

/** A running Parley node. */
export interface ParleyServer {
  readonly config: ServerConfig;
  /** http://host:port once listening */
  readonly url: string;
  /** ws://host:port/rtm */
  readonly wsUrl: string;
  readonly port: number;
  readonly metrics: Metrics;
  /** what happens on this node (logins, joins, messages, errors): webhooks, event reads, the console */
  readonly activity: ActivityFeed;
  readonly sessions: SessionManager;
  /** where users of other nodes are (cluster mode), cached */
  readonly routes: RouteCache;
  readonly log: Logger;
  /** every HTTP route registered (tests: the OpenAPI document and the console's cookie check cover them all) */
  readonly httpRoutes: readonly HttpRoute[];
  listen(): Promise<void>;
  /** Graceful shutdown: stop accepting, end sessions (going-away close), flush storage. */
  close(): Promise<void>;
  /**
   * Tests only: dies as a killed process would, on the adapters it shares with other in-process
   * nodes: heartbeats stop, sockets drop, no session ends here and nothing more is written.
   */
  crash(): Promise<void>;
}

/**
 * Builds a server from config. Nothing listens until `listen()`; nothing is global, so several
 * servers can run in one process.
 */
export async function createServer(
  partial: Partial<ServerConfig> = {},
  deps: ServerDeps = {},
): Promise<ParleyServer> {
  const config = resolveConfig(partial);
  const log = deps.logger ?? createLogger(config.logLevel, config.logFormat);
  const metrics = new Metrics();
  const activity = new ActivityFeed((err, type) => log.error({ err, type }, 'activity listener failed'));
  // Checked before anything is opened: a bad endpoint stops the start with a message naming it.
  const webhooks = Webhooks.start(config, activity, metrics, log.child({ layer: 'webhooks' }));
  const adapters =
    deps.store && deps.bus
      ? {
          store: deps.store,
          bus: deps.bus,
          cluster: deps.nodes ? livenessAgent(deps.nodes, deps.store.sessions, config, log) : null,
          owned: false,
        }
      : { ...(await createAdapters(config, log)), owned: true };
  adapters.cluster?.onBusReady((r) => metrics.busReady.set(r ? 1 : 0));

  const { store, bus } = adapters;
  const auth = new Authenticator(config.apps);
  const registry = new FeatureRegistry();
  const mesh = new NodeMesh(bus, config.nodeId, log.child({ layer: 'mesh' }));
  const routes = new RouteCache(store, mesh);
  adapters.cluster?.onResubscribed(() => {
    metrics.busResubscribes.inc();
    // Logins announced while this node was cut off from Redis were missed.
    routes.clear();
  });
  const sessions = new SessionManager(
    config,
    auth,
    store,
    mesh,
    routes,
    registry,
    metrics,
    log.child({ layer: 'session' }),
    activity,
  );
  // Delivery: built once here, shared by every feature and the REST API.
  const deliveryLog = log.child({ layer: 'delivery' });
  const users = new UserDelivery({
    sessions,
    routes,
    mesh,
    offline: store.offline,
    offlineTtlMs: config.offlineTtlMs,
    ackTimeoutMs: config.peerAckTimeoutMs,
    metrics,
    log: deliveryLog,
  });
  const quotas = resolveQuotas(config);
  const messageHistory = new MessageHistory({
    config,
    quotas,
    store: store.messageHistory,
    metrics,
    log: deliveryLog,
  });
  const peers = new PeerDelivery({
    config,
    quotas,
    offline: store.offline,
    metrics,
    log: deliveryLog,
    users,
    activity,
    history: messageHistory,
  });
  const rooms = new ChannelRooms({
    config,
    mesh,
    store,
    metrics,
    log: deliveryLog,
    activity,
    messageHistory,
  });
  const ctx: FeatureContext = {
    config,
    quotas,
    log: log.child({ layer: 'features' }),
    metrics,
    store,
    mesh,
    registry,
    users,
    peers,
    rooms,
    fanout: new MemberFanout(rooms),
    activity,
    mediaTickets: new TicketTable(MEDIA_TICKET_TTL_MS),
    services: {},
  };
  for (const f of FEATURES) f.register(ctx);

  let closing = false;
  const census = new NodeCensus(mesh, log.child({ layer: 'census' }));
  const admin = config.adminPassword
    ? consoleServices({ config, metrics, activity, sessions, store, rooms, census })
    : null;
  const { app: httpApp, routes: httpRoutes } = await createHttpApp({
    metrics,
    log: log.child({ layer: 'http' }),
    timeouts: {
      headersTimeoutMs: config.httpHeadersTimeoutMs,
      requestTimeoutMs: config.httpRequestTimeoutMs,
    },
    ready: () => ({
      ok: !closing && bus.ready,
      detail: { node: config.nodeId, sessions: sessions.count, bus: bus.ready ? 'up' : 'down' },
    }),
    rest: restServices(ctx, auth, admin, sessions),
  });
  const http = httpApp.server;
  const fdLimit = openFileLimit();
  const maxConnections = config.maxConnections || autoMaxConnections(fdLimit);
  if (fdLimit !== null && config.maxConnections > fdLimit - fdReserve(fdLimit))
    log.warn(
      { maxConnections, openFileLimit: fdLimit },
      'max-connections leaves less than the reserve of file descriptors: /healthz and storage may fail when it is reached; raise `ulimit -n`',
    );
  const gateway = new Gateway(http, sessions, metrics, {
    path: '/rtm',
    heartbeatMs: config.heartbeatMs,
    maxBufferBytes: config.maxSocketBufferBytes,
    loginTimeoutMs: config.loginTimeoutMs,
    maxConnections,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    floodCooldownMs: config.floodCooldownMs,
    connectionLimits: {
      maxRequestsPerSecond: config.maxRequestsPerSecond,
      maxRefusedRequests: config.maxRefusedRequests,
    },
  });
  let port = 0;

  const server: ParleyServer = {
    config,
    metrics,
    activity,
    sessions,
    routes,
    log,
    httpRoutes,
    get port() {
      return port;
    },
    get url() {
      return `http://${hostForUrl(config.host)}:${port}`;
    },
    get wsUrl() {
      return `ws://${hostForUrl(config.host)}:${port}/rtm`;
    },
    async listen() {
      await mesh.start();
      await routes.start();
      if (admin) await census.start();
      // Cluster mode: heartbeats, and ending the sessions of dead nodes through the session layer.
      await adapters.cluster?.start({
        endForeign: (appId, uid, sessionId) => sessions.endForeign(appId, uid, sessionId),
        detachForeign: (appId, uid, sessionId) => sessions.detachForeign(appId, uid, sessionId),
        evict: (_appId, _uid, sessionId) => sessions.evict(sessionId),
        *localSessions() {
          for (const s of sessions.all())
            yield { appId: s.appId, uid: s.uid, sessionId: s.id, online: s.online };
        },
      });
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.port, config.host, () => {
          http.off('error', reject);
          resolve();
        });
      });
      port = (http.address() as AddressInfo).port;
      guardListener(http, metrics, log.child({ layer: 'http' }));
      log.info(
        {
          maxConnections: maxConnections || 'none',
          maxConnectionsPerIp: config.maxConnectionsPerIp || 'none',
          openFileLimit: fdLimit,
        },
        'connection limits',
      );
      metrics.busReady.set(bus.ready ? 1 : 0);
      messageHistory.start();
      await registry.run('onReady');
    },
    async close() {
      if (closing) return;
      closing = true;
      await registry.run('preClose');
      await sessions.shutdown();
      await gateway.close(CloseCode.GOING_AWAY, 'server shutting down');
      await new Promise<void>((r) => http.close(() => r()));
      http.closeAllConnections?.();
      await httpApp.close();
      await registry.run('onClose');
      messageHistory.close();
      admin?.close();
      await census.close();
      // After the sessions ended: their user.offline and member_left are sent too.
      await webhooks?.close();
      users.close();
      await routes.close();
      await mesh.close();
      await adapters.cluster?.stop();
      if (adapters.owned) {
        await store.close();
        await bus.close();
      }
      metrics.close();
    },
    async crash() {
      if (closing) return;
      closing = true;
      adapters.cluster?.halt();
      webhooks?.halt();
      // Sessions first, so that the dropped sockets find none to detach.
      sessions.abandonAll();
      for (const c of gateway.connections) c.terminate();
      await gateway.close(CloseCode.GOING_AWAY, 'crashed');
      await new Promise<void>((r) => http.close(() => r()));
      http.closeAllConnections?.();
      await httpApp.close();
      // Gone from the bus: what the other nodes send this node now reaches nobody.
      admin?.close();
      await census.close();
      users.close();
      await mesh.close();
      await routes.close();
      // Only the features' timers and resources stop here (a dead process has none left).
      await registry.run('onClose');
      messageHistory.close();
      metrics.close();
    },
  };
  return server;
}

/** What the REST API may do, from the server's parts (http/ never imports features). */
/** How long a media transfer ticket may wait for its HTTP request, ms. */
const MEDIA_TICKET_TTL_MS = 60_000;

function restServices(
  ctx: FeatureContext,
  auth: Authenticator,
  admin: ConsoleServices | null,
  sessions: SessionManager,
): RestServices {
  const { rooms, peers, config } = ctx;
  const customers = customersOf(config);
  return {
    get devMode() {
      return auth.devMode;
    },
    app: (appId) => auth.app(appId),
    messageBytes: (appId) => limitsFor(ctx.config, auth.app(appId)).messageBytes,
    sendChannelMessage: (appId, channelId, from, msg, key, historical) =>
      rooms.sendMessage(appId, channelId, from, msg, from, undefined, key, historical).catch((e: unknown) => {
        if (e instanceof HistoryWriteFailed) return null;
        throw e;
      }),
    sendPeerMessage: (appId, from, to, msg, offline, key, historical) =>
      peers.send(null, appId, from, to, msg, offline, key, historical),
    channelMembers: (appId, channelId) => ctx.store.channels.members(appId, channelId),
    onlineState: async (appId, uid) => (await ctx.store.sessions.lookup(appId, uid))?.state ?? 'OFFLINE',
    hasCustomers: customers.length > 0,
    customerValid: (id, secret) => {
      // Every pair compared, whatever matched: the time does not tell which one did.
      let ok = false;
      for (const c of customers) {
        const idOk = secretEqual(id, c.id);
        const secretOk = secretEqual(secret, c.secret);
        ok = (idOk && secretOk) || ok;
      }
      return ok;
    },
    tokenValid: (appId, uid, token) => auth.login(appId, uid, token, 'rtm').code === 0,
    restRates: (appId) => restRatesFor(config, auth.app(appId)),
    handleKey: handleKey(config),
    handleTtlMs: config.historyQueryTtlMs,
    takeEvents: (appId, kind, count) => ctx.store.events.take(appId, kind, count),
    queryHistory: (appId, filter) => ctx.store.messageHistory.query(appId, unexpired(filter)),
    countHistory: (appId, filter) => ctx.store.messageHistory.count(appId, unexpired(filter)),
    console: admin,
    media: mediaServices(ctx, sessions),
  };
  /** The filter with entries past the ttl left out (the sweep may not have removed them yet). */
  function unexpired<F extends { startMs: number }>(f: F): F {
    return { ...f, startMs: Math.max(f.startMs, Date.now() - ctx.config.historyTtlMs) };
  }
}

/**
 * The key of history query handles: derived from the deployment's secrets (certificates and
 * customer secrets, the same config on every node), so a handle made on one node opens on another
 * and cannot be forged by a caller. Development mode has no secrets, and no auth to protect.
 */
function handleKey(config: ServerConfig): Buffer {
  const secrets = [
    ...config.apps.map((a) => a.appCertificate ?? ''),
    ...customersOf(config).map((c) => c.secret),
  ];
  return createHash('sha256').update('parley history handles\u0000').update(JSON.stringify(secrets)).digest();
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
