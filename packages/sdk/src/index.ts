import { isValidAppId } from '@parley/protocol';
import {
  ConnectionChangeReason,
  ConnectionState,
  LocalInvitationFailureReason,
  LocalInvitationState,
  MessageType,
  PeerOnlineState,
  PeerSubscriptionOption,
  RemoteInvitationFailureReason,
  RemoteInvitationState,
} from './status-enums.js';
import { RtmClient, SDK_VERSION } from './client.js';
import * as errors from './errors.js';
import type { LogFilterType, RtmConfig } from './types.js';

const LOG_FILTER_OFF: LogFilterType = { error: false, warn: false, info: false, track: false, debug: false };
const LOG_FILTER_ERROR: LogFilterType = { error: true, warn: false, info: false, track: false, debug: false };
const LOG_FILTER_WARNING: LogFilterType = {
  error: true,
  warn: true,
  info: false,
  track: false,
  debug: false,
};
const LOG_FILTER_INFO: LogFilterType = { error: true, warn: true, info: true, track: true, debug: false };
const LOG_FILTER_DEBUG: LogFilterType = { error: true, warn: true, info: true, track: true, debug: true };

/** Prefix of a peer TEXT message that ends a legacy Signaling call (`PREFIX_<channelId>_<extra>`). */
const END_CALL_PREFIX = 'AgoraRTMLegacyEndcallCompatibleMessagePrefix';

/**
 * Creates a client. The App ID must be 32 characters [0-9A-Za-z] (code 1 otherwise), as in Agora's SDK.
 * `config.serverUrl` points at your Parley server (`ws://host:port/rtm`).
 */
function createInstance(appId: string, config?: RtmConfig, _areaCodes?: string[]): RtmClient {
  if (!isValidAppId(appId)) throw new errors.RtmInvalidArgumentError(1, 'The App ID is invalid.');
  return new RtmClient(appId, config ?? {});
}

/** Accepted for compatibility; Parley has no regions. */
function setArea(_opts: { areaCodes: string[]; excludedArea?: string }): void {}

const AgoraRTM = {
  createInstance,
  setArea,
  VERSION: SDK_VERSION,
  BUILD: `parley-${SDK_VERSION}`,
  END_CALL_PREFIX,
  LOG_FILTER_OFF,
  LOG_FILTER_ERROR,
  LOG_FILTER_WARNING,
  LOG_FILTER_INFO,
  LOG_FILTER_DEBUG,
  ConnectionState,
  ConnectionChangeReason,
  LocalInvitationState,
  LocalInvitationFailureReason,
  RemoteInvitationState,
  RemoteInvitationFailureReason,
  MessageType,
  PeerOnlineState,
  PeerSubscriptionOption,
  ...errors,
};

export default AgoraRTM;
export type AgoraRTM = typeof AgoraRTM;
export { RtmClient } from './client.js';
export { RtmChannel } from './channel.js';
export { LocalInvitation, RemoteInvitation } from './invitation.js';
export {
  RtmCallManager,
  ErrorInfo,
  LOCAL_INVITATION_ERROR,
  REMOTE_INVITATION_ERROR,
} from './call-manager.js';
export type { RtmCallEventListener, ResultCallback } from './call-manager.js';
export * from './errors.js';
export type * from './types.js';
export type * from './events.js';
export type { RtmEvents, RtmStatusCode } from './agora-namespaces.js';
export {
  ConnectionChangeReason,
  ConnectionState,
  LocalInvitationFailureReason,
  LocalInvitationState,
  MessageType,
  PeerOnlineState,
  PeerSubscriptionOption,
  RemoteInvitationFailureReason,
  RemoteInvitationState,
};
/** The connection core, shared with @parley/signaling (not part of the RTM API; kept in the typings for it). */
export { Core, CallFailure, type CoreListener, type CoreOptions, type CallResult } from './core.js';
/** Where an SDK connects without `serverUrl` (shared with @parley/signaling; not part of the RTM API). */
export { defaultServerUrl } from './platform.js';
