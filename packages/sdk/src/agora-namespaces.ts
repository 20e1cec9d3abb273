import type * as P from '@parley/protocol';
import type * as E from './events.js';

/**
 * The type-only namespaces of agora-rtm-sdk 1.5.x's `index.d.ts`, so code that names them
 * (`RtmStatusCode.ConnectionState`, `RtmEvents.RtmClientEvents`) compiles with only the import
 * changed. Values live on the default export (`AgoraRTM.ConnectionState.CONNECTED`).
 */
export declare namespace RtmStatusCode {
  type ConnectionState = P.ConnectionState;
  type ConnectionChangeReason = P.ConnectionChangeReason;
  type LocalInvitationState = P.LocalInvitationState;
  type RemoteInvitationState = P.RemoteInvitationState;
  type LocalInvitationFailureReason = P.LocalInvitationFailureReason;
  type RemoteInvitationFailureReason = P.RemoteInvitationFailureReason;
  type PeerOnlineState = P.PeerOnlineState;
  type PeerSubscriptionOption = P.PeerSubscriptionOption;
  type MessageType = P.MessageType;
  type AreaCode = 'GLOBAL' | 'INDIA' | 'JAPAN' | 'ASIA' | 'EUROPE' | 'CHINA' | 'NORTH_AMERICA';
  type LegacyAreaCode = 'CN' | 'NA' | 'EU' | 'AS' | 'JP' | 'IN' | 'GLOB' | 'OC' | 'SA' | 'AF' | 'OVS';
}

export declare namespace RtmEvents {
  type RtmClientEvents = E.RtmClientEvents;
  type RtmChannelEvents = E.RtmChannelEvents;
  type LocalInvitationEvents = E.LocalInvitationEvents;
  type RemoteInvitationEvents = E.RemoteInvitationEvents;
}
