import {
  Op,
  PeerSubscriptionStatusError as SubErr,
  QueryPeersBySubscriptionOptionError as OptErr,
  QueryPeersOnlineStatusError as QueryErr,
  isValidUserId,
  type Limits,
  type PeerOnlineState,
  type PeerSubscriptionOption,
  type PeersStatusEvent,
  type QueryPeersOnlineResponse,
  type SubscribePeersResponse,
} from '@parley/protocol';
import {
  RtmInvalidArgumentError as Arg,
  RtmInvokeTooOftenError as Often,
  RtmLimitExceededError as Limit,
  RtmTimeoutError as Timeout,
  RtmUnknownError as Unknown,
  errorFrom,
  type ErrorTable,
} from './errors.js';
import { invoke, type ClientInternals, type ClientModule } from './invoke.js';
import type { PeersOnlineStatusMap } from './types.js';
import { setOwn } from './user-attrs.js';

/** Error class and text per code (Agora's mapping). */
export const QUERY_PEERS_ONLINE_ERRORS: ErrorTable = {
  [QueryErr.FAILURE]: [Unknown, 'Query peers online status failure.'],
  [QueryErr.INVALID_ARGUMENT]: [Arg, 'Invalid peer IDs.'],
  [QueryErr.REJECTED]: [Unknown, 'Query peers online status rejected.'],
  [QueryErr.TIMEOUT]: [Timeout, 'Query peers online status timeout.'],
  [QueryErr.TOO_OFTEN]: [Often, 'Query peers online status too often.'],
};
export const PEER_SUBSCRIPTION_ERRORS: ErrorTable = {
  [SubErr.FAILURE]: [Unknown, 'Peer subscription failure.'],
  [SubErr.INVALID_ARGUMENT]: [Arg, 'Invalid peer IDs.'],
  [SubErr.REJECTED]: [Unknown, 'Peer subscription rejected.'],
  [SubErr.TIMEOUT]: [Timeout, 'Peer subscription timeout.'],
  [SubErr.TOO_OFTEN]: [Often, 'Peer subscription too often.'],
  [SubErr.OVERFLOW]: [Limit, 'The number of subscribed peers exceeds the limit.'],
};
export const QUERY_BY_OPTION_ERRORS: ErrorTable = {
  [OptErr.FAILURE]: [Arg, 'Invalid subscription option.'],
};
/** Agora's C++/Java docs: these calls time out after 10 s. */
const TIMEOUT_MS = 10_000;

/** The subscribe call on the wire, and what events said about its ids before it was answered. */
interface InFlight {
  ids: ReadonlySet<string>;
  seen: Map<string, PeerOnlineState>;
}

/**
 * Online status queries and subscriptions. The server pushes every change of a subscribed peer
 * (`PeersStatus`); the SDK keeps the subscribed set and the last state it reported per peer, so
 * `queryPeersBySubscriptionOption` answers locally, a state is reported once per change, and
 * after a re-login it subscribes again and reports only what changed meanwhile.
 *
 * `PeersOnlineStatusChanged` is emitted on a later task than the call that caused it, so a
 * listener added after `await subscribePeersOnlineStatus(...)` still gets the first report (as
 * with Agora's SDK, which queries the status after the subscribe succeeded).
 */
export class PresenceApi implements ClientModule {
  /** peers the server confirmed as subscribed */
  private readonly subscribed = new Set<string>();
  /** the state last reported to the app, per subscribed peer */
  private readonly known = new Map<string, PeerOnlineState>();
  /** ids of queued or running subscribe calls, counted against the cap (as Agora's SDK does) */
  private readonly pending = new Map<string, number>();
  private inflight: InFlight | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** bumped by onReset, so answers that arrive after a logout change nothing */
  private epoch = 0;
  /** states to emit on the next task */
  private outbox: PeersOnlineStatusMap | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly c: ClientInternals) {}

  onEvent(op: number, body: unknown): boolean {
    if (op !== Op.PeersStatus) return false;
    const ev = body as PeersStatusEvent | null;
    if (!ev || !Array.isArray(ev.ids) || !Array.isArray(ev.states)) return true;
    for (let i = 0; i < ev.ids.length; i++) {
      const id = ev.ids[i]!;
      const state = ev.states[i];
      if (typeof id !== 'string' || typeof state !== 'string') continue;
      if (this.inflight?.ids.has(id)) this.inflight.seen.set(id, state);
      if (this.subscribed.has(id)) this.report(id, state, false);
    }
    return true;
  }

  onRelogged(): void {
    if (this.subscribed.size === 0) return;
    // The new session has no subscriptions: subscribe again; the answer says what changed.
    const ids = [...this.subscribed];
    const epoch = this.epoch;
    this.queue = this.queue
      .then(() => (epoch === this.epoch ? this.subscribe(ids, epoch, false) : undefined))
      .catch(() => undefined);
  }

  onReset(): void {
    this.epoch++;
    this.subscribed.clear();
    this.known.clear();
    this.pending.clear();
    this.inflight = null;
    this.outbox = null;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  async queryPeersOnlineStatus(peerIds: string[]): Promise<{ [peerId: string]: boolean }> {
    const { core } = this.c;
    if (core.state !== 'CONNECTED' || !core.limits) throw errorFrom(QUERY_PEERS_ONLINE_ERRORS, 102);
    if (!validIds(peerIds, core.limits.maxPeersPerQuery))
      throw errorFrom(QUERY_PEERS_ONLINE_ERRORS, QueryErr.INVALID_ARGUMENT);
    const ids = [...peerIds];
    const r = await invoke<QueryPeersOnlineResponse>(
      core,
      Op.QueryPeersOnline,
      { ids },
      QUERY_PEERS_ONLINE_ERRORS,
      TIMEOUT_MS,
      QueryErr.TIMEOUT,
    );
    const out: { [peerId: string]: boolean } = {};
    // A session in its grace period (UNREACHABLE) is still logged in: it counts as online.
    for (let i = 0; i < ids.length; i++) setOwn(out, ids[i]!, (r.states[i] ?? 'OFFLINE') !== 'OFFLINE');
    return out;
  }

  async subscribePeersOnlineStatus(peerIds: string[]): Promise<void> {
    const lim = this.limits(PEER_SUBSCRIPTION_ERRORS);
    if (!validIds(peerIds, Number.MAX_SAFE_INTEGER))
      throw errorFrom(PEER_SUBSCRIPTION_ERRORS, SubErr.INVALID_ARGUMENT);
    const ids = [...new Set(peerIds)];
    // Agora: subscribed + pending + new must stay within the cap.
    let total = this.subscribed.size;
    for (const id of this.pending.keys()) if (!this.subscribed.has(id)) total++;
    for (const id of ids) if (!this.subscribed.has(id) && !this.pending.has(id)) total++;
    if (total > lim.maxSubscribedPeers) throw errorFrom(PEER_SUBSCRIPTION_ERRORS, SubErr.OVERFLOW);
    for (const id of ids) this.pending.set(id, (this.pending.get(id) ?? 0) + 1);
    const epoch = this.epoch;
    const run = this.queue.then(() => this.subscribe(ids, epoch, true));
    this.queue = run.catch(() => undefined);
    try {
      await run;
    } finally {
      if (epoch === this.epoch)
        for (const id of ids) {
          const n = (this.pending.get(id) ?? 1) - 1;
          if (n > 0) this.pending.set(id, n);
          else this.pending.delete(id);
        }
    }
  }

  async unsubscribePeersOnlineStatus(peerIds: string[]): Promise<void> {
    const lim = this.limits(PEER_SUBSCRIPTION_ERRORS);
    if (!validIds(peerIds, Number.MAX_SAFE_INTEGER))
      throw errorFrom(PEER_SUBSCRIPTION_ERRORS, SubErr.INVALID_ARGUMENT);
    if (peerIds.length > lim.maxSubscribedPeers) throw errorFrom(PEER_SUBSCRIPTION_ERRORS, SubErr.OVERFLOW);
    const ids = [...new Set(peerIds)];
    const epoch = this.epoch;
    const run = this.queue.then(async () => {
      if (epoch !== this.epoch) throw errorFrom(PEER_SUBSCRIPTION_ERRORS, 102);
      await invoke(
        this.c.core,
        Op.UnsubscribePeers,
        { ids },
        PEER_SUBSCRIPTION_ERRORS,
        TIMEOUT_MS,
        SubErr.TIMEOUT,
      );
      if (epoch !== this.epoch) return;
      for (const id of ids) {
        this.subscribed.delete(id);
        this.known.delete(id);
        if (this.outbox && Object.hasOwn(this.outbox, id)) delete this.outbox[id];
      }
    });
    this.queue = run.catch(() => undefined);
    await run;
  }

  async queryPeersBySubscriptionOption(option: PeerSubscriptionOption): Promise<string[]> {
    this.limits(QUERY_BY_OPTION_ERRORS);
    if (option !== 'ONLINE_STATUS') throw errorFrom(QUERY_BY_OPTION_ERRORS, OptErr.FAILURE);
    return [...this.subscribed];
  }

  // ---- internals ----

  private limits(table: ErrorTable): Limits {
    const { core } = this.c;
    if (!core.loggedIn || !core.limits) throw errorFrom(table, 102);
    return core.limits;
  }

  /**
   * Sends one subscribe call. `fresh` (an app call): report the state of every id, as Agora does
   * after a subscribe. Otherwise (restore after a re-login): report only states that changed.
   */
  private async subscribe(ids: string[], epoch: number, fresh: boolean): Promise<void> {
    if (epoch !== this.epoch) throw errorFrom(PEER_SUBSCRIPTION_ERRORS, 102);
    const flight: InFlight = { ids: new Set(ids), seen: new Map() };
    this.inflight = flight;
    try {
      const r = await invoke<SubscribePeersResponse>(
        this.c.core,
        Op.SubscribePeers,
        { ids },
        PEER_SUBSCRIPTION_ERRORS,
        TIMEOUT_MS,
        SubErr.TIMEOUT,
      );
      if (epoch !== this.epoch) return;
      ids.forEach((id, i) => {
        this.subscribed.add(id);
        // An event that came while the call was on the wire is at least as new as the answer.
        const seen = flight.seen.get(id);
        if (seen !== undefined && !fresh) return;
        this.report(id, seen ?? r.states[i] ?? 'OFFLINE', fresh);
      });
    } finally {
      if (this.inflight === flight) this.inflight = null;
    }
  }

  /** Queues a state for the app: once per change, unless `always`. */
  private report(id: string, state: PeerOnlineState, always: boolean): void {
    if (!always && this.known.get(id) === state) return;
    this.known.set(id, state);
    // Two states of one peer in one batch are two events, never merged into the last one.
    if (this.outbox && Object.hasOwn(this.outbox, id)) this.flush();
    this.outbox ??= {};
    setOwn(this.outbox, id, state);
    this.flushTimer ??= setTimeout(() => this.flush(), 0);
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const out = this.outbox;
    this.outbox = null;
    if (out && Object.keys(out).length) this.c.emit('PeersOnlineStatusChanged', out);
  }
}

function validIds(ids: unknown, max: number): ids is string[] {
  return Array.isArray(ids) && ids.length > 0 && ids.length <= max && ids.every(isValidUserId);
}
