import { SignalingCode } from '@parley/protocol';

type Prefixed<T extends Record<string, number>> = { readonly [K in keyof T as `ECODE_${K & string}`]: T[K] };

function prefixed<T extends Record<string, number>>(codes: T): Prefixed<T> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(codes)) out[`ECODE_${k}`] = v;
  return out as Prefixed<T>;
}

/** Login states returned by `getStatus()` (spec signaling-api.md §4). */
export const LoginState = {
  LOGIN_STATE_NOT_LOGIN: 0,
  LOGIN_STATE_LOGINING: 1,
  LOGIN_STATE_LOGINED: 2,
  LOGIN_STATE_RECONNECTING: 3,
} as const;

/**
 * Java's `IAgoraAPI` constants: `IAgoraAPI.ECODE_LOGIN_E_NET` (201), `IAgoraAPI.LOGIN_STATE_LOGINED`
 * (2), … Values are exactly Signaling's (spec signaling-api.md §5).
 */
export const IAgoraAPI = { ...prefixed(SignalingCode), ...LoginState } as const;

export { SignalingCode };
