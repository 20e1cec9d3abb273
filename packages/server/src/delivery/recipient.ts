import type { Limits } from '@parley/protocol';

/**
 * What delivery needs of a session on this node (the session layer's Session is one): who it
 * is, whether it is still there, and a way to write an encoded message into its stream.
 */
export interface Recipient {
  /** the session's id */
  readonly id: string;
  readonly appId: string;
  readonly uid: string;
  /** 'rtm' or 'signaling' client (channel events differ per kind) */
  readonly kind: 'rtm' | 'signaling';
  readonly phase: 'active' | 'detached' | 'ended';
  readonly limits: Pick<Limits, 'memberEventsMaxMembers'>;
  /** messages written into its stream so far: the position of the next one */
  readonly sent: number;
  send(msg: Uint8Array): void;
  /** Its client processed the first `count` messages of its stream (they are never replayed). */
  confirmed(count: number): void;
}

/** The sessions of this node by user (the session layer's SessionManager). */
export interface LocalSessions {
  local(appId: string, uid: string): Recipient | undefined;
}
