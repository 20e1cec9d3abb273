import type { WebSocket, RawData } from 'ws';
import {
  CloseCode,
  MAX_FRAME_BYTES,
  Op,
  ProtocolErrorCode,
  classify,
  concatFrames,
  decodeFrame,
  encodeEvent,
  type Classified,
} from '@parley/protocol';
import type { Metrics } from '../metrics.js';
import { SlidingWindow } from '../session/sliding-window.js';

/** What the connection hands decoded messages to (the session layer). */
export interface ConnectionSink {
  onMessage(conn: Connection, msg: Exclude<Classified, { kind: 'invalid' | 'response' }>): void;
  onClose(conn: Connection, code: number): void;
}

/** Protocol errors tolerated in any window of this length; one more closes the socket as abusive. */
export const ABUSE_LIMIT = 20;
export const ABUSE_WINDOW_MS = 10_000;

let nextConnId = 1;

/**
 * One WebSocket: decodes frames, reports malformed input, batches outgoing messages per tick
 * into one frame, and closes sockets that abuse the protocol or cannot keep up.
 */
export class Connection {
  readonly id = nextConnId++;
  /** the session this socket serves, once logged in (set by the session layer) */
  session: import('../session/session.js').Session | null = null;
  lastSeen = Date.now();
  readonly connectedAt = Date.now();
  closed = false;
  private queue: Uint8Array[] = [];
  private flushScheduled = false;
  /** created at the first protocol error: well-behaved sockets never pay for it */
  private abuse: SlidingWindow | null = null;
  /** a Login or Resume of this socket is being processed (a second one is refused meanwhile) */
  authPending = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly sink: ConnectionSink,
    private readonly metrics: Metrics,
    private readonly maxBufferBytes: number,
    readonly remoteAddress: string,
  ) {
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', (code) => this.onClosed(code));
    ws.on('error', () => {
      /* 'close' follows; nothing to add */
    });
  }

  /** Queues a message; all messages queued in one tick go out as one frame. */
  write(msg: Uint8Array): void {
    if (this.closed) return;
    this.queue.push(msg);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.closed || this.queue.length === 0) return;
    const frame = concatFrames(this.queue);
    this.queue = [];
    if (this.ws.bufferedAmount + frame.byteLength > this.maxBufferBytes) {
      this.close(CloseCode.SLOW_CONSUMER, 'slow consumer: send buffer overflow');
      return;
    }
    this.ws.send(frame, { binary: true });
  };

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
    if (this.closed) return;
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
    for (const v of values) {
      const m = classify(v);
      if (m.kind === 'invalid') this.protocolError(ProtocolErrorCode.BAD_SHAPE, m.reason);
      else if (m.kind === 'response')
        this.protocolError(ProtocolErrorCode.BAD_SHAPE, 'clients do not send responses');
      else this.sink.onMessage(this, m);
      if (this.closed) return;
    }
  }

  private onClosed(code: number): void {
    this.closed = true;
    this.queue = [];
    this.sink.onClose(this, code);
  }
}
