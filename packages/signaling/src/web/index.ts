/** The legacy Web Signaling SDK's object API (`Signal` → Session → Channel / Call) over the facade. */
export { Signal, WebSignal, WEB_SDK_VERSION, WEB_SDK_VERSION_INT, type SignalOptions } from './signal.js';
export { WebSession, type SessionCallbacks } from './session.js';
export { WebChannel, type ChannelCallbacks } from './channel.js';
export { WebCall, type CallCallbacks } from './call.js';
export type { WebCallback, LogLevel } from './callback.js';
