import type { ServerConfig, WebhookEndpoint } from '../config.js';
import type { ActivityEvent, ActivityFeed } from '../kernel/activity-feed.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { EndpointSender, type WebhookTimings } from './endpoint-sender.js';
import { feedTypes, wants, webhookNames } from './payloads.js';
import { webhookEndpoints } from './webhook-config.js';

export { signature } from './endpoint-sender.js';

/**
 * Signed webhooks (docs/webhooks.md): an outbound adapter of the activity feed. It listens only
 * to the feed types some endpoint wants and queues each event for the endpoints of its app that
 * want it; every event is emitted once in the cluster, on the node where it happened, so each
 * node sends only its own.
 */
export class Webhooks {
  private readonly byApp: Map<string, WebhookEndpoint[]>;
  private readonly fallback: WebhookEndpoint[];
  private readonly senders = new Map<WebhookEndpoint, EndpointSender>();
  private readonly off: () => void;

  /** null when no endpoint is configured (nothing listens to the feed). Throws on a bad endpoint. */
  static start(config: ServerConfig, feed: ActivityFeed, metrics: Metrics, log: Logger): Webhooks | null {
    const { byApp, fallback } = webhookEndpoints(config);
    const all = [...[...byApp.values()].flat(), ...(fallback ? [fallback] : [])];
    return all.length === 0 ? null : new Webhooks(config, byApp, fallback, all, feed, metrics, log);
  }

  private constructor(
    private readonly config: ServerConfig,
    byApp: Map<string, WebhookEndpoint[]>,
    fallback: WebhookEndpoint | null,
    all: WebhookEndpoint[],
    feed: ActivityFeed,
    metrics: Metrics,
    log: Logger,
  ) {
    this.byApp = byApp;
    this.fallback = fallback ? [fallback] : [];
    const timings: WebhookTimings = {
      batchMs: config.webhookBatchMs,
      batchMax: Math.max(1, config.webhookBatchMax),
      timeoutMs: config.webhookTimeoutMs,
      retries: config.webhookRetries,
      retryBaseMs: config.webhookRetryBaseMs,
      queueMax: config.webhookQueueMax,
    };
    for (const e of all) this.senders.set(e, new EndpointSender(e, timings, metrics, log));
    this.off = feed.on(feedTypes(all), (e) => this.onEvent(e));
  }

  private onEvent(e: ActivityEvent): void {
    const endpoints = this.byApp.get(e.appId) ?? this.fallback;
    if (endpoints.length === 0) return;
    for (const name of webhookNames(e))
      for (const endpoint of endpoints)
        if (wants(endpoint, name, e)) this.senders.get(endpoint)!.push(e.appId, name, e);
  }

  /** Graceful shutdown: sends what is queued, for at most webhookShutdownMs; then drops the rest. */
  async close(): Promise<void> {
    this.off();
    const senders = [...this.senders.values()];
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(senders.map((s) => s.flush())),
      new Promise((r) => (timer = setTimeout(r, this.config.webhookShutdownMs))),
    ]);
    clearTimeout(timer);
    await Promise.all(senders.map((s) => s.halt()));
  }

  /** A crash (tests): stops at once, sends nothing more. */
  halt(): void {
    this.off();
    for (const s of this.senders.values()) void s.halt();
  }
}
