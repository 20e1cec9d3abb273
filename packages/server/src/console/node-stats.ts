import type { Counter, Gauge } from 'prom-client';
import type { NodeStats } from '../http/console-services.js';
import type { Metrics } from '../metrics.js';

/** A counter's values summed by one label. */
async function byLabel(c: Counter<string>, label: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await c.get()).values) {
    const k = String(v.labels[label] ?? '');
    out[k] = (out[k] ?? 0) + v.value;
  }
  return out;
}

async function gauge(g: Gauge): Promise<number> {
  return (await g.get()).values[0]?.value ?? 0;
}

/** This node's counters, read from the registry /metrics serves (a read folds pending increments). */
export async function readNodeStats(nodeId: string, m: Metrics): Promise<NodeStats> {
  const [connections, sessions, logins, messagesIn, messagesOut, errors] = await Promise.all([
    gauge(m.connections),
    gauge(m.sessions),
    byLabel(m.logins, 'code'),
    byLabel(m.messagesIn, 'kind'),
    byLabel(m.messagesOut, 'kind'),
    byLabel(m.errors, 'code'),
  ]);
  return { nodeId, ts: Date.now(), connections, sessions, logins, messagesIn, messagesOut, errors };
}
