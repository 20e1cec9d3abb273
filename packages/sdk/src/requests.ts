import { encodeRequest } from '@parley/protocol';

/** Why a call failed before the server answered. */
export class CallFailure extends Error {
  constructor(readonly kind: 'timeout' | 'not_logged_in' | 'aborted') {
    super(kind);
  }
}
export interface CallResult {
  code: number;
  body: unknown;
}

interface Pending {
  op: number;
  /** its current request id (renumbered when re-sent after a re-login) */
  reqId: number;
  body: unknown;
  bytes: Uint8Array;
  resolve: (r: CallResult) => void;
  reject: (e: CallFailure) => void;
  timer: ReturnType<typeof setTimeout>;
  /** written on the current socket */
  sent: boolean;
}

/**
 * The core's requests waiting for their answers: numbered in increasing order (the session runs a
 * request id only once), each bounded by its own timeout, and kept across link losses so they go
 * out again on the session that comes back — the same bytes after a resume, renumbered after a
 * re-login (the body, and so a send's idempotency key, stays the same).
 */
export class RequestTable {
  private nextReqId = 1;
  private readonly pending = new Map<number, Pending>();

  /** `write` sends bytes on the current socket; false when there is none. */
  constructor(private readonly write: (bytes: Uint8Array) => boolean) {}

  /** A request id for a request outside the table (login, resume). */
  newId(): number {
    return this.nextReqId++;
  }

  /** Adds a request, written now when `writeNow`; resolves with the server's answer. */
  add(op: number, body: unknown, timeoutMs: number, writeNow: boolean): Promise<CallResult> {
    const reqId = this.nextReqId++;
    const bytes = encodeRequest(op, reqId, body);
    return new Promise<CallResult>((resolve, reject) => {
      const p: Pending = { op, reqId, body, bytes, resolve, reject, timer: undefined!, sent: false };
      p.timer = setTimeout(() => {
        this.pending.delete(p.reqId);
        reject(new CallFailure('timeout'));
      }, timeoutMs);
      this.pending.set(reqId, p);
      if (writeNow) this.send(p);
    });
  }

  /** The server answered `reqId` (ignored if it is not waiting). */
  answer(reqId: number, code: number, body: unknown): void {
    const p = this.pending.get(reqId);
    if (!p) return;
    this.pending.delete(reqId);
    clearTimeout(p.timer);
    p.resolve({ code, body });
  }

  /** The socket is gone: nothing is written on the next one yet. */
  linkLost(): void {
    for (const p of this.pending.values()) p.sent = false;
  }

  /** After a resume: re-sends what the server has not processed (what it has is answered in the replay). */
  resendAfterResume(lastReqId: number): void {
    for (const [reqId, p] of this.pending) {
      if (reqId > lastReqId) this.send(p);
      else p.sent = true;
    }
  }

  /** The requests not written on the current socket (taken before a re-login's restore). */
  unsent(): readonly Pending[] {
    return [...this.pending.values()].filter((p) => !p.sent);
  }

  /**
   * After a re-login: sends `unsent` (from {@link unsent}) under new numbers, after the requests
   * the restore just made.
   */
  resendAfterRelogin(unsent: readonly Pending[]): void {
    for (const p of unsent) {
      if (p.sent || this.pending.get(p.reqId) !== p) continue;
      this.pending.delete(p.reqId);
      p.reqId = this.nextReqId++;
      p.bytes = encodeRequest(p.op, p.reqId, p.body);
      this.pending.set(p.reqId, p);
      this.send(p);
    }
  }

  /** Fails every request with `failure`. */
  rejectAll(failure: CallFailure): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(failure);
    }
  }

  private send(p: Pending): void {
    if (this.write(p.bytes)) p.sent = true;
  }
}
