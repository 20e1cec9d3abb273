/** Node: the `ws` package (Node 20 has no global WebSocket). The browser bundle swaps this file. */
import WebSocket from 'ws';

export type WebSocketCtor = new (url: string) => WebSocketLike;
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/**
 * Runs `fn` once the current task and its microtasks are done, before timers and I/O of the
 * next turn: Node's setImmediate (taken at load, so tests' fake timers do not hold it back).
 */
export const afterTask: (fn: () => void) => void = ((later) => (fn: () => void) => {
  later(fn);
})(setImmediate);

export function defaultWebSocket(): WebSocketCtor {
  return (globalThis as { WebSocket?: WebSocketCtor }).WebSocket ?? (WebSocket as unknown as WebSocketCtor);
}

/** Node: a local Parley on its default port (a page's origin, if something defines `location`). */
export function defaultServerUrl(): string {
  const loc = (globalThis as { location?: { protocol: string; host: string } }).location;
  if (loc?.host) return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/rtm`;
  return 'ws://127.0.0.1:8080/rtm';
}
