import { DEFAULT_LIMITS, type Rate } from '@parley/protocol';

/** "50 joins in 3 seconds", "1 call per second": a rate of protocol's tables, as error texts say it. */
export function rateText(rate: Rate, plural: string): string {
  const seconds = rate.windowMs / 1000;
  if (rate.count === 1 && seconds === 1) return `1 ${plural.replace(/s$/, '')} per second`;
  return `${rate.count} ${plural} in ${seconds} seconds`;
}

/** the default peer + channel send rate (the server's may differ; its login answer says so) */
export const SEND_RATE_TEXT = rateText(DEFAULT_LIMITS.sendRate, 'messages');
