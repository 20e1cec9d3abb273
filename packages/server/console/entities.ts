import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, type ConsoleApp, type ConsoleChannel, type ConsoleUser, enc } from './api.js';
import { usePoll } from './poll.js';

const go = (hash: string) => {
  location.hash = hash;
};

/** Apps with their sessions per node, and where to open a user or a channel. */
export function Apps() {
  const [data, error] = usePoll(() => api<{ apps: ConsoleApp[] }>('GET', 'apps'), 3000, []);
  const [appId, setAppId] = useState('');
  const [id, setId] = useState('');
  const pick = (appId || data?.apps[0]?.appId) ?? '';
  return html`<section data-testid="apps">
    <h2>Apps</h2>
    ${error ? html`<p class="error">${error}</p>` : null}
    <table><thead><tr><th>App ID</th><th>certificate</th><th>sessions</th><th>by node</th></tr></thead><tbody>
      ${(data?.apps ?? []).map(
        (
          a,
        ) => html`<tr data-testid="app-row"><td><code>${a.appId}</code></td><td>${a.certificate ? 'yes (tokens required)' : 'no'}</td>
          <td>${Object.values(a.sessions).reduce((x, y) => x + y, 0)}</td>
          <td>${Object.entries(a.sessions)
            .map(([n, c]) => `${n}: ${c}`)
            .join(', ')}</td></tr>`,
      )}
    </tbody></table>
    <form class="row" onSubmit=${(e: Event) => e.preventDefault()}>
      <input placeholder="App ID" value=${pick} onInput=${(e: Event) => setAppId((e.target as HTMLInputElement).value)} data-testid="open-app" />
      <input placeholder="user or channel id" value=${id} onInput=${(e: Event) => setId((e.target as HTMLInputElement).value)} data-testid="open-id" />
      <button type="button" data-testid="open-user" onClick=${() => go(`#/user/${enc(pick)}/${enc(id)}`)}>Open user</button>
      <button type="button" data-testid="open-channel" onClick=${() => go(`#/channel/${enc(pick)}/${enc(id)}`)}>Open channel</button>
    </form>
  </section>`;
}

/** A form that sends a text message as a named sender. */
function SendForm(props: { label: string; send: (from: string, text: string) => Promise<unknown> }) {
  const [from, setFrom] = useState('console');
  const [text, setText] = useState('');
  const [note, setNote] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await props.send(from, text);
      setNote('sent');
      setText('');
    } catch (err) {
      setNote((err as Error).message);
    }
  };
  return html`<form class="row" onSubmit=${submit} data-testid="send-form">
    <input placeholder="sender uid" value=${from} onInput=${(e: Event) => setFrom((e.target as HTMLInputElement).value)} />
    <input placeholder="text" value=${text} required onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)} data-testid="send-text" />
    <button type="submit">${props.label}</button> <span data-testid="send-note">${note}</span>
  </form>`;
}

/** A user: online state, node, channels, attributes, subscriptions; end the session; send to it. */
export function User(props: { appId: string; uid: string }) {
  const { appId, uid } = props;
  const path = `apps/${enc(appId)}/users/${enc(uid)}`;
  const [u, error, reload] = usePoll(() => api<ConsoleUser>('GET', path), 2000, [path]);
  const [note, setNote] = useState('');
  const end = async () => {
    if (!confirm(`End the session of ${uid}? Its client is told BANNED_BY_SERVER and stops.`)) return;
    try {
      await api('POST', `${path}/end-session`);
      setNote('session ended');
    } catch (e) {
      setNote((e as Error).message);
    }
    reload();
  };
  if (!u) return html`<p>${error ?? 'Loading…'}</p>`;
  return html`<section data-testid="user">
    <h2>User <code>${uid}</code></h2>
    <dl>
      <dt>state</dt><dd data-testid="user-state" class=${`state-${u.state}`}>${u.state}</dd>
      <dt>node</dt><dd data-testid="user-node">${u.node ?? '—'}</dd>
      <dt>subscriptions</dt><dd>${u.subscriptions}</dd>
      <dt>channels</dt><dd data-testid="user-channels">${
        u.channels.length === 0
          ? '—'
          : u.channels.map((c) => html`<a href=${`#/channel/${enc(appId)}/${enc(c)}`}>${c}</a> `)
      }</dd>
    </dl>
    <h3>Attributes</h3>
    <table><tbody>${Object.entries(u.attributes).map(([k, v]) => html`<tr><td>${k}</td><td>${v}</td></tr>`)}</tbody></table>
    <h3>Actions</h3>
    <p><button class="danger" data-testid="end-session" disabled=${u.state === 'OFFLINE'} onClick=${end}>End session</button>
      <span data-testid="action-note">${note}</span></p>
    <${SendForm} label="Send peer message" send=${(from: string, text: string) => api('POST', `apps/${enc(appId)}/peers/${enc(uid)}/messages`, { from, text })} />
  </section>`;
}

/** A channel: members, count, attributes (delete), recent history; send to it. */
export function Channel(props: { appId: string; channelId: string }) {
  const { appId, channelId } = props;
  const path = `apps/${enc(appId)}/channels/${enc(channelId)}`;
  const [c, error, reload] = usePoll(() => api<ConsoleChannel>('GET', path), 2000, [path]);
  const del = async (body: { keys: string[] } | { all: true }) => {
    await api('DELETE', `${path}/attributes`, body);
    reload();
  };
  if (!c) return html`<p>${error ?? 'Loading…'}</p>`;
  return html`<section data-testid="channel">
    <h2>Channel <code>${channelId}</code></h2>
    <p>Members: <b data-testid="channel-count">${c.count}</b></p>
    <ul data-testid="channel-members">${c.members.map(
      (m) => html`<li><a href=${`#/user/${enc(appId)}/${enc(m)}`}>${m}</a></li>`,
    )}</ul>
    <h3>Attributes</h3>
    <table data-testid="channel-attributes"><thead><tr><th>key</th><th>value</th><th>by</th><th>at</th><th></th></tr></thead><tbody>
      ${c.attributes.map(
        (
          a,
        ) => html`<tr><td>${a.key}</td><td>${a.value}</td><td>${a.lastUpdateUserId}</td><td>${new Date(a.lastUpdateTs).toLocaleString()}</td>
          <td><button class="danger" onClick=${() => del({ keys: [a.key] })}>Delete</button></td></tr>`,
      )}
    </tbody></table>
    ${c.attributes.length > 0 ? html`<p><button class="danger" data-testid="delete-all-attributes" onClick=${() => del({ all: true })}>Delete all attributes</button></p>` : null}
    <h3>Recent history</h3>
    <table data-testid="channel-history"><tbody>${c.history.map(
      (h) =>
        html`<tr><td>${new Date(h.ts).toLocaleTimeString()}</td><td>${h.from}</td><td>${h.text ?? `(${h.rawBytes} raw bytes)`}</td></tr>`,
    )}</tbody></table>
    <${SendForm} label="Send channel message" send=${(from: string, text: string) => api('POST', `${path}/messages`, { from, text })} />
  </section>`;
}
