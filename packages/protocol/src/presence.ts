import { RATE_LIMITS } from './limits.js';
import type { PeerOnlineState } from './enums.js';

/**
 * Wire bodies of the presence ops (QueryPeersOnline 20, SubscribePeers 21, UnsubscribePeers 22,
 * PeersStatus 23). Peer ids travel as arrays, never as map keys: msgpackr rewrites a map key
 * `__proto__` (a valid user id) on decode, so `{ [id]: state }` maps would lose data.
 */

/** QueryPeersOnline request; 1–`limits.maxPeersPerQuery` valid ids. */
export interface QueryPeersOnlineRequest {
  ids: string[];
}
/** QueryPeersOnline response: `states[i]` is the state of `ids[i]` of the request. */
export interface QueryPeersOnlineResponse {
  states: PeerOnlineState[];
}

/** SubscribePeers request; ≥ 1 valid id, subscribed set stays ≤ `limits.maxSubscribedPeers`. */
export interface SubscribePeersRequest {
  ids: string[];
}
/** SubscribePeers response: the current state of each requested id (`states[i]` ↔ `ids[i]`). */
export interface SubscribePeersResponse {
  states: PeerOnlineState[];
}

/** UnsubscribePeers request; 1–`limits.maxSubscribedPeers` valid ids. Response body: null. */
export interface UnsubscribePeersRequest {
  ids: string[];
}

/** PeersStatus event (server → client): `states[i]` is the new state of `ids[i]`. */
export interface PeersStatusEvent {
  ids: string[];
  states: PeerOnlineState[];
}

/**
 * Rate limits of the presence ops per client, as Agora's Java/C++ SDKs document them
 * (`*_ERR_TOO_OFTEN`: "10 queries every five seconds"). Subscribe and unsubscribe share one
 * budget (they share one error group in Agora's SDKs). Lifted by `--rate-limits off`.
 */
export const PRESENCE_RATES = {
  query: RATE_LIMITS['presence.query'],
  subscription: RATE_LIMITS['presence.subscription'],
} as const;
