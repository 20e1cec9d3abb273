import type { NodeStats } from './api.js';

const sum = (r: Record<string, number>, only?: (k: string) => boolean) =>
  Object.entries(r).reduce((n, [k, v]) => (only && !only(k) ? n : n + v), 0);

/** Peer and channel messages; deliveries also count presence events. */
const isMessage = (kind: string) => kind === 'peer' || kind === 'peer-offline' || kind === 'channel';

export interface Totals {
  logins: number;
  messagesIn: number;
  messagesOut: number;
  deliveries: number;
  errors: Record<string, number>;
}

export function totals(s: NodeStats): Totals {
  return {
    logins: s.logins['0'] ?? 0,
    messagesIn: sum(s.messagesIn),
    messagesOut: sum(s.messagesOut, isMessage),
    deliveries: sum(s.messagesOut),
    errors: s.errors,
  };
}

export interface Rates {
  logins: number;
  messagesIn: number;
  messagesOut: number;
  deliveries: number;
}

/** Per-second rates between two readings of one node (0 before there are two; a restart resets). */
export function rates(prev: NodeStats | undefined, cur: NodeStats): Rates {
  const zero = { logins: 0, messagesIn: 0, messagesOut: 0, deliveries: 0 };
  if (!prev || cur.ts <= prev.ts) return zero;
  const a = totals(prev);
  const b = totals(cur);
  const dt = (cur.ts - prev.ts) / 1000;
  const r = (x: number, y: number) => (y >= x ? (y - x) / dt : 0);
  return {
    logins: r(a.logins, b.logins),
    messagesIn: r(a.messagesIn, b.messagesIn),
    messagesOut: r(a.messagesOut, b.messagesOut),
    deliveries: r(a.deliveries, b.deliveries),
  };
}
