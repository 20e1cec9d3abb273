import { createHmac } from 'node:crypto';
import { type ClientRequest, Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { WebhookEndpoint, WebhookEventName } from '../config.js';
import type { ActivityEvent } from '../kernel/activity-feed.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { payloadOf } from './payloads.js';

/** The timings and bounds of webhook delivery (config: webhookBatchMs, ...; injectable for tests). */
export interface WebhookTimings {
  batchMs: number;
  batchMax: number;
  timeoutMs: number;
  retries: number;
  retryBaseMs: number;
  queueMax: number;
}

/** Queue-full drops are logged once, then summed and logged at most once per this interval. */
const DROP_LOG_MS = 10_000;

interface Queued {
  appId: string;
  name: WebhookEventName;
  e: ActivityEvent;
}

type Outcome = { ok: true } | { ok: false; retry: boolean; status: number | 'timeout' | 'error' };
export type DropReason = 'queue_full' | 'rejected' | 'failed' | 'shutdown';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (docs/webhooks.md). */
export function signature(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** The URL without query or credentials, for logs (a query may hold a token). */
const shown = (url: string) => {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
};

/**
 * One endpoint's queue: events wait (bounded) until a batch is due — `batchMs` after the first,
 * or at once when `batchMax` are waiting — and one batch at a time is POSTed, so the endpoint
 * sees them in the order they happened. A 5xx, timeout or connection error is retried with
 * exponential backoff and jitter, `retries` times; anything else that is not 2xx drops the batch.
 * `push` only queues: the sender of a message never waits for a webhook.
 */
export class EndpointSender {
  private readonly queue: Queued[] = [];
  private timer: NodeJS.Timeout | null = null;
  private timerIsNow = false;
  private sending = false;
  private closing = false;
  private halted = false;
  private inFlight: ClientRequest | null = null;
  private readonly target: URL;
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;
  /** ends the current backoff wait early (shutdown) */
  private wake: (() => void) | null = null;
  private idleWaiters: Array<() => void> = [];
  private dropLog: { count: number; timer: NodeJS.Timeout } | null = null;
  private readonly url: string;

  constructor(
    private readonly endpoint: WebhookEndpoint,
    private readonly t: WebhookTimings,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.url = shown(endpoint.url);
    this.target = new URL(endpoint.url);
    const https = this.target.protocol === 'https:';
    // One request at a time per endpoint: one connection, kept open between batches.
    this.agent = new (https ? HttpsAgent : HttpAgent)({ keepAlive: true, maxSockets: 1 });
    this.request = https ? httpsRequest : httpRequest;
  }

  push(appId: string, name: WebhookEventName, e: ActivityEvent): void {
    if (this.halted) return;
    if (this.queue.length >= this.t.queueMax) {
      this.dropped('queue_full', 1);
      return;
    }
    this.queue.push({ appId, name, e });
    this.schedule();
  }

  /** Sends what is queued without waiting for batch windows or backoff; resolves when nothing is left. */
  flush(): Promise<void> {
    this.closing = true;
    this.wake?.();
    this.schedule();
    if (!this.sending && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /**
   * Stops at once: the request in flight is aborted, what is queued is dropped (counted);
   * resolves when the aborted request has settled.
   */
  halt(): Promise<void> {
    this.closing = true;
    this.halted = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.wake?.();
    this.inFlight?.destroy();
    this.agent.destroy();
    if (this.queue.length) this.dropped('shutdown', this.queue.splice(0).length);
    if (this.dropLog) clearTimeout(this.dropLog.timer);
    if (!this.sending) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private schedule(): void {
    if (this.sending || this.halted || this.queue.length === 0) return;
    const now = this.closing || this.queue.length >= this.t.batchMax;
    if (this.timer && (this.timerIsNow || !now)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerIsNow = now;
    // Never in the emitter's stack: batches are built and sent on a later turn.
    this.timer = setTimeout(
      () => {
        this.timer = null;
        void this.sendNext();
      },
      now ? 0 : this.t.batchMs,
    );
  }

  private async sendNext(): Promise<void> {
    if (this.sending || this.queue.length === 0) return;
    this.sending = true;
    // One batch is one app's (the body names it): consecutive events of the first one's app.
    const appId = this.queue[0]!.appId;
    let n = 1;
    while (n < this.queue.length && n < this.t.batchMax && this.queue[n]!.appId === appId) n++;
    const batch = this.queue.splice(0, n);
    try {
      await this.deliver(appId, batch);
    } catch (err) {
      this.log.error({ err, url: this.url }, 'webhook batch failed');
      this.dropped('failed', batch.length);
    } finally {
      this.sending = false;
      this.schedule();
      this.settle();
    }
  }

  private async deliver(appId: string, batch: Queued[]): Promise<void> {
    const body = JSON.stringify({ appId, events: batch.map((q) => payloadOf(q.name, q.e)) });
    for (let attempt = 0; ; attempt++) {
      if (this.halted) {
        this.dropped('shutdown', batch.length);
        return;
      }
      const r = await this.post(body);
      if (r.ok) {
        this.metrics.webhookEventsSent.inc(batch.length);
        return;
      }
      const why = { url: this.url, status: r.status, events: batch.length, attempts: attempt + 1 };
      if (!r.retry) {
        this.log.warn(
          why,
          'webhook endpoint refused a batch: dropped (only 5xx, timeouts and connection errors are retried)',
        );
        this.dropped('rejected', batch.length);
        return;
      }
      if (attempt >= this.t.retries || this.closing) {
        this.log.warn(
          why,
          this.closing
            ? 'webhook batch not delivered before shutdown: dropped'
            : 'webhook batch failed after its retries: dropped',
        );
        this.dropped(this.closing ? 'shutdown' : 'failed', batch.length);
        return;
      }
      await this.pause(this.backoff(attempt + 1));
    }
  }

  /**
   * One POST. node:http with a keep-alive agent rather than fetch: half the CPU per
   * request (measured: docs/performance.md, "Webhooks"), which counts when message events are sent.
   */
  private post(body: string): Promise<Outcome> {
    return new Promise((resolve) => {
      let settled = false;
      let timedOut = false;
      const settle = (o: Outcome, status: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight = null;
        this.metrics.webhookRequests.inc({ status });
        resolve(o);
      };
      const req = this.request(
        this.target,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'Parley-Webhooks',
            'x-parley-signature': signature(this.endpoint.secret, body),
          },
        },
        (res) => {
          // The answer's body is not used; reading it to the end keeps the connection reusable.
          res.resume();
          const code = res.statusCode ?? 0;
          const family = Math.floor(code / 100);
          settle(
            family === 2 ? { ok: true } : { ok: false, retry: family === 5, status: code },
            `${family}xx`,
          );
        },
      );
      req.on('error', (err) => {
        const status = timedOut ? 'timeout' : 'error';
        if (!timedOut && !settled) this.log.debug({ err, url: this.url }, 'webhook request failed (retried)');
        settle({ ok: false, retry: true, status }, status);
      });
      // Closed before an answer without an 'error' (destroyed): the same outcome.
      req.on('close', () =>
        settle({ ok: false, retry: true, status: 'error' }, timedOut ? 'timeout' : 'error'),
      );
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy();
      }, this.t.timeoutMs);
      this.inFlight = req;
      req.end(body);
    });
  }

  /** Attempt n's wait: retryBaseMs · 2^(n-1), ±20 % jitter (5 retries from 2 s: about a minute). */
  private backoff(n: number): number {
    return this.t.retryBaseMs * 2 ** (n - 1) * (0.8 + 0.4 * Math.random());
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private dropped(reason: DropReason, n: number): void {
    this.metrics.webhookEventsDropped.inc({ reason }, n);
    if (reason !== 'queue_full' || this.halted) return;
    if (this.dropLog) {
      this.dropLog.count += n;
      return;
    }
    this.log.warn(
      { url: this.url, queueMax: this.t.queueMax },
      'webhook queue full: dropping events (parley_webhook_events_dropped_total{reason="queue_full"})',
    );
    this.startDropLog();
  }

  private startDropLog(): void {
    const timer = setTimeout(() => {
      const count = this.dropLog?.count ?? 0;
      this.dropLog = null;
      if (count === 0) return;
      this.log.warn(
        { url: this.url, dropped: count, intervalMs: DROP_LOG_MS },
        'webhook queue full: events dropped',
      );
      this.startDropLog();
    }, DROP_LOG_MS);
    timer.unref();
    this.dropLog = { count: 0, timer };
  }

  private settle(): void {
    if (this.sending || (this.queue.length > 0 && !this.halted)) return;
    for (const r of this.idleWaiters.splice(0)) r();
  }
}
