import type * as E from './events.js';
import * as S from './status-enums.js';

/**
 * The type-only namespaces of agora-rtm-sdk 1.5.x's `index.d.ts`, so code that names them
 * (`RtmStatusCode.ConnectionState`, `RtmEvents.RtmClientEvents`) compiles with only the import
 * changed. Values live on the default export (`AgoraRTM.ConnectionState.CONNECTED`).
 */
export declare namespace RtmStatusCode {
  export import ConnectionState = S.ConnectionState;
  export import ConnectionChangeReason = S.ConnectionChangeReason;
  export import LocalInvitationState = S.LocalInvitationState;
  export import RemoteInvitationState = S.RemoteInvitationState;
  export import LocalInvitationFailureReason = S.LocalInvitationFailureReason;
  export import RemoteInvitationFailureReason = S.RemoteInvitationFailureReason;
  export import PeerOnlineState = S.PeerOnlineState;
  export import PeerSubscriptionOption = S.PeerSubscriptionOption;
  export import MessageType = S.MessageType;
  type AreaCode = 'GLOBAL' | 'INDIA' | 'JAPAN' | 'ASIA' | 'EUROPE' | 'CHINA' | 'NORTH_AMERICA';
  type LegacyAreaCode = 'CN' | 'NA' | 'EU' | 'AS' | 'JP' | 'IN' | 'GLOB' | 'OC' | 'SA' | 'AF' | 'OVS';
}

export declare namespace RtmEvents {
  type RtmClientEvents = E.RtmClientEvents;
  type RtmChannelEvents = E.RtmChannelEvents;
  type LocalInvitationEvents = E.LocalInvitationEvents;
  type RemoteInvitationEvents = E.RemoteInvitationEvents;
}
