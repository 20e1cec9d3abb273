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

/** A media upload (media.ts): `body` streamed, `onSent` told the bytes sent so far. */
export interface UploadRequest {
  url: string;
  headers: Record<string, string>;
  body: Blob;
  signal: AbortSignal;
  onSent(bytes: number): void;
}

/** Bytes read from the Blob at a time: the steps of upload progress (Node). */
const UPLOAD_CHUNK_BYTES = 64 * 1024;

/**
 * Node: fetch with a streamed body (no Content-Length: the size travels in a header), read from
 * the Blob a slice at a time as fetch pulls it, so progress comes in steps and only a slice is
 * in flight in this process beyond the Blob itself.
 */
export async function sendUpload(r: UploadRequest): Promise<{ status: number; body: string }> {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(out) {
        if (sent >= r.body.size) return out.close();
        const part = new Uint8Array(await r.body.slice(sent, sent + UPLOAD_CHUNK_BYTES).arrayBuffer());
        sent += part.byteLength;
        r.onSent(sent);
        out.enqueue(part);
      },
    },
    { highWaterMark: 0 },
  );
  const init = { method: 'POST', headers: r.headers, body, signal: r.signal, duplex: 'half' };
  const res = await fetch(r.url, init as RequestInit);
  return { status: res.status, body: await res.text() };
}
