import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { TAILED } from '../src/http/console-services.js';
import { api, type ConsoleEvent } from './api.js';
import { usePoll } from './poll.js';

const KEEP = 500;

/** What an event says beyond its type, in one line. */
function describe(e: ConsoleEvent): string {
  const { node: _n, seq: _s, type: _t, ts: _ts, appId: _a, ...rest } = e;
  return Object.entries(rest)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`)
    .join(' ');
}

/** The live tail: events of every node, polled every second, filtered by type and text. */
export function Events() {
  const after = useRef('');
  const list = useRef<ConsoleEvent[]>([]);
  const [shown, setShown] = useState(new Set<string>(TAILED));
  const [filter, setFilter] = useState('');
  const [, error] = usePoll(
    async () => {
      const r = await api<{ events: ConsoleEvent[]; after: string }>(
        'GET',
        `events?after=${encodeURIComponent(after.current)}`,
      );
      after.current = r.after;
      list.current = [...list.current, ...r.events].slice(-KEEP);
      return r.events.length;
    },
    1000,
    [],
  );
  const needle = filter.trim().toLowerCase();
  const rows = list.current
    .filter((e) => shown.has(e.type))
    .filter((e) => !needle || `${e.type} ${e.appId} ${describe(e)} ${e.node}`.toLowerCase().includes(needle))
    .reverse();
  const toggle = (t: string) => {
    const s = new Set(shown);
    if (s.has(t)) s.delete(t);
    else s.add(t);
    setShown(s);
  };
  return html`<section data-testid="events">
    <h2>Live events</h2>
    <p class="row">
      <input placeholder="filter: uid, channel, code…" value=${filter} onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)} data-testid="event-filter" />
      ${TAILED.map((t) => html`<label><input type="checkbox" checked=${shown.has(t)} onChange=${() => toggle(t)} /> ${t}</label>`)}
      ${error ? html`<span class="error">${error}</span>` : null}
    </p>
    <table data-testid="event-table"><thead><tr><th>time</th><th>node</th><th>event</th><th>app</th><th>details</th></tr></thead><tbody>
      ${rows.map(
        (e) => html`<tr data-testid="event-row" class=${`ev ev-${e.type.replace('.', '-')}`}>
          <td>${new Date(e.ts).toLocaleTimeString()}</td><td>${e.node}</td><td>${e.type}</td><td><code>${e.appId.slice(0, 8)}…</code></td><td>${describe(e)}</td></tr>`,
      )}
    </tbody></table>
  </section>`;
}
