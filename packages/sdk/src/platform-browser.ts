/** Browser: the native WebSocket. Same exports as platform.ts. */
export type { WebSocketCtor, WebSocketLike } from './platform.js';
import type { WebSocketCtor } from './platform.js';

/**
 * Runs `fn` once the current task and its microtasks are done: a MessageChannel message (a task
 * with no timer clamping; setTimeout(0) where there is no MessageChannel).
 */
export const afterTask: (fn: () => void) => void = (() => {
  const Channel = (globalThis as { MessageChannel?: typeof MessageChannel }).MessageChannel;
  if (!Channel) return (fn: () => void) => void setTimeout(fn, 0);
  const due: Array<() => void> = [];
  const channel = new Channel();
  channel.port1.onmessage = () => {
    for (const fn of due.splice(0)) fn();
  };
  return (fn: () => void) => {
    if (due.push(fn) === 1) channel.port2.postMessage(null);
  };
})();

export function defaultWebSocket(): WebSocketCtor {
  const ws = (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
  if (!ws) throw new Error('no WebSocket in this environment; pass config.WebSocket');
  return ws;
}

type Loc = { protocol: string; host: string };
/**
 * Where this code was loaded from, when it runs as a classic <script> (the global build): read
 * while the script is evaluated, the only time `document.currentScript` names it. A page that
 * loads the SDK from its Parley server (`<script src="https://parley.example/sdk/agora-rtm-sdk.js">`)
 * then needs no `serverUrl`. Null for ES modules and bundlers.
 */
const scriptOrigin: Loc | null = (() => {
  const src = (globalThis as { document?: { currentScript?: { src?: string } | null } }).document
    ?.currentScript?.src;
  if (!src) return null;
  try {
    const u = new URL(src);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : null;
  } catch {
    return null;
  }
})();

/** The server the SDK was loaded from, else the page's own origin, at `/rtm`. */
export function defaultServerUrl(): string {
  const loc = scriptOrigin ?? (globalThis as { location?: Loc }).location;
  if (loc?.host) return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/rtm`;
  return 'ws://127.0.0.1:8080/rtm';
}

export type { UploadRequest } from './platform.js';
import type { UploadRequest } from './platform.js';

/**
 * Browser: XMLHttpRequest, the one browser API that reports upload progress (fetch streams a
 * request body only over HTTP/2, and says nothing of what was sent).
 */
export function sendUpload(r: UploadRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', r.url);
    for (const [k, v] of Object.entries(r.headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => r.onSent(e.loaded);
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.responseText });
    xhr.onerror = () => reject(new Error('network error'));
    xhr.onabort = () => reject(new Error('aborted'));
    if (r.signal.aborted) return reject(new Error('aborted'));
    r.signal.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(r.body);
  });
}
