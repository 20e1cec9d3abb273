import { FlushQueue } from './flush-queue.js';
import { type Server as HttpServer, type IncomingMessage, STATUS_CODES } from 'node:http';
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
  /** a socket that has not logged in by then is closed (LOGIN_TIMEOUT); 0 = never */
  loginTimeoutMs: number;
  /** sockets open at once, handshakes included; 0 = no cap */
  maxConnections: number;
  /** sockets open at once from one remote address; 0 = no cap */
  maxConnectionsPerIp: number;
  /** after a flood close (4009), the address is refused this long; 0 = off */
  floodCooldownMs: number;
  /** request budget and refusal strikes per socket (none when absent) */
  connectionLimits?: ConnectionLimits;
}

/** Why an upgrade was refused: the `reason` label of parley_connections_refused_total and the body's code. */
export type RefusalReason =
  | 'not_found'
  | 'max_connections'
  | 'max_connections_per_ip'
  | 'bad_handshake'
  | 'flood_cooldown';

/** The remote address an upgraded socket was counted under, kept on the socket for its 'close'. */
const COUNTED_AS = Symbol('parley.countedAs');
type CountedSocket = Duplex & { [COUNTED_AS]?: string };

/**
 * On an upgrade the http server removes its own 'error' listener from the socket: without one, a
 * client resetting the connection while its refusal is being written would throw ECONNRESET as
 * an unhandled 'error' event and end the process. Kept until ws takes the socket over (ws has its
 * own from then on). One function for all sockets.
 */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/**
 * Accepts WebSockets on `path`, wraps each in a Connection and drops silent sockets: a client
 * sends a Ping every heartbeatMs; three missed intervals and the socket is closed. Caps the
 * sockets open at once, in total and per remote address, refusing the upgrade with an HTTP
 * status before any WebSocket state is created.
 */
export class Gateway implements ConnectionSink {
  private readonly wss: WebSocketServer;
  readonly connections = new Set<Connection>();
  /** this gateway's sockets with messages queued this turn: one flush for all of them */
  private readonly flushes = new FlushQueue();
  private readonly sweepTimer: NodeJS.Timeout;
  /** sockets counted against the caps: from the upgrade request until the socket closes */
  private open = 0;
  private readonly perIp = new Map<string, number>();
  /**
   * Addresses whose socket was closed for flooding → until when they are refused. A flooder that
   * reconnects at once would otherwise cost a handshake and a login per close; a refusal costs
   * neither. One entry per flooding address, swept when expired.
   */
  private readonly cooling = new Map<string, number>();
  /** one 'close' listener for all counted sockets */
  private readonly release: (this: CountedSocket) => void;

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
    // ws's own refusals (bad key, version, method): answered and counted here, like ours.
    this.wss.on('wsClientError', (err: Error, socket: Duplex) => {
      const extra: Record<string, string> = /Sec-WebSocket-Version/.test(err.message)
        ? { 'sec-websocket-version': '13, 8' }
        : {};
      this.refuse(socket, 400, 'bad_handshake', err.message, extra);
    });
    const gateway = this;
    this.release = function (this: CountedSocket) {
      gateway.uncount(this[COUNTED_AS]!);
    };
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.onUpgrade(req, socket, head),
    );
    // Often enough that a short login timeout (tests) is kept closely; never busier than 50 ms.
    const loginSweepMs = opts.loginTimeoutMs > 0 ? opts.loginTimeoutMs / 4 : Number.POSITIVE_INFINITY;
    const sweepMs = Math.max(50, Math.floor(Math.min(opts.heartbeatMs / 2, loginSweepMs)));
    this.sweepTimer = setInterval(() => this.sweep(), sweepMs);
    this.sweepTimer.unref();
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Reset before its request was parsed: nothing to answer, and its 'close' may be past (uncounted).
    if (socket.destroyed) return;
    socket.on('error', destroyOnError);
    const ip = (socket as Socket).remoteAddress ?? '';
    const fromIp = this.perIp.get(ip) ?? 0;
    const refusal = this.admit(req, ip, fromIp);
    if (refusal) {
      this.refuse(socket, ...refusal);
      return;
    }
    this.open++;
    this.perIp.set(ip, fromIp + 1);
    (socket as CountedSocket)[COUNTED_AS] = ip;
    // `on`, not `once`: 'close' comes once anyway, and `once` would allocate a wrapper per socket.
    socket.on('close', this.release);
    const tcp = req.socket;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('error', destroyOnError);
      this.accept(ws, tcp);
    });
  }

  /** Why an upgrade request is refused (status, reason, message, headers), or null to accept it. */
  private admit(
    req: IncomingMessage,
    ip: string,
    fromIp: number,
  ): [number, RefusalReason, string, Record<string, string>] | null {
    if ((req.url ?? '').split('?')[0] !== this.opts.path)
      return [404, 'not_found', `no WebSocket endpoint here; use ${this.opts.path}`, {}];
    const until = this.cooling.size > 0 ? this.cooling.get(ip) : undefined;
    if (until !== undefined) {
      const left = until - Date.now();
      if (left > 0)
        return [
          429,
          'flood_cooldown',
          'a connection from this address was closed for flooding; try again later',
          { 'retry-after': String(Math.ceil(left / 1000)) },
        ];
      this.cooling.delete(ip);
    }
    const { maxConnections, maxConnectionsPerIp } = this.opts;
    if (maxConnectionsPerIp > 0 && fromIp >= maxConnectionsPerIp)
      return [
        429,
        'max_connections_per_ip',
        `too many connections from this address (limit ${maxConnectionsPerIp})`,
        { 'retry-after': '5' },
      ];
    if (maxConnections > 0 && this.open >= maxConnections)
      return [
        503,
        'max_connections',
        `the server is at its connection limit (${maxConnections})`,
        { 'retry-after': '5' },
      ];
    return null;
  }

  private uncount(ip: string): void {
    this.open--;
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n > 0) this.perIp.set(ip, n);
    else this.perIp.delete(ip);
  }

  /**
   * Answers an upgrade request with an HTTP error and closes the socket: destroyed once the
   * answer is written, so a peer that never closes its side cannot keep it half-open.
   */
  private refuse(
    socket: Duplex,
    status: number,
    reason: RefusalReason,
    message: string,
    headers: Record<string, string> = {},
  ): void {
    this.metrics.connectionsRefused.inc({ reason });
    if (socket.listenerCount('error') === 0) socket.on('error', destroyOnError);
    if (!socket.writable) return void socket.destroy();
    const body = `${JSON.stringify({ error: { code: reason, message } })}\n`;
    const head = {
      connection: 'close',
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      ...headers,
    };
    const lines = Object.entries(head).map(([k, v]) => `${k}: ${v}\r\n`);
    socket.once('finish', () => socket.destroy());
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${lines.join('')}\r\n${body}`);
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
      this.flushes,
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
    if (c.condemnedWith === CloseCode.REQUEST_FLOOD && this.opts.floodCooldownMs > 0)
      this.cooling.set(c.remoteAddress, Date.now() + this.opts.floodCooldownMs);
    this.sink.onClose(c, code);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [ip, until] of this.cooling) if (until <= now) this.cooling.delete(ip);
    const silentLimit = this.opts.heartbeatMs * 3;
    const { loginTimeoutMs } = this.opts;
    for (const c of this.connections) {
      if (c.closed) continue;
      if (now - c.lastSeen > silentLimit) {
        this.metrics.closes.inc({ code: CloseCode.HEARTBEAT_TIMEOUT });
        c.terminate();
      } else if (!c.session && loginTimeoutMs > 0 && now - c.connectedAt > loginTimeoutMs) {
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
