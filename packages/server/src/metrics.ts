import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type CounterConfiguration,
} from 'prom-client';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** true if `o` has exactly one own enumerable key, `key` (no allocation, unlike Object.keys). */
function onlyKey(o: object, key: string): boolean {
  let n = 0;
  for (const k in o) {
    if (k !== key || !Object.hasOwn(o, k)) return false;
    n++;
  }
  return n === 1;
}

/**
 * A counter with one label, incremented for every message. prom-client hashes and validates the
 * label object on each `inc` (also through a `labels()` child); here increments are summed per
 * label value in a plain Map and folded into the counter when it is read (a scrape), so the
 * exported values are the same.
 */
class HotCounter<T extends string> extends Counter<T> {
  private readonly pending = new Map<string, number>();
  private readonly label: T;
  private readonly fold: (labels: Partial<Record<T, string | number>>, value: number) => void;

  constructor(config: CounterConfiguration<T> & { labelNames: readonly [T] }) {
    super({
      ...config,
      collect(this: Counter<T>) {
        (this as HotCounter<T>).flushPending();
      },
    });
    this.label = config.labelNames[0];
    // prom-client installs `inc` per instance; keep it for folding, then take its place.
    this.fold = this.inc.bind(this) as (labels: Partial<Record<T, string | number>>, value: number) => void;
    this.inc = this.hotInc as Counter<T>['inc'];
  }

  private readonly hotInc = (labels?: unknown, value?: number): void => {
    const v =
      typeof labels === 'object' && labels !== null
        ? (labels as Record<string, unknown>)[this.label]
        : undefined;
    // Anything unusual (no label, other labels, a bad value) goes through prom-client as before.
    if (
      typeof v !== 'string' ||
      !onlyKey(labels as object, this.label) ||
      !(value === undefined || (value >= 0 && Number.isFinite(value)))
    ) {
      this.fold(labels as Partial<Record<T, string | number>>, value as number);
      return;
    }
    this.add(v, value ?? 1);
  };

  private add(labelValue: string, n: number): void {
    this.pending.set(labelValue, (this.pending.get(labelValue) ?? 0) + n);
  }

  override labels(...args: unknown[]): Counter.Internal {
    const v =
      args.length === 1 && typeof args[0] === 'object'
        ? (args[0] as Record<string, unknown>)[this.label]
        : args[0];
    if (args.length !== 1 || typeof v !== 'string') return super.labels(...(args as string[]));
    return {
      inc: (n = 1) =>
        n >= 0 && Number.isFinite(n)
          ? this.add(v, n)
          : this.fold({ [this.label]: v } as Partial<Record<T, string>>, n),
    };
  }

  override reset(): void {
    // prom-client's constructor calls reset() before this class's fields exist.
    (this.pending as Map<string, number> | undefined)?.clear();
    super.reset();
  }

  private flushPending(): void {
    for (const [v, n] of this.pending) this.fold({ [this.label]: v } as Partial<Record<T, string>>, n);
    this.pending.clear();
  }
}

/** Prometheus metrics of one server instance (own registry, so several servers fit in a process). */
export class Metrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({
    name: 'parley_connections',
    help: 'open WebSocket connections',
    registers: [this.registry],
  });
  readonly sessions = new Gauge({
    name: 'parley_sessions',
    help: 'live sessions on this node',
    registers: [this.registry],
  });
  readonly logins = new Counter({
    name: 'parley_logins_total',
    help: 'login attempts by result code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly messagesIn: Counter<'kind'> = new HotCounter({
    name: 'parley_messages_in_total',
    help: 'messages received from clients by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly messagesOut: Counter<'kind'> = new HotCounter({
    name: 'parley_messages_out_total',
    help: 'messages delivered to clients by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'parley_errors_total',
    help: 'error responses by op and code',
    labelNames: ['op', 'code'] as const,
    registers: [this.registry],
  });
  readonly protocolErrors = new Counter({
    name: 'parley_protocol_errors_total',
    help: 'malformed input by code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly closes = new Counter({
    name: 'parley_socket_closes_total',
    help: 'sockets closed by the server, by close code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly strikes = new Counter({
    name: 'parley_abuse_strikes_total',
    help: 'requests counted against their socket: refused by a limit (refused) or over its request budget (budget)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly offlineDropped = new Counter({
    name: 'parley_offline_dropped_total',
    help: 'offline messages dropped after their sender was told cached: receiver inbox full (inbox_full), lifetime over (expired)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly historyStored = new Counter({
    name: 'parley_history_stored_total',
    help: 'messages written to the message history (sent with enableHistoricalMessaging), by kind (peer, channel)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly historyDropped = new Counter({
    name: 'parley_history_dropped_total',
    help: 'message history entries dropped: the app over its byte cap (app_bytes, oldest first), older than the history ttl (expired)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly historyFailures = new Counter({
    name: 'parley_history_failures_total',
    help: 'history writes that failed (the send was refused), and history sweeps that failed, by op',
    labelNames: ['op'] as const,
    registers: [this.registry],
  });
  readonly quotaRefusals = new Counter({
    name: 'parley_quota_refusals_total',
    help: 'writes refused by a per-app or per-sender storage quota, by quota',
    labelNames: ['quota'] as const,
    registers: [this.registry],
  });
  readonly busReady = new Gauge({
    name: 'parley_bus_ready',
    help: '1 when the bus (Redis in cluster mode) is reachable',
    registers: [this.registry],
  });
  readonly busResubscribes = new Counter({
    name: 'parley_bus_resubscribes_total',
    help: 'times the bus re-subscribed after a reconnect',
    registers: [this.registry],
  });
  readonly connectionsRefused = new Counter({
    name: 'parley_connections_refused_total',
    help: 'WebSocket upgrades refused before the handshake, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly httpClientErrors = new Counter({
    name: 'parley_http_client_errors_total',
    help: 'HTTP connections cut for a client error (timeout, malformed or oversized request), by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly httpErrors = new Counter({
    name: 'parley_http_errors_total',
    help: 'HTTP requests answered 5xx by the server, by route family and error code',
    labelNames: ['route', 'code'] as const,
    registers: [this.registry],
  });
  readonly acceptErrors = new Counter({
    name: 'parley_accept_errors_total',
    help: 'TCP connections the listener could not accept (e.g. EMFILE: out of file descriptors), by errno code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly unhandledErrors = new Counter({
    name: 'parley_unhandled_errors_total',
    help: 'errors that reached the process-wide last resort (parley serve), by kind: rejection | exception',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly forgedAcks = new Counter({
    name: 'parley_forged_acks_total',
    help: 'PeerAcks ignored because they named a message delivered to another session',
    registers: [this.registry],
  });
  readonly sendRetries = new Counter({
    name: 'parley_send_retries_total',
    help: 'sends answered with the outcome of an earlier send with the same idempotency key, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly webhookRequests = new Counter({
    name: 'parley_webhook_requests_total',
    help: 'webhook requests by outcome: 2xx, 3xx, 4xx, 5xx, timeout, error (connection)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly webhookEventsSent = new Counter({
    name: 'parley_webhook_events_sent_total',
    help: 'webhook events delivered (in batches answered 2xx)',
    registers: [this.registry],
  });
  readonly webhookEventsDropped = new Counter({
    name: 'parley_webhook_events_dropped_total',
    help: 'webhook events not delivered, by reason: queue_full, rejected (not 2xx/5xx), failed (retries spent), shutdown',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly mediaBytes = new Counter({
    name: 'parley_media_bytes_total',
    help: 'media bytes transferred over HTTP on this node: uploaded (up) and downloaded (down)',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });
  readonly mediaStored = new Counter({
    name: 'parley_media_uploads_total',
    help: 'media files stored through this node',
    registers: [this.registry],
  });
  readonly mediaRefusals = new Counter({
    name: 'parley_media_refusals_total',
    help: 'media transfers refused, by error code (docs/media.md)',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly requestSeconds: Histogram;
  private readonly loop = monitorEventLoopDelay({ resolution: 20 });

  constructor() {
    this.loop.enable();
    const loop = this.loop;
    new Gauge({
      name: 'parley_event_loop_lag_seconds',
      help: 'event-loop delay p99 since the last scrape',
      registers: [this.registry],
      collect() {
        this.set(loop.percentile(99) / 1e9);
        loop.reset();
      },
    });
    this.requestSeconds = new Histogram({
      name: 'parley_request_seconds',
      help: 'request handling time',
      labelNames: ['op'] as const,
      registers: [this.registry],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'parley_process_' });
  }

  close(): void {
    this.loop.disable();
  }
}
