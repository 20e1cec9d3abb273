/** Browser: the native WebSocket. Same exports as platform.ts. */
export type { WebSocketCtor, WebSocketLike } from './platform.js';
import type { WebSocketCtor } from './platform.js';

export function defaultWebSocket(): WebSocketCtor {
  const ws = (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
  if (!ws) throw new Error('no WebSocket in this environment; pass config.WebSocket');
  return ws;
}
