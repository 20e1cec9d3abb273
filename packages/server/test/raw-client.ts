import {
  Op,
  PROTOCOL_VERSION,
  classify,
  decodeFrame,
  encodeRequest,
  type LoginResponse,
} from '@parley/protocol';
import WebSocket from 'ws';

/**
 * A bare protocol client (no SDK): logs in with any body and sends requests, for tests of what
 * the SDKs cannot send (Signaling logins, malformed fields).
 */
export class RawClient {
  private nextReqId = 1;
  private readonly waiting = new Map<number, (r: { code: number; body: unknown }) => void>();
  /** server events received, in order */
  readonly events: Array<{ op: number; body: unknown }> = [];
  /** every response and event in arrival order: `res:<reqId>` / `ev:<op>` */
  readonly wire: string[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      for (const v of decodeFrame(new Uint8Array(data))) {
        const m = classify(v);
        if (m.kind === 'response') this.wire.push(`res:${m.reqId}`);
        else if (m.kind === 'event') this.wire.push(`ev:${m.op}`);
        if (m.kind === 'response') this.waiting.get(m.reqId)?.({ code: m.code, body: m.body });
        else if (m.kind === 'event') this.events.push({ op: m.op, body: m.body });
      }
    });
  }

  static async connect(url: string): Promise<RawClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new RawClient(ws);
  }

  /** Sends a request and resolves with the server's `{ code, body }`. */
  request<B = unknown>(op: number, body: unknown): Promise<{ code: number; body: B }> {
    const reqId = this.nextReqId++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no answer to op ${op}`)), 5000);
      this.waiting.set(reqId, (r) => {
        clearTimeout(t);
        this.waiting.delete(reqId);
        resolve(r as { code: number; body: B });
      });
      this.ws.send(encodeRequest(op, reqId, body));
    });
  }

  /** Sends a Login request; `fields` override the defaults (protocol version, kind omitted = rtm). */
  login(fields: { appId: string; uid: string; token?: string; kind?: string } & Record<string, unknown>) {
    return this.request<LoginResponse>(Op.Login, { v: PROTOCOL_VERSION, sdk: 'raw-test', ...fields });
  }

  close(): void {
    this.ws.close();
  }
}

/** Connects, logs in, closes; resolves with the login answer. */
export async function rawLogin(url: string, fields: Parameters<RawClient['login']>[0]) {
  const c = await RawClient.connect(url);
  try {
    return await c.login(fields);
  } finally {
    c.close();
  }
}
