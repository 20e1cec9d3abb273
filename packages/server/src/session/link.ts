import type { Classified } from '@parley/protocol';
import type { ClientLink } from './session.js';

export type { ClientLink };

/** A decoded message from a client: a request or an event (the transport drops the rest). */
export type ClientMessage = Exclude<Classified, { kind: 'invalid' | 'response' }>;

/** What a socket hands decoded messages to (the session layer). */
export interface LinkSink {
  onMessage(link: ClientLink, msg: ClientMessage): void;
  onClose(link: ClientLink, code: number): void;
}
