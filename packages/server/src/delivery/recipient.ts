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
  send(msg: Uint8Array): void;
}

/** The sessions of this node by user (the session layer's SessionManager). */
export interface LocalSessions {
  local(appId: string, uid: string): Recipient | undefined;
}
