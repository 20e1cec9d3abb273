import type { FileTable } from './sdk-files.js';

/** The console's bundle (scripts/bundle-browser.mjs builds it from packages/server/console/). */
export const CONSOLE_FILES: FileTable = {
  'console.js': ['@parley/server', 'dist/console/console.js'],
  'console.js.map': ['@parley/server', 'dist/console/console.js.map'],
  'console.css': ['@parley/server', 'dist/console/console.css'],
};

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font:15px system-ui,sans-serif;background:#f4f5f7;color:#1d2330;display:grid;place-items:center;min-height:90vh}
form{background:#fff;padding:2rem 2.5rem;border-radius:8px;box-shadow:0 1px 4px #0002;display:grid;gap:.8rem;min-width:18rem}
h1{font-size:1.2rem;margin:0 0 .5rem}input{font:inherit;padding:.45rem;border:1px solid #bbc;border-radius:4px}
button{font:inherit;padding:.5rem;border:0;border-radius:4px;background:#2754c5;color:#fff;cursor:pointer}
.error{color:#b3261e;margin:0}`;

/** The login form: plain HTML, no script (a form POST to /console/login). */
export function loginPage(error: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Parley console — log in</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head><body>
<form method="post" action="/console/login" id="login"><h1>Parley console</h1>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<label>Your name <input name="name" autocomplete="username" required maxlength="64"></label>
<label>Admin password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button></form></body></html>`;
}

/** The app's shell (the bundle renders into #app). */
export function consolePage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Parley console</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="stylesheet" href="/console/assets/console.css"></head>
<body><div id="app"></div><script type="module" src="/console/assets/console.js"></script></body></html>`;
}
