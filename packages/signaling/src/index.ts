/**
 * @parley/signaling — the legacy Agora Signaling SDK (Java names: `AgoraAPIOnlySignal`,
 * `IAgoraAPI.ICallBack`) on Parley's server and wire protocol, interoperating with `@parley/sdk`
 * (RTM) clients. Guide and migration table: docs/signaling.md.
 * The Web SDK's object API (`Signal(appId, { serverUrl })` → Session → Channel / Call) is here too.
 */
export { AgoraAPIOnlySignal, SDK_VERSION_INT, type SignalingOptions } from './api.js';
export { AgoraAPI, CallBack, type Callbacks, type ICallBack } from './callbacks.js';
export { IAgoraAPI, LoginState, SignalingCode } from './codes.js';
export { INVOKE_FUNCTIONS } from './invoke-functions.js';
export type { SignalingSendOptions } from './message-sends.js';
export { END_CALL_PREFIX, endCallMessage, parseEndCallMessage } from '@parley/protocol';
export {
  Signal,
  WebSignal,
  WebSession,
  WebChannel,
  WebCall,
  WEB_SDK_VERSION,
  WEB_SDK_VERSION_INT,
  type SignalOptions,
  type SessionCallbacks,
  type ChannelCallbacks,
  type CallCallbacks,
  type WebCallback,
  type LogLevel,
} from './web/index.js';
