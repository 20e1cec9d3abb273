import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { OfflineStore } from '../ports/offline-store.js';
import type { AckTracker } from './ack-tracker.js';
import type { Recipient } from './recipient.js';

/** What the receiving side uses: the offline inbox and how long its messages live. */
export interface ReceiverDeps {
  offline: OfflineStore;
  offlineTtlMs: number;
  metrics: Metrics;
  log: Logger;
}

/** A message handed to the receiver's session: resolves true once its SDK acked it. */
export interface HandOff {
  acked: Promise<boolean>;
  /** the id and ts the message went out with, when not the send's own (a retry's first send's) */
  id?: string;
  ts?: number;
}
const NOT_DELIVERED: HandOff = { acked: Promise.resolve(false) };

interface InboxState {
  /** ids of stored (offline-inbox) messages sent to this session and not yet removed */
  pending: Set<string>;
  /** set while the backlog is being fetched and sent; new deliveries wait behind it */
  draining: Promise<void> | null;
}

/**
 * The receiving side of peer messages on this node: writes messages into local sessions, sends
 * the offline backlog at login, and removes stored messages once the receiving SDK acked them.
 *
 * Order: while a session's backlog is being sent, every new message for it waits behind the
 * backlog, so the app sees stored messages first, then live ones, each in send order.
 */
export class PeerReceiver {
  private readonly inbox = new WeakMap<Recipient, InboxState>();

  constructor(
    private readonly deps: ReceiverDeps,
    private readonly acks: AckTracker,
  ) {}

  /** While `s`'s backlog is being sent: resolves once it went out (live messages wait for it). */
  backlog(s: Recipient): Promise<void> | null {
    return this.inbox.get(s)?.draining ?? null;
  }

  /**
   * Writes an encoded PeerMessage into `s`. `stored`: the message is also in the offline inbox
   * (sent with enableOfflineMessaging), so the receiver's ack removes it from there.
   */
  deliver(s: Recipient, id: string, event: Uint8Array, stored: boolean): HandOff | Promise<HandOff> {
    const st = this.inbox.get(s);
    if (st?.draining) return st.draining.then(() => this.deliver(s, id, event, stored));
    if (s.phase === 'ended') return NOT_DELIVERED;
    if (stored) {
      const state = st ?? this.stateOf(s);
      // Already sent as part of the backlog (it was committed just before the login fetched it):
      // its position in the stream is not known here.
      if (state.pending.has(id)) return { acked: this.acks.wait(id, s) };
      state.pending.add(id);
    }
    // Its position in the stream (written just below): the ack confirms the stream up to it.
    const acked = this.acks.wait(id, s, s.sent);
    s.send(event);
    this.deps.metrics.messagesOut.inc({ kind: 'peer' });
    return { acked };
  }

  /** Sends the session's stored messages, oldest first (at login). */
  drain(s: Recipient): Promise<void> {
    const st = this.stateOf(s);
    const run = (async () => {
      const { offline, offlineTtlMs } = this.deps;
      const msgs = await offline.fetch(s.appId, s.uid, Date.now() - offlineTtlMs);
      for (const m of msgs) {
        if (s.phase === 'ended') return;
        if (st.pending.has(m.id)) continue;
        st.pending.add(m.id);
        s.send(m.event);
      }
      if (msgs.length > 0) this.deps.metrics.messagesOut.inc({ kind: 'peer-offline' }, msgs.length);
    })()
      .catch((e) =>
        this.deps.log.error(
          { err: e, appId: s.appId, uid: s.uid },
          'offline backlog could not be read; it stays stored',
        ),
      )
      .finally(() => {
        if (st.draining !== run) return;
        st.draining = null;
        this.release(s, st);
      });
    st.draining = run;
    return run;
  }

  /** The receiver's SDK acked `id`: a stored copy of it is no longer needed. */
  acked(s: Recipient, id: string): void {
    const st = this.inbox.get(s);
    if (!st?.pending.has(id)) return;
    this.deps.offline.remove(s.appId, s.uid, [id]).then(
      () => {
        st.pending.delete(id);
        this.release(s, st);
      },
      (e) =>
        this.deps.log.error(
          { err: e },
          'acked offline message could not be removed; it may be delivered again',
        ),
    );
  }

  /** Drops a session's inbox state once nothing is pending, so idle sessions hold none. */
  private release(s: Recipient, st: InboxState): void {
    if (st.pending.size === 0 && st.draining === null && this.inbox.get(s) === st) this.inbox.delete(s);
  }

  private stateOf(s: Recipient): InboxState {
    let st = this.inbox.get(s);
    if (!st) this.inbox.set(s, (st = { pending: new Set(), draining: null }));
    return st;
  }
}
