import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { setup } from '../helpers.js';

const DASHBOARD = fileURLToPath(new URL('../../../../docs/grafana/parley.json', import.meta.url));

/** Every PromQL expression of the dashboard: panel targets and template queries. */
function expressions(dash: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if ((k === 'expr' || k === 'query' || k === 'definition') && typeof x === 'string') out.push(x);
        else walk(x);
      }
  };
  walk(dash);
  return out.filter((e) => e.includes('parley_'));
}

/** The series /metrics exports: metric names (from # TYPE) and the label names seen on each. */
function exported(text: string): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\w+)/.exec(line);
    if (t) {
      const names = t[2] === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => t[1] + s) : [t[1]!];
      for (const n of names) m.set(n, new Set());
      continue;
    }
    const s = /^(\w+)\{([^}]*)\}/.exec(line);
    if (s) for (const pair of s[2]!.split(',')) m.get(s[1]!)?.add(pair.split('=')[0]!);
  }
  return m;
}

describe('docs/grafana/parley.json', () => {
  let env: Awaited<ReturnType<typeof setup>>;
  afterEach(() => env?.cleanup());

  it('queries only metrics (and labels) that /metrics of a running server exports', async () => {
    const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: unknown[]; title: string };
    expect(dash.title).toBe('Parley');
    env = await setup();
    // Some traffic, so that labelled series exist and their label names can be checked too.
    const a = await env.login('alice');
    await env.login('bob');
    await a.sendMessageToPeer({ text: 'hi' }, 'bob');
    await a.sendMessageToPeer({ text: 'nobody' }, 'carol').catch(() => undefined);
    await a.createChannel('room').join();
    const metrics = exported(await (await fetch(`${env.server.url}/metrics`)).text());

    const exprs = expressions(dash);
    expect(exprs.length).toBeGreaterThan(25);
    const unknown: string[] = [];
    const badLabels: string[] = [];
    for (const e of exprs) {
      const names = e.match(/\bparley_\w+/g) ?? [];
      for (const n of names) if (!metrics.has(n)) unknown.push(`${n} in ${e}`);
      // `by (a, b)` names labels of the metric aggregated (when it has series yet).
      for (const by of e.matchAll(/by \(([^)]*)\) \((?:rate|increase)\((parley_\w+)/g)) {
        const labels = metrics.get(by[2]!);
        if (!labels || labels.size === 0) continue;
        for (const l of by[1]!.split(',').map((x) => x.trim()))
          if (l !== 'le' && !labels.has(l)) badLabels.push(`${l} on ${by[2]}`);
      }
    }
    expect(unknown).toEqual([]);
    expect(badLabels).toEqual([]);
    // The headline series are all on the dashboard.
    const all = exprs.join('\n');
    for (const n of [
      'parley_connections',
      'parley_sessions',
      'parley_logins_total',
      'parley_messages_in_total',
      'parley_messages_out_total',
      'parley_errors_total',
    ])
      expect(all).toContain(n);
  });
});
