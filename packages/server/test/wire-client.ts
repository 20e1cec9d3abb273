import {
  Op,
  PROTOCOL_VERSION,
  classify,
  decodeFrame,
  encodeEvent,
  encodeRequest,
  type Classified,
  type ProtocolErrorEvent,
} from '@parley/protocol';
import WebSocket from 'ws';

/**
 * A protocol-level WebSocket client for tests of malformed input: sends any bytes, records every
 * message and the close code, and lets a test wait for a given response or protocol error.
 * (raw-client.ts is the friendlier one for well-formed requests.)
 */
export class WireClient {
  /** every message received, decoded and classified, in order */
  readonly messages: Classified[] = [];
  /** resolves with the close code and reason */
  readonly closed: Promise<{ code: number; reason: string }>;
  private nextReqId = 1;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      for (const v of decodeFrame(new Uint8Array(data))) this.messages.push(classify(v));
      for (const l of this.listeners) l();
    });
    ws.on('error', () => undefined);
    this.closed = new Promise((r) =>
      ws.once('close', (code, reason) => r({ code, reason: reason.toString() })),
    );
  }

  static async open(url: string): Promise<WireClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new WireClient(ws);
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(data: Uint8Array | string): void {
    this.ws.send(data);
  }

  /** Sends a request with the next request id (or `reqId`); returns the id used. */
  request(op: number, body: unknown, reqId = this.nextReqId++): number {
    this.ws.send(encodeRequest(op, reqId, body));
    return reqId;
  }

  event(op: number, body: unknown): void {
    this.ws.send(encodeEvent(op, body));
  }

  /** Logs in as `uid`; resolves with the response code. */
  async login(appId: string, uid: string): Promise<number> {
    const id = this.request(Op.Login, { v: PROTOCOL_VERSION, appId, uid });
    return (await this.response(id)).code;
  }

  /** Waits for the response to `reqId`. */
  async response(reqId: number, ms = 5000): Promise<{ code: number; body: unknown }> {
    const m = await this.waitFor((x) => x.kind === 'response' && x.reqId === reqId, ms, `response ${reqId}`);
    return m as { code: number; body: unknown };
  }

  /** Protocol error events received so far. */
  protocolErrors(): ProtocolErrorEvent[] {
    return this.messages
      .filter(
        (m): m is Extract<Classified, { kind: 'event' }> => m.kind === 'event' && m.op === Op.ProtocolError,
      )
      .map((m) => m.body as ProtocolErrorEvent);
  }

  /** Waits for the n-th protocol error event (1-based; default: one more than now). */
  async protocolError(n = this.protocolErrors().length + 1, ms = 5000): Promise<ProtocolErrorEvent> {
    await this.until(() => this.protocolErrors().length >= n, ms, `protocol error #${n}`);
    return this.protocolErrors()[n - 1]!;
  }

  /** Waits for a message matching `pred` (among those already received too). */
  async waitFor(pred: (m: Classified) => boolean, ms = 5000, what = 'message'): Promise<Classified> {
    let found: Classified | undefined;
    await this.until(() => (found = this.messages.find(pred)) !== undefined, ms, what);
    return found!;
  }

  private until(cond: () => boolean, ms: number, what: string): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        if (!cond()) return;
        clearTimeout(t);
        this.listeners.delete(done);
        resolve();
      };
      const t = setTimeout(() => {
        this.listeners.delete(done);
        reject(new Error(`timed out waiting for ${what}`));
      }, ms);
      this.listeners.add(done);
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Reads one sample of a Prometheus text exposition (0 when absent). */
export async function metric(
  baseUrl: string,
  name: string,
  labels: Record<string, string | number> = {},
): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return sample(text, name, labels);
}

export function sample(text: string, name: string, labels: Record<string, string | number> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries(
      (m[3] ?? '')
        .split(',')
        .filter(Boolean)
        .map((kv) => {
          const [k, v] = kv.split('=');
          return [k, JSON.parse(v!)];
        }),
    );
    if (Object.entries(labels).every(([k, v]) => got[k] === String(v))) return Number(m[4]);
  }
  return 0;
}
