import type {
  ConnectionChangeReason,
  ConnectionState,
  LocalInvitationFailureReason,
  PeerOnlineState,
  RemoteInvitationFailureReason,
} from './status-enums.js';

/** agora-rtm-sdk 1.5.x public types, same names and shapes. */
export interface RtmTextMessage {
  text: string;
  messageType?: 'TEXT';
  /** never set on a text message (declared so RtmMessage fields read without narrowing, as in Agora's) */
  rawMessage?: never;
  /** never set on a text message */
  description?: never;
}
export interface RtmRawMessage {
  rawMessage: Uint8Array;
  description?: string;
  messageType?: 'RAW';
  text?: never;
}
export type RtmMessage = RtmTextMessage | RtmRawMessage;

export interface ReceivedMessageProperties {
  /** ms timestamp stamped by the server */
  serverReceivedTs: number;
  /** 1.4.x: true for a message stored while this user was offline */
  isOfflineMessage: boolean;
}
export interface PeerMessageSendResult {
  hasPeerReceived: boolean;
}
/** 1.4.x send options (offline and historical messaging are supported by Parley) */
export interface SendMessageOptions {
  enableOfflineMessaging?: boolean;
  enableHistoricalMessaging?: boolean;
}
export interface AttributesMap {
  [key: string]: string;
}
export interface ChannelAttributeProperties {
  value: string;
  lastUpdateUserId: string;
  lastUpdateTs: number;
}
export interface ChannelAttributes {
  [key: string]: ChannelAttributeProperties;
}
export interface ChannelAttributeOptions {
  enableNotificationToChannelMembers?: boolean;
}
export interface PeersOnlineStatusMap {
  [peerId: string]: PeerOnlineState;
}
export interface LogFilterType {
  error: boolean;
  warn: boolean;
  info: boolean;
  track: boolean;
  debug: boolean;
}
/** Agora's RtmConfig plus Parley's connection options. */
export interface RtmConfig {
  enableLogUpload?: boolean;
  logFilter?: LogFilterType;
  enableCloudProxy?: boolean;
  /** Parley: WebSocket URL of the server (`ws://host:port/rtm`), or a list to fail over across */
  serverUrl?: string | string[];
  /** Parley: WebSocket constructor to use (default: global WebSocket, or `ws` in Node) */
  WebSocket?: new (
    url: string,
  ) => unknown;
  /** Parley: login timeout, ms (default 12000, as Agora) */
  loginTimeoutMs?: number;
  /** Parley: reconnect backoff, ms */
  reconnect?: { baseMs?: number; capMs?: number; floorMs?: number };
}

export type {
  ConnectionState,
  ConnectionChangeReason,
  PeerOnlineState,
  LocalInvitationFailureReason,
  RemoteInvitationFailureReason,
};
