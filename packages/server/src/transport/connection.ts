import type { WebSocket, RawData } from 'ws';
import {
  CloseCode,
  MAX_FRAME_BYTES,
  Op,
  ProtocolErrorCode,
  classify,
  decodeFrame,
  encodeEvent,
  joinFrames,
} from '@parley/protocol';
import type { Metrics } from '../metrics.js';
import type { ClientLink, LinkSink } from '../session/link.js';
import type { Session } from '../session/session.js';
import type { FlushQueue } from './flush-queue.js';
import { SlidingWindow } from '../kernel/sliding-window.js';

/** What the connection hands decoded messages to (the session layer). */
export type ConnectionSink = LinkSink;

/** Protocol errors tolerated in any window of this length; one more closes the socket as abusive. */
export const ABUSE_LIMIT = 20;
export const ABUSE_WINDOW_MS = 10_000;

/** Per-socket limits against request floods (one object per server, shared by its sockets). */
export interface ConnectionLimits {
  /**
   * Requests (and pings: everything the server answers) a socket may send per second on average;
   * it may burst one second's worth. One more closes it (REQUEST_FLOOD). 0 = no budget. Lifted
   * for sessions of apps without rate limits (`--rate-limits off`).
   */
  maxRequestsPerSecond: number;
  /**
   * Requests refused by a limit (too often, too many ids, ...) tolerated in any ABUSE_WINDOW_MS;
   * one more closes the socket (REQUEST_FLOOD). They are strikes like protocol errors, with a
   * threshold of their own, so a client that only overshoots a limit now and then keeps going.
   */
  maxRefusedRequests: number;
}
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { maxRequestsPerSecond: 0, maxRefusedRequests: 0 };

/** The Connection of a socket, kept on the socket so its listeners can be shared functions. */
const CONN = Symbol('parley.connection');
type Socket = WebSocket & { [CONN]: Connection };

/** Pooled and not zero-filled: joinFrames writes every byte. */
const allocFrame = (n: number): Uint8Array => Buffer.allocUnsafe(n);

/**
 * One WebSocket: decodes frames, reports malformed input, batches outgoing messages per tick
 * into one frame, and closes sockets that abuse the protocol or cannot keep up.
 */
export class Connection implements ClientLink {
  /** the session this socket serves, once logged in (set by the session layer) */
  session: Session | null = null;
  lastSeen = Date.now();
  readonly connectedAt = this.lastSeen;
  closed = false;
  /** first message queued since the last flush (null: nothing queued) */
  private first: Uint8Array | null = null;
  /** the ones after it, if any: most flushes carry one message, which needs no array */
  private more: Uint8Array[] | null = null;
  /** created at the first protocol error: well-behaved sockets never pay for it */
  private abuse: SlidingWindow | null = null;
  /** created at the first request refused by a limit */
  private refusals: SlidingWindow | null = null;
  /** the request budget: tokens left (a full second's worth at first), refilled as time passes */
  private budget: number;
  private budgetAt: number;
  /** a Login or Resume of this socket is being processed (a second one is refused meanwhile) */
  authPending = false;
  /** flooding: nothing more is read from the socket, and it closes once the answers due went out */
  private condemned = false;
  /** the close code the server condemned this socket with (e.g. REQUEST_FLOOD), whatever the peer echoes */
  condemnedWith: number | null = null;

  constructor(
    private readonly ws: WebSocket,
    private readonly sink: ConnectionSink,
    private readonly metrics: Metrics,
    private readonly flushes: FlushQueue,
    private readonly maxBufferBytes: number,
    private readonly socket: { readonly remoteAddress?: string },
    private readonly limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
  ) {
    this.budget = limits.maxRequestsPerSecond;
    this.budgetAt = this.lastSeen;
    (ws as Socket)[CONN] = this;
    ws.on('message', Connection.onSocketMessage);
    ws.on('close', Connection.onSocketClose);
    ws.on('error', Connection.onSocketError);
  }

  /** The client's IP address ('' if unknown or the socket is gone); read on demand, not kept. */
  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  // One listener of each kind for all sockets (EventEmitter calls them with the socket as `this`):
  // a closure per socket and event would cost memory for every idle client.
  private static readonly onSocketMessage = function (this: WebSocket, data: RawData, isBinary: boolean) {
    (this as Socket)[CONN].onFrame(data, isBinary);
  };
  private static readonly onSocketClose = function (this: WebSocket, code: number) {
    (this as Socket)[CONN].onClosed(code);
  };
  private static readonly onSocketError = (): void => {
    /* 'close' follows; nothing to add */
  };

  /** Queues a message; all messages queued in one tick go out as one frame. */
  write(msg: Uint8Array): void {
    if (this.closed) return;
    if (this.first === null) {
      this.first = msg;
      this.flushes.add(this);
    } else if (this.more === null) this.more = [msg];
    else this.more.push(msg);
  }

  /** Sends what is queued now, as one frame (the flush queue calls it at the end of the turn). */
  flush(): void {
    const first = this.first;
    if (first === null || this.closed) return;
    const frame = this.more === null ? first : joinFrames(first, this.more, 0, allocFrame);
    this.first = null;
    this.more = null;
    if (this.ws.bufferedAmount + frame.byteLength > this.maxBufferBytes) {
      this.close(CloseCode.SLOW_CONSUMER, 'slow consumer: send buffer overflow');
      return;
    }
    this.ws.send(frame);
  }

  /** Sends a protocol error event and counts it; repeated abuse closes the socket. */
  protocolError(code: ProtocolErrorCode, message: string, reqId?: number): void {
    this.metrics.protocolErrors.inc({ code });
    if (this.closed) return;
    this.write(
      encodeEvent(Op.ProtocolError, reqId === undefined ? { code, message } : { code, message, reqId }),
    );
    this.abuse ??= new SlidingWindow(ABUSE_LIMIT, ABUSE_WINDOW_MS);
    if (!this.abuse.take()) this.close(CloseCode.PROTOCOL_ABUSE, 'too many protocol errors');
  }

  /**
   * A request of this socket was refused by a limit (rate, list length, quota): `strikes` strikes
   * (more for a request far over its limit). Too many in a window close the socket, so a flood of
   * refused requests ends quickly.
   */
  limitRefused(strikes = 1): void {
    this.metrics.strikes.inc({ kind: 'refused' }, strikes);
    const max = this.limits.maxRefusedRequests;
    if (this.closed || max <= 0) return;
    this.refusals ??= new SlidingWindow(max, ABUSE_WINDOW_MS);
    const now = Date.now();
    let ok = true;
    for (let i = 0; i < Math.min(strikes, max + 1) && ok; i++) ok = this.refusals.take(now);
    if (!ok)
      this.condemn(
        CloseCode.REQUEST_FLOOD,
        `request flood: over ${max} requests refused in ${ABUSE_WINDOW_MS / 1000} s`,
      );
  }

  /**
   * Stops handling what the socket sends (the rest of this frame too) and closes it after this
   * turn, so the answers of requests already handled (the refusals that condemned it) go out first.
   */
  private condemn(code: number, reason: string): void {
    if (this.condemned || this.closed) return;
    this.condemned = true;
    this.condemnedWith = code;
    setImmediate(() => this.close(code, reason));
  }

  /**
   * Takes one request from the socket's budget (a token bucket refilled at maxRequestsPerSecond);
   * false when it is empty. `now` is the frame's arrival time, read once per frame.
   */
  private spend(now: number): boolean {
    const rate = this.limits.maxRequestsPerSecond;
    if (rate <= 0 || this.session?.limits.rateLimits === false) return true;
    if (now > this.budgetAt) {
      this.budget = Math.min(rate, this.budget + ((now - this.budgetAt) * rate) / 1000);
      this.budgetAt = now;
    }
    if (this.budget < 1) return false;
    this.budget -= 1;
    return true;
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    // Deliver what is queued (e.g. a SessionEnded event) before the close frame.
    this.flush();
    if (this.closed) return; // the flush found a slow consumer and closed already
    this.closed = true;
    this.metrics.closes.inc({ code });
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
    }
    // A peer that never answers the close handshake must not hold the socket.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  terminate(): void {
    this.closed = true;
    this.ws.terminate();
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    this.lastSeen = Date.now();
    if (this.closed || this.condemned) return;
    if (!isBinary) {
      this.protocolError(
        ProtocolErrorCode.MALFORMED_FRAME,
        'text frames are not accepted; send binary MessagePack',
      );
      return;
    }
    const bytes = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(data);
    if (bytes.byteLength > MAX_FRAME_BYTES) {
      this.protocolError(
        ProtocolErrorCode.FRAME_TOO_LARGE,
        `frame of ${bytes.byteLength} bytes exceeds ${MAX_FRAME_BYTES}`,
      );
      return;
    }
    let values: unknown[];
    try {
      values = decodeFrame(bytes);
    } catch (e) {
      this.protocolError(ProtocolErrorCode.MALFORMED_FRAME, (e as Error).message);
      return;
    }
    const now = this.lastSeen;
    for (const v of values) {
      const m = classify(v);
      if (m.kind === 'invalid') this.protocolError(ProtocolErrorCode.BAD_SHAPE, m.reason);
      else if (m.kind === 'response')
        this.protocolError(ProtocolErrorCode.BAD_SHAPE, 'clients do not send responses');
      else if ((m.kind === 'request' || m.op === Op.Ping) && !this.spend(now)) {
        // The rest of the frame is not even looked at: a frame's work is bounded by the budget.
        this.metrics.strikes.inc({ kind: 'budget' });
        this.condemn(
          CloseCode.REQUEST_FLOOD,
          `request flood: over ${this.limits.maxRequestsPerSecond} requests per second`,
        );
      } else this.sink.onMessage(this, m);
      if (this.closed || this.condemned) return;
    }
  }

  private onClosed(code: number): void {
    this.closed = true;
    this.first = null;
    this.more = null;
    this.sink.onClose(this, code);
  }
}
