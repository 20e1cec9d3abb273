export type TokenFormat = '006' | '007' | 'signaling';

export type TokenFailure =
  | 'malformed'
  | 'wrong_app_id'
  | 'bad_signature'
  | 'wrong_user'
  | 'expired'
  | 'no_privilege';

/**
 * Outcome of a verification. `expiresAtMs` is the instant (Unix ms) after which the token stops being
 * accepted; `null` is reserved for a token without expiry (none of the supported formats produces one).
 */
export type TokenCheck =
  | { ok: true; format: TokenFormat; expiresAtMs: number | null }
  | { ok: false; reason: TokenFailure; format?: TokenFormat };
