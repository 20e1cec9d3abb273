/**
 * A scriptable stand-in for a Parley server, for SDK edge cases a real server will not produce
 * on demand (a login that is never answered, a close code without SessionEnded, a re-login that
 * is refused, a server that refuses connections while the SDK backs off...).
 *
 * It is a real `ws` server on 127.0.0.1, port 0, speaking protocol frames. It records every
 * message it receives (`received`) and counts TCP connection attempts (`attempts`). By default
 * it answers Login and Resume like a real server would (Login ok, Resume refused → the SDK logs
 * in again) and answers Ping; every other request waits for the test.
 *
 * Adding a scenario: set `fake.onLogin` / `fake.onResume` / `fake.onRequest` to a function that
 * returns the reply `{ code, body }` (or `null` to stay silent), push events with `fake.event()`,
 * and cut links with `fake.dropAll(code)` (close frame) or `fake.killAll()` (no close frame).
 * `fake.refuse = true` destroys new connections at once (counted in `attempts`).
 *
 * @example
 * const fake = await FakeServer.start();
 * fake.onLogin = () => null;                    // never answer: the SDK's login times out
 * const c = AgoraRTM.createInstance(APP_ID, { serverUrl: fake.url, loginTimeoutMs: 300 });
 */
import type { AddressInfo, Socket } from 'node:net';
import { createServer, type Server } from 'node:http';
import {
  DEFAULT_LIMITS,
  Op,
  classify,
  decodeFrame,
  encodeEvent,
  encodeResponse,
  type Classified,
  type LoginResponse,
} from '@parley/protocol';
import { WebSocketServer, type WebSocket } from 'ws';

export type Reply = { code: number; body?: unknown } | null;
export type Received = Exclude<Classified, { kind: 'invalid' }> & { conn: number };

export class FakeServer {
  /** every decoded message received, in order, with the index of its connection */
  readonly received: Received[] = [];
  /** every frame received: its connection, size and how many messages it carried */
  readonly frames: { conn: number; bytes: number; messages: number }[] = [];
  /** TCP connections accepted (refused ones included) */
  attempts = 0;
  /** destroy new TCP connections at once */
  refuse = false;
  /** heartbeat interval told to the SDK in the login answer */
  heartbeatMs = 5000;
  /** answer to each Login request; `null` = never answer */
  onLogin: (body: unknown, conn: number) => Reply = () => ({ code: 0, body: this.loginBody() });
  /** answer to each Resume request; default: refused, so the SDK logs in again */
  onResume: (body: unknown, conn: number) => Reply = () => ({ code: 2, body: { message: 'not resumable' } });
  /** answer to any other request; default: none */
  onRequest: (op: number, body: unknown, conn: number) => Reply = () => null;
  /** answer Pings (false: the link looks dead to the SDK's heartbeat) */
  answerPings = true;

  private readonly sockets: WebSocket[] = [];
  private readonly tcp = new Set<Socket>();
  private sessions = 0;

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly port: number,
  ) {}

  static async start(): Promise<FakeServer> {
    const http = createServer((_req, res) => res.writeHead(404).end());
    const wss = new WebSocketServer({ server: http, path: '/rtm' });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const fake = new FakeServer(http, wss, (http.address() as AddressInfo).port);
    http.on('connection', (s: Socket) => {
      fake.attempts++;
      if (fake.refuse) {
        s.destroy();
        return;
      }
      fake.tcp.add(s);
      s.on('close', () => fake.tcp.delete(s));
    });
    wss.on('connection', (ws) => fake.accept(ws));
    return fake;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/rtm`;
  }

  /** the newest socket (index into connection order) */
  get current(): number {
    return this.sockets.length - 1;
  }

  /** A login answer body like a real server's. */
  loginBody(): LoginResponse {
    const n = ++this.sessions;
    return {
      sessionId: `s${n}`,
      resumeToken: `t${n}`,
      limits: DEFAULT_LIMITS,
      heartbeatMs: this.heartbeatMs,
      sessionGraceMs: 30_000,
      serverTs: Date.now(),
      tokenExpiresAt: null,
      nodeId: 'fake',
    };
  }

  /** Sends an event to connection `conn` (default: the newest). */
  event(op: number, body: unknown, conn = this.current): void {
    this.sockets[conn]?.send(encodeEvent(op, body));
  }

  /** Sends raw bytes (or a text frame) to connection `conn`. */
  raw(data: Uint8Array | string, conn = this.current): void {
    this.sockets[conn]?.send(data);
  }

  /** Answers request `reqId` on connection `conn`. */
  reply(reqId: number, code: number, body: unknown = null, conn = this.current): void {
    this.sockets[conn]?.send(encodeResponse(reqId, code, body));
  }

  /** Requests received with `op`, in order. */
  requests(op: number): Array<Extract<Received, { kind: 'request' }>> {
    return this.received.filter(
      (m): m is Extract<Received, { kind: 'request' }> => m.kind === 'request' && m.op === op,
    );
  }

  /** Closes every open socket with a close frame carrying `code`. */
  dropAll(code = 1001, reason = ''): void {
    for (const ws of this.sockets) if (ws.readyState === ws.OPEN) ws.close(code, reason);
  }

  /** Destroys every TCP connection without a close frame (the SDK sees 1006). */
  killAll(): void {
    for (const s of this.tcp) s.destroy();
  }

  async close(): Promise<void> {
    this.killAll();
    await new Promise<void>((r) => this.wss.close(() => r()));
    await new Promise<void>((r) => this.http.close(() => r()));
  }

  private accept(ws: WebSocket): void {
    const conn = this.sockets.push(ws) - 1;
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => {
      let values: unknown[];
      try {
        values = decodeFrame(new Uint8Array(data));
      } catch {
        return;
      }
      this.frames.push({ conn, bytes: data.byteLength, messages: values.length });
      for (const v of values) {
        const m = classify(v);
        if (m.kind === 'invalid') continue;
        this.received.push({ ...m, conn });
        if (m.kind === 'event') {
          if (m.op === Op.Ping && this.answerPings) ws.send(encodeEvent(Op.Ping, Date.now()));
          continue;
        }
        if (m.kind !== 'request') continue;
        const r =
          m.op === Op.Login
            ? this.onLogin(m.body, conn)
            : m.op === Op.Resume
              ? this.onResume(m.body, conn)
              : this.onRequest(m.op, m.body, conn);
        if (r) ws.send(encodeResponse(m.reqId, r.code, r.body ?? null));
      }
    });
  }
}
