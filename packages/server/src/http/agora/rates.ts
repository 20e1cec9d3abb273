import { SlidingWindow } from '../../kernel/sliding-window.js';
import type { RestRateLimits } from '../rest-services.js';

export type RateKind = keyof RestRateLimits;

/** Windows remembered at most (development mode admits any App ID): past it, they start over. */
const MAX_WINDOWS = 10_000;

/** Agora's per-app rate limits, per node: at most N calls of a kind in any second. */
export class AppRates {
  private readonly windows = new Map<string, SlidingWindow>();

  constructor(private readonly ratesOf: (appId: string) => RestRateLimits | null) {}

  /** Whether one more call of `kind` is allowed for the app now (and counts it). */
  take(appId: string, kind: RateKind, now = Date.now()): boolean {
    const rates = this.ratesOf(appId);
    if (!rates) return true;
    const k = `${kind}\u0000${appId}`;
    let w = this.windows.get(k);
    if (!w || w.count !== rates[kind]) {
      if (this.windows.size >= MAX_WINDOWS) this.windows.clear();
      this.windows.set(k, (w = new SlidingWindow(rates[kind], 1000)));
    }
    return w.take(now);
  }
}
