import { Op, encodeRequest } from '@parley/protocol';
import type { WebSocketCtor, WebSocketLike } from './platform.js';

/** What the server needs to end a detached session from a socket that is not logged in. */
export interface FarewellBody {
  appId: string;
  uid: string;
  sessionId: string;
  resumeToken: string;
}

/** Waits before each attempt, ms: a few tries over ~10 s, then the grace period ends it anyway. */
const ATTEMPT_DELAYS_MS = [0, 1000, 3000, 6000];
/** One attempt may take this long (socket open + answer), ms. */
const ATTEMPT_TIMEOUT_MS = 3000;

/**
 * After a logout while the link was down, tells the server — as soon as it can be reached — to
 * end the detached session now, so channel members and subscribers see the user leave at once
 * instead of at the end of the session grace period. Best effort and silent: a few attempts over
 * the server URLs, each a fresh socket carrying one `Logout` with the session's id and resume
 * token. Returns a cancel function (a new login stops it; `release()` does not).
 */
export function sendFarewell(
  WS: WebSocketCtor,
  urls: string[],
  first: number,
  body: FarewellBody,
): () => void {
  let attempt = 0;
  let ws: WebSocketLike | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let done = false;

  /** Stops the current attempt: its timer and its socket (silenced first). */
  const stopAttempt = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    const s = ws;
    ws = null;
    if (!s) return;
    s.onopen = s.onmessage = s.onclose = s.onerror = null;
    try {
      s.close(1000, 'farewell');
    } catch {
      /* not open yet, or already closed */
    }
  };
  const finish = () => {
    done = true;
    stopAttempt();
  };
  const later = (fn: () => void, ms: number) => {
    timer = setTimeout(fn, ms);
    // Node: a farewell must not keep a process that has nothing else to do alive.
    (timer as { unref?: () => void }).unref?.();
  };
  const next = () => {
    if (done) return;
    if (attempt >= ATTEMPT_DELAYS_MS.length) return finish();
    later(tryOnce, ATTEMPT_DELAYS_MS[attempt]!);
  };
  const failed = () => {
    if (done) return;
    stopAttempt();
    next();
  };
  function tryOnce() {
    if (done) return;
    const url = urls[(first + attempt) % urls.length]!;
    attempt++;
    try {
      ws = new WS(url);
    } catch {
      return next();
    }
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => ws?.send(encodeRequest(Op.Logout, 1, body));
    // The only thing the server sends on this socket is the answer: whatever it says, we are done
    // (0: ended; 102: nothing left to end).
    ws.onmessage = finish;
    ws.onclose = failed;
    ws.onerror = () => {
      /* onclose follows */
    };
    later(failed, ATTEMPT_TIMEOUT_MS);
  }

  next();
  return finish;
}
