/**
 * @parley/signaling — the legacy Agora Signaling SDK (Java names: `AgoraAPIOnlySignal`,
 * `IAgoraAPI.ICallBack`) on Parley's server and wire protocol, interoperating with `@parley/sdk`
 * (RTM) clients. Guide and migration table: docs/signaling.md.
 */
export { AgoraAPIOnlySignal, SDK_VERSION_INT, type SignalingOptions } from './api.js';
export { AgoraAPI, CallBack, type Callbacks, type ICallBack } from './callbacks.js';
export { IAgoraAPI, LoginState, SignalingCode } from './codes.js';
export { INVOKE_FUNCTIONS } from './invoke-functions.js';
export { END_CALL_PREFIX, endCallMessage, parseEndCallMessage } from '@parley/protocol';
