export {
  type AccessToken006,
  type AccessToken006Input,
  buildAccessToken006,
  parseAccessToken006,
  Privilege006,
} from './access-token-006.js';
export {
  type AccessToken2,
  type AccessToken2Input,
  buildAccessToken2,
  parseAccessToken2,
  RTM_PRIVILEGE_LOGIN,
  type Service2,
  ServiceType,
} from './access-token-2.js';
export { TokenFormatError } from './errors.js';
export { buildRtmToken006, buildRtmToken007, type RtmTokenExpectation, verifyRtmToken } from './rtm-token.js';
export {
  buildSignalingToken,
  parseSignalingToken,
  type SignalingToken,
  verifySignalingToken,
} from './signaling-token.js';
export type { TokenCheck, TokenFailure, TokenFormat } from './types.js';
