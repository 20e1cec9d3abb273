import type { ClientSession as Session } from './client-session.js';
import type { Reply } from './registry.js';

/** A channel-attribute write as another feature asks for it (no member notification). */
export type ChannelAttrsWrite =
  | { type: 'update'; attrs: [string, string][] }
  | { type: 'del'; keys: string[] }
  | { type: 'clear' };

/**
 * Operations one feature offers the others, with typed arguments: the same checks, limits, rates
 * and codes as the wire op, without a made-up request body. Filled in at registration; a feature
 * registered later (Signaling) uses those of the features before it.
 */
export interface FeatureServices {
  channels?: {
    /** Join, as Op.Join after its body was parsed (`since`: a history cursor or null). */
    join(s: Session, channelId: string, since: unknown): Promise<Reply>;
    /** Leave, as Op.Leave. */
    leave(s: Session, channelId: string): Promise<Reply>;
  };
  channelAttrs?: {
    /** A write, as Op.AddOrUpdate/Delete/ClearChannelAttrs without `notify`. */
    write(s: Session, channelId: string, change: ChannelAttrsWrite): Promise<Reply>;
  };
  invitations?: {
    /** Sends an invitation, as InvitationOp.Send. */
    send(s: Session, to: string, content: string, channelId: string): Promise<Reply>;
  };
}
