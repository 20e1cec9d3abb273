import { MAX_FRAME_BYTES, concatFrames } from '@parley/protocol';
import { afterTask, type WebSocketCtor, type WebSocketLike } from './platform.js';

/** What the link tells the connection core. Called only for the current socket. */
export interface LinkEvents {
  /** the socket opened: send the login or the resume */
  opened(): void;
  /** a binary frame arrived (text frames are ignored: the server sends binary only) */
  frame(bytes: Uint8Array): void;
  /** the socket closed; the link has already forgotten it */
  closed(code: number): void;
  /** the attempt timed out or the heartbeat found the link silent: the core drops it */
  dead(): void;
  /** a heartbeat is due */
  ping(): void;
}

/**
 * One WebSocket at a time for the connection core, and the timers that judge it: the attempt
 * timeout (until the login/resume answer) and the heartbeat (three silent intervals: dead).
 * Every socket gets a generation number; callbacks of an older socket are ignored.
 */
export class SocketLink {
  private ws: WebSocketLike | null = null;
  /** the socket generation; callbacks of an old socket are ignored */
  private generation = 0;
  private lastFrameAt = 0;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  /** abandons a connection attempt that neither opens nor gets its login/resume answer */
  private attemptTimer: ReturnType<typeof setTimeout> | null = null;
  /**
   * What was sent in this turn, for the current socket: one frame at the end of the turn (a
   * frame may carry several MessagePack values; the server reads them in order). An ack and the
   * next send that an answer triggers then cost the server one frame, not two.
   */
  private queued: Uint8Array[] = [];

  constructor(
    private readonly WS: WebSocketCtor,
    private readonly events: LinkEvents,
  ) {}

  /** Changes whenever the socket is replaced or dropped (a frame's rest is void after that). */
  get gen(): number {
    return this.generation;
  }

  get hasSocket(): boolean {
    return this.ws !== null;
  }

  /** Opens a socket to `url`; the attempt is abandoned (`dead`) after `attemptMs`. */
  open(url: string, attemptMs: number): void {
    this.queued = [];
    const gen = ++this.generation;
    this.armAttemptTimer(gen, attemptMs);
    let ws: WebSocketLike;
    try {
      ws = new this.WS(url);
    } catch {
      this.onClose(gen, 1006);
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      if (gen !== this.generation) return;
      this.lastFrameAt = Date.now();
      this.events.opened();
    };
    ws.onmessage = (ev) => {
      if (gen !== this.generation) return;
      this.lastFrameAt = Date.now();
      const bytes = binary(ev.data);
      if (bytes) this.events.frame(bytes);
    };
    ws.onclose = (ev) => this.onClose(gen, ev.code);
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  /** Sends on the current socket (at the end of this turn, with the turn's others); false when there is none. */
  send(bytes: Uint8Array): boolean {
    if (!this.ws) return false;
    if (this.queued.push(bytes) === 1) afterTask(this.flush);
    return true;
  }

  /**
   * Writes what this turn queued, in order: as one frame, or as few as the server's frame limit
   * allows (a message over the limit alone goes as its own frame, and is refused as before).
   */
  private readonly flush = (): void => {
    const q = this.queued;
    if (q.length === 0) return;
    this.queued = [];
    const ws = this.ws;
    if (!ws) return;
    try {
      let from = 0;
      let bytes = 0;
      for (let i = 0; i < q.length; i++) {
        const n = q[i]!.byteLength;
        if (i > from && bytes + n > MAX_FRAME_BYTES) {
          ws.send(concatFrames(q.slice(from, i)));
          from = i;
          bytes = 0;
        }
        bytes += n;
      }
      ws.send(from === 0 ? concatFrames(q) : concatFrames(q.slice(from)));
    } catch {
      /* the socket is closing: onclose follows */
    }
  };

  /** The login/resume was answered: the attempt no longer needs its timeout. */
  clearAttemptTimer(): void {
    if (this.attemptTimer) clearTimeout(this.attemptTimer);
    this.attemptTimer = null;
  }

  startHeartbeat(everyMs: number): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      if (!this.ws) return;
      // Three silent intervals: the link is dead even if the OS has not noticed.
      if (Date.now() - this.lastFrameAt > everyMs * 3) {
        this.events.dead();
        return;
      }
      this.events.ping();
    }, everyMs);
  }

  stopTimers(): void {
    this.stopHeartbeat();
    this.clearAttemptTimer();
  }

  /** Closes the socket without reacting to its close event. */
  drop(): void {
    // What was sent before the drop still goes out, ahead of the close frame (as it did unbatched).
    this.flush();
    const ws = this.ws;
    this.ws = null;
    this.generation++;
    this.stopTimers();
    if (ws) {
      ws.onclose = ws.onmessage = ws.onopen = null;
      try {
        ws.close(1000);
      } catch {
        /* already closed */
      }
    }
  }

  private onClose(gen: number, code: number): void {
    if (gen !== this.generation) return;
    this.queued = [];
    this.ws = null;
    this.generation++;
    this.events.closed(code);
  }

  /**
   * A half-open TCP connection (or a server that accepts and never answers) would otherwise
   * hold an attempt forever: no heartbeat runs before the login/resume answer.
   */
  private armAttemptTimer(gen: number, ms: number): void {
    this.clearAttemptTimer();
    this.attemptTimer = setTimeout(() => {
      this.attemptTimer = null;
      if (gen !== this.generation) return;
      this.events.dead();
    }, ms);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}

function binary(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}
