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
/** agora-rtm-sdk 1.4.x: the fields an image and a file message share (docs/media.md). */
interface RtmMediaMessageFields {
  /** the id the upload returned: receivers pass it to `downloadMedia` (valid 7 days) */
  mediaId: string;
  /** bytes of the file */
  size: number;
  fileName: string;
  description: string;
  /** as Agora's typings name it; a Uint8Array is accepted when sending (Parley) */
  thumbnail?: Blob;
  /** the same thumbnail, under the name Agora's guide reads */
  thumbnailData?: Blob;
  text?: never;
  rawMessage?: never;
}
export interface RtmImageMessage extends RtmMediaMessageFields {
  messageType: 'IMAGE';
  width: number;
  height: number;
  thumbnailWidth: number;
  thumbnailHeight: number;
}
export interface RtmFileMessage extends RtmMediaMessageFields {
  messageType: 'FILE';
}
export type RtmMessage = RtmTextMessage | RtmRawMessage | RtmImageMessage | RtmFileMessage;

/** 1.4.x: what `onOperationProgress` is given during an upload or a download. */
export interface MediaOperationProgress {
  currentSize: number;
  totalSize: number;
}
/** 1.4.x: the handler of an upload or a download. */
export interface MediaTransferHandler {
  /** aborts the transfer: it rejects with code 6 (INTERRUPTED) */
  cancelSignal?: AbortSignal;
  onOperationProgress?: (progress: MediaOperationProgress) => void;
}
/** 1.4.x createMediaMessageByUploading params (Agora's guide puts `cancelSignal` here: accepted). */
export interface MediaMessageParams {
  messageType?: 'IMAGE' | 'FILE';
  fileName?: string;
  description?: string;
  thumbnail?: Blob | Uint8Array;
  /** IMAGE only */
  width?: number;
  height?: number;
  thumbnailWidth?: number;
  thumbnailHeight?: number;
  cancelSignal?: AbortSignal;
}

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
  /** Parley: a media transfer without progress this long fails with code 3 TIMEOUT, ms (default 120000, Agora's) */
  mediaIdleTimeoutMs?: number;
}

export type {
  ConnectionState,
  ConnectionChangeReason,
  PeerOnlineState,
  LocalInvitationFailureReason,
  RemoteInvitationFailureReason,
};
