import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { Apps, Channel, User } from './entities.js';
import { Events } from './events.js';
import { Overview } from './overview.js';
import { usePoll } from './poll.js';

/** The view named by the location hash: #/overview, #/apps, #/user/<app>/<uid>, #/channel/<app>/<id>, #/events. */
function route(hash: string) {
  const [view = 'overview', a = '', b = ''] = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (view === 'user') return html`<${User} appId=${a} uid=${b} />`;
  if (view === 'channel') return html`<${Channel} appId=${a} channelId=${b} />`;
  if (view === 'apps') return html`<${Apps} />`;
  if (view === 'events') return html`<${Events} />`;
  return html`<${Overview} />`;
}

function App() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  const [me] = usePoll(() => api<{ name: string; node: string }>('GET', 'me'), 0, []);
  const current = hash.replace(/^#\/?/, '').split('/')[0] || 'overview';
  const link = (view: string, label: string) =>
    html`<a href=${`#/${view}`} class=${current === view ? 'active' : ''} data-testid=${`nav-${view}`}>${label}</a>`;
  return html`<header>
      <h1>Parley</h1>
      <nav>${link('overview', 'Overview')} ${link('apps', 'Apps')} ${link('events', 'Events')}</nav>
      <form method="post" action="/console/logout" class="me">
        ${me ? html`<span data-testid="operator">${me.name} @ ${me.node}</span>` : null}
        <button type="submit">Log out</button>
      </form>
    </header>
    <main>${route(hash)}</main>`;
}

render(html`<${App} />`, document.getElementById('app')!);
