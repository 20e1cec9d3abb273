import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { api, type NodeStats } from './api.js';
import { usePoll } from './poll.js';
import { rates, totals } from './rates.js';

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

/** This node or the cluster: nodes alive, connections, sessions, rates, errors by code; polled every 2 s. */
export function Overview() {
  const [scope, setScope] = useState<'cluster' | 'node'>('cluster');
  const prev = useRef(new Map<string, NodeStats>());
  const [data, error] = usePoll(
    async () => {
      const r = await api<{ node: string; nodes: NodeStats[] }>('GET', `overview?scope=${scope}`);
      const rows = r.nodes.map((n) => ({ n, rate: rates(prev.current.get(n.nodeId), n) }));
      prev.current = new Map(r.nodes.map((n) => [n.nodeId, n]));
      return { node: r.node, rows };
    },
    2000,
    [scope],
  );
  if (!data) return html`<p>${error ?? 'Loading…'}</p>`;
  const all = data.rows.reduce(
    (t, { n, rate }) => ({
      connections: t.connections + n.connections,
      sessions: t.sessions + n.sessions,
      logins: t.logins + rate.logins,
      messagesIn: t.messagesIn + rate.messagesIn,
      messagesOut: t.messagesOut + rate.messagesOut,
      deliveries: t.deliveries + rate.deliveries,
    }),
    { connections: 0, sessions: 0, logins: 0, messagesIn: 0, messagesOut: 0, deliveries: 0 },
  );
  const errors = new Map<string, number>();
  for (const { n } of data.rows)
    for (const [code, v] of Object.entries(totals(n).errors)) errors.set(code, (errors.get(code) ?? 0) + v);
  return html`<section data-testid="overview">
    <h2>Overview</h2>
    <p>
      <label><input type="radio" name="scope" checked=${scope === 'cluster'} onChange=${() => setScope('cluster')} /> Cluster</label>
      <label><input type="radio" name="scope" checked=${scope === 'node'} onChange=${() => setScope('node')} /> This node (${data.node})</label>
      ${error ? html`<span class="error"> ${error}</span>` : null}
    </p>
    <div class="cards">
      <div class="card"><b data-testid="nodes-alive">${data.rows.length}</b>nodes alive</div>
      <div class="card"><b data-testid="connections">${all.connections}</b>connections</div>
      <div class="card"><b data-testid="sessions">${all.sessions}</b>sessions</div>
      <div class="card"><b>${fmt(all.logins)}</b>logins/s</div>
      <div class="card"><b>${fmt(all.messagesIn)}</b>messages in/s</div>
      <div class="card"><b>${fmt(all.messagesOut)}</b>messages out/s</div>
      <div class="card"><b>${fmt(all.deliveries)}</b>deliveries/s</div>
    </div>
    <h3>Nodes</h3>
    <table data-testid="node-table"><thead><tr><th>node</th><th>connections</th><th>sessions</th><th>logins/s</th><th>in/s</th><th>out/s</th><th>deliveries/s</th></tr></thead>
    <tbody>${data.rows.map(
      ({
        n,
        rate,
      }) => html`<tr><td>${n.nodeId}${n.nodeId === data.node ? ' (this)' : ''}</td><td>${n.connections}</td><td>${n.sessions}</td>
        <td>${fmt(rate.logins)}</td><td>${fmt(rate.messagesIn)}</td><td>${fmt(rate.messagesOut)}</td><td>${fmt(rate.deliveries)}</td></tr>`,
    )}</tbody></table>
    <h3>Errors by code (since start)</h3>
    ${
      errors.size === 0
        ? html`<p>None.</p>`
        : html`<table><thead><tr><th>code</th><th>count</th></tr></thead><tbody>
        ${[...errors].map(([code, v]) => html`<tr><td>${code}</td><td>${v}</td></tr>`)}</tbody></table>`
    }
  </section>`;
}
