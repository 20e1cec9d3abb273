import type {
  ConnectionChangeReason,
  ConnectionState,
  LocalInvitationFailureReason,
  RemoteInvitationFailureReason,
} from './status-enums.js';
import type {
  ChannelAttributes,
  PeersOnlineStatusMap,
  ReceivedMessageProperties,
  RtmMessage,
} from './types.js';
import type { RemoteInvitation } from './invitation.js';

/** Every event of every SDK object, with its listener signature (agora-rtm-sdk 1.5.x names). */
export interface RtmClientEvents {
  ConnectionStateChanged: (newState: ConnectionState, reason: ConnectionChangeReason) => void;
  /**
   * Method syntax (bivariant parameters): the message may be a 1.4.x IMAGE or FILE message, and
   * the client stays assignable to agora-rtm-sdk 1.5's `RtmClient`, whose messages are TEXT/RAW.
   */
  MessageFromPeer(message: RtmMessage, peerId: string, messageProps: ReceivedMessageProperties): void;
  RemoteInvitationReceived: (remoteInvitation: RemoteInvitation) => void;
  PeersOnlineStatusChanged: (status: PeersOnlineStatusMap) => void;
  TokenExpired: () => void;
  TokenPrivilegeWillExpire: () => void;
  FallbackProxyConnected: () => void;
}

export interface RtmChannelEvents {
  /** Method syntax: see MessageFromPeer. */
  ChannelMessage(message: RtmMessage, memberId: string, messageProps: ReceivedMessageProperties): void;
  MemberJoined: (memberId: string) => void;
  MemberLeft: (memberId: string) => void;
  AttributesUpdated: (attributes: ChannelAttributes) => void;
  MemberCountUpdated: (memberCount: number) => void;
}

export interface LocalInvitationEvents {
  LocalInvitationReceivedByPeer: () => void;
  LocalInvitationAccepted: (response: string) => void;
  LocalInvitationRefused: (response: string) => void;
  LocalInvitationCanceled: () => void;
  LocalInvitationFailure: (reason: LocalInvitationFailureReason) => void;
}

export interface RemoteInvitationEvents {
  RemoteInvitationAccepted: () => void;
  RemoteInvitationRefused: () => void;
  RemoteInvitationCanceled: (content: string) => void;
  RemoteInvitationFailure: (reason: RemoteInvitationFailureReason) => void;
}
