import type { Limits, ProtocolErrorCode } from '@parley/protocol';
import { Outbox } from './outbox.js';
import { RateLimits } from '../kernel/sliding-window.js';

/**
 * A client's socket as the session layer sees it (the transport's Connection is one). The
 * transport imports the session layer, never the other way round.
 */
export interface ClientLink {
  /** the session this socket serves, once logged in (set by the session layer) */
  session: Session | null;
  /** a Login or Resume of this socket is being processed (a second one is refused meanwhile) */
  authPending: boolean;
  readonly closed: boolean;
  /** Queues an encoded message; what is queued in one tick goes out as one frame. */
  write(msg: Uint8Array): void;
  /** Sends a protocol error event and counts it; repeated abuse closes the socket. */
  protocolError(code: ProtocolErrorCode, message: string, reqId?: number): void;
  /** A request was refused by a limit: `strikes` strikes against the socket. */
  limitRefused(strikes?: number): void;
  close(code: number, reason: string): void;
}

export type SessionPhase = 'active' | 'detached' | 'ended';

/**
 * A logged-in user on this node. It outlives its socket for the grace period: while detached,
 * what is sent to it waits in the outbox and is replayed when the client resumes.
 */
export class Session {
  phase: SessionPhase = 'active';
  conn: ClientLink | null;
  /** highest request id processed; re-sent requests at or below it are ignored */
  lastReqId = 0;
  /** requests being handled (the session layer bounds them) */
  inflight = 0;
  readonly outbox: Outbox;
  readonly rates: RateLimits;
  tokenExpiresAt: number | null;
  /** 'rtm' or 'signaling' client */
  readonly kind: 'rtm' | 'signaling';
  /** timers owned by the session layer (grace, token) */
  graceTimer: NodeJS.Timeout | null = null;
  tokenTimers: NodeJS.Timeout[] = [];
  private extMap: Map<string, unknown> | null = null;
  /**
   * true for a stand-in of a session that lived on another node which died (cluster mode; see
   * SessionManager.endForeign): no socket, empty `ext`, only ever seen by sessionEnd hooks.
   */
  foreign = false;

  constructor(
    readonly id: string,
    readonly appId: string,
    readonly uid: string,
    readonly resumeToken: string,
    readonly limits: Limits,
    conn: ClientLink | null,
    kind: 'rtm' | 'signaling',
    tokenExpiresAt: number | null,
    outboxItems: number,
  ) {
    this.conn = conn;
    this.kind = kind;
    this.tokenExpiresAt = tokenExpiresAt;
    this.outbox = new Outbox(outboxItems, 4 * 1024 * 1024);
    this.rates = limits.rateLimits ? new RateLimits(true, this) : RateLimits.OFF;
  }

  /** A request was refused by a limit: it counts against the socket (see Connection.limitRefused). */
  limitRefused(): void {
    this.conn?.limitRefused();
  }

  /** per-feature state, keyed by feature name; features cast to their own type */
  get ext(): Map<string, unknown> {
    // Created on first use: most sessions never need it, and idle sessions are what memory is for.
    this.extMap ??= new Map();
    return this.extMap;
  }

  /** Messages written into the session's stream so far. */
  get sent(): number {
    return this.outbox.sent;
  }

  /** The client processed the first `count` messages: the resume queue drops them. */
  confirmed(count: number): void {
    this.outbox.ack(count);
  }

  /** Sends an encoded message to the client (now, or on resume). */
  send(msg: Uint8Array): void {
    if (this.phase === 'ended') return;
    this.outbox.push(msg);
    this.conn?.write(msg);
  }

  get online(): boolean {
    return this.phase === 'active';
  }
}
