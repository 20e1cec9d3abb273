/**
 * `@parley/sdk/core`: the client session shared by the RTM SDK and the Signaling SDK
 * (`@parley/signaling`). The connection core (login lifecycle, resume, re-login, requests) and
 * the protocol state both SDKs keep on it: peer ack and dedupe, channel tracking and rejoin, the
 * invitation state machine. The SDKs are skins on it that translate names, callbacks and codes.
 * Not part of the RTM API.
 */
export { Core, CallFailure, type CallResult, type CoreListener, type CoreOptions } from '../core.js';
export { defaultServerUrl } from '../platform.js';
export { RecentIds } from './recent-ids.js';
export { PeerInbox } from './peer-inbox.js';
export { OwnUserAttrs } from './own-user-attrs.js';
export {
  InvitationEngine,
  INVITATION_REQUEST_TIMEOUT_MS,
  type InvitationSkin,
  type SendOutcome,
} from './invitations.js';
export { TrackedChannel, rejoin, type RejoinOutcome } from './channels.js';
export { request, TIMEOUT, NOT_LOGGED_IN, type Reply } from './request.js';
