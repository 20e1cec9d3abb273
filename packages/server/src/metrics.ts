import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Prometheus metrics of one server instance (own registry, so several servers fit in a process). */
export class Metrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({ name: 'parley_connections', help: 'open WebSocket connections', registers: [this.registry] });
  readonly sessions = new Gauge({ name: 'parley_sessions', help: 'live sessions on this node', registers: [this.registry] });
  readonly logins = new Counter({ name: 'parley_logins_total', help: 'login attempts by result code', labelNames: ['code'] as const, registers: [this.registry] });
  readonly messagesIn = new Counter({ name: 'parley_messages_in_total', help: 'messages received from clients by kind', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly messagesOut = new Counter({ name: 'parley_messages_out_total', help: 'messages delivered to clients by kind', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly errors = new Counter({ name: 'parley_errors_total', help: 'error responses by op and code', labelNames: ['op', 'code'] as const, registers: [this.registry] });
  readonly protocolErrors = new Counter({ name: 'parley_protocol_errors_total', help: 'malformed input by code', labelNames: ['code'] as const, registers: [this.registry] });
  readonly closes = new Counter({ name: 'parley_socket_closes_total', help: 'sockets closed by the server, by close code', labelNames: ['code'] as const, registers: [this.registry] });
  readonly busReady = new Gauge({ name: 'parley_bus_ready', help: '1 when the bus (Redis in cluster mode) is reachable', registers: [this.registry] });
  readonly busResubscribes = new Counter({ name: 'parley_bus_resubscribes_total', help: 'times the bus re-subscribed after a reconnect', registers: [this.registry] });
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
    this.requestSeconds = new Histogram({ name: 'parley_request_seconds', help: 'request handling time', labelNames: ['op'] as const, registers: [this.registry], buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1] });
    collectDefaultMetrics({ register: this.registry, prefix: 'parley_process_' });
  }

  close(): void {
    this.loop.disable();
  }
}
