import type { Limits } from './limits.js';
import type { MessageType } from './enums.js';
import type { WireMedia } from './media.js';

/** Bodies of the session and peer-message ops. Each feature documents its own in docs/protocol.md. */

export interface LoginRequest {
  /** protocol version (PROTOCOL_VERSION) */
  v: number;
  appId: string;
  uid: string;
  token?: string;
  /** 'rtm' (default) or 'signaling': which token kinds are acceptable */
  kind?: 'rtm' | 'signaling';
  /** SDK name/version, for logs */
  sdk?: string;
}
export interface LoginResponse {
  sessionId: string;
  /** secret that lets this client resume the session after a drop */
  resumeToken: string;
  limits: Limits;
  /** the client sends Ping at this interval */
  heartbeatMs: number;
  /** how long the server keeps the session after the socket drops */
  sessionGraceMs: number;
  serverTs: number;
  /** when the token expires (ms since epoch), or null */
  tokenExpiresAt: number | null;
  nodeId: string;
}

export interface ResumeRequest {
  v: number;
  appId: string;
  uid: string;
  sessionId: string;
  resumeToken: string;
  /** number of server → client messages this client has processed in the session */
  received: number;
}
export interface ResumeResponse {
  /** highest request id the server has processed; the client re-sends later ones */
  lastReqId: number;
  tokenExpiresAt: number | null;
}

/** A message on the wire: text, raw bytes (+ description), or an IMAGE / FILE's media (+ description). */
export interface WireMessage {
  type: MessageType;
  text?: string;
  raw?: Uint8Array;
  description?: string;
  /** IMAGE and FILE only */
  media?: WireMedia;
}

export interface PeerSendRequest {
  to: string;
  msg: WireMessage;
  /** 1.4.x enableOfflineMessaging */
  offline?: boolean;
  /** enableHistoricalMessaging: recorded in the app's message history before the answer */
  historical?: boolean;
  /**
   * Idempotency key (isValidSendKey), the same on every retry of this message: the server answers
   * a retry with the first outcome instead of delivering again (docs/protocol.md, "Exactly once").
   */
  key?: string;
}
export interface PeerSendResponse {
  id: string;
  ts: number;
  /** the peer's SDK acknowledged the message */
  received: boolean;
  /** stored for offline delivery (Java-style CACHED_BY_SERVER) */
  cached: boolean;
}
export interface PeerMessageEvent {
  id: string;
  from: string;
  msg: WireMessage;
  ts: number;
  offline?: boolean;
  /** the sender's idempotency key, if it gave one: receivers drop a second message with the same `from` + `key` */
  key?: string;
}

export interface SessionEndedEvent {
  reason: import('./enums.js').SessionEndReason;
}
export interface ProtocolErrorEvent {
  code: number;
  message: string;
  /** the request id, when the error concerns a request */
  reqId?: number;
}
