import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CloseCode, MAX_FRAME_BYTES } from '@parley/protocol';
import type { Metrics } from '../metrics.js';
import type { WebSocket } from 'ws';
import { Connection, type ConnectionLimits, type ConnectionSink } from './connection.js';

export interface GatewayOptions {
  path: string;
  heartbeatMs: number;
  maxBufferBytes: number;
  /** a socket that has not logged in by then is closed */
  loginTimeoutMs: number;
  /** request budget and refusal strikes per socket (none when absent) */
  connectionLimits?: ConnectionLimits;
}

/**
 * Accepts WebSockets on `path`, wraps each in a Connection and drops silent sockets: a client
 * sends a Ping every heartbeatMs; three missed intervals and the socket is closed.
 */
export class Gateway implements ConnectionSink {
  private readonly wss: WebSocketServer;
  readonly connections = new Set<Connection>();
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(
    http: HttpServer,
    private readonly sink: ConnectionSink,
    private readonly metrics: Metrics,
    private readonly opts: GatewayOptions,
  ) {
    // ws enforces a hard ceiling; frames between MAX_FRAME_BYTES and it get a coded error first.
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_FRAME_BYTES * 4,
      perMessageDeflate: false,
    });
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if ((req.url ?? '').split('?')[0] !== opts.path) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      const tcp = req.socket;
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, tcp));
    });
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(250, Math.floor(opts.heartbeatMs / 2)));
    this.sweepTimer.unref();
  }

  /**
   * Wraps an upgraded socket. Kept out of the `upgrade` handler's scope on purpose: a connection
   * must not hold on to its upgrade request (headers, head buffer) for its whole life.
   */
  private accept(ws: WebSocket, tcp: Socket): void {
    const conn = new Connection(
      ws,
      this,
      this.metrics,
      this.opts.maxBufferBytes,
      tcp,
      this.opts.connectionLimits,
    );
    this.connections.add(conn);
    this.metrics.connections.inc();
  }

  onMessage(c: Connection, m: Parameters<ConnectionSink['onMessage']>[1]): void {
    this.sink.onMessage(c, m);
  }

  onClose(c: Connection, code: number): void {
    this.connections.delete(c);
    this.sink.onClose(c, code);
  }

  private sweep(): void {
    const now = Date.now();
    const silentLimit = this.opts.heartbeatMs * 3;
    for (const c of this.connections) {
      if (c.closed) continue;
      if (now - c.lastSeen > silentLimit) {
        this.metrics.closes.inc({ code: CloseCode.HEARTBEAT_TIMEOUT });
        c.terminate();
      } else if (!c.session && now - c.connectedAt > this.opts.loginTimeoutMs) {
        c.close(CloseCode.LOGIN_TIMEOUT, 'login not completed in time');
      }
    }
  }

  /** Closes every socket with `code` and stops accepting. */
  async close(code: number, reason: string): Promise<void> {
    clearInterval(this.sweepTimer);
    for (const c of this.connections) c.close(code, reason);
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}
