import { constantTimeEqual } from './constant-time.js';
import { TokenFormatError } from './errors.js';
import { expirySignalingMs, isExpired } from './expiry.js';
import { md5Hex } from './hmac.js';
import type { TokenCheck, TokenFailure } from './types.js';
import { assertAppId, assertNonEmpty } from './validate.js';

// "1:<appId>:<expiredTs>:<md5 hex>"; at most 15 digits keeps expiredTs * 1000 a safe integer.
const SIGNALING_TOKEN = /^1:([0-9A-Za-z]{32}):([0-9]{1,15}):([0-9a-fA-F]{32})$/;

export type SignalingToken = {
  version: '1';
  appId: string;
  /** Absolute Unix seconds. */
  expiredTs: number;
  /** The decimal text as signed (kept verbatim in case of leading zeros). */
  expiredText: string;
  /** Lower-case hex MD5. */
  signature: string;
};

function signSignaling(account: string, appId: string, appCertificate: string, expiredText: string): string {
  return md5Hex(account + appId + appCertificate + expiredText);
}

/** Legacy Signaling token; `expiredTsSeconds` is absolute Unix seconds (Java/C#/Python/Go convention). */
export function buildSignalingToken(
  appId: string,
  appCertificate: string,
  account: string,
  expiredTsSeconds: number,
): string {
  assertAppId(appId);
  assertNonEmpty('appCertificate', appCertificate);
  if (
    !Number.isSafeInteger(expiredTsSeconds) ||
    expiredTsSeconds < 0 ||
    expiredTsSeconds > 999_999_999_999_999
  ) {
    throw new RangeError('expiredTsSeconds must be a non-negative integer');
  }
  const expiredText = String(expiredTsSeconds);
  return `1:${appId}:${expiredText}:${signSignaling(account, appId, appCertificate, expiredText)}`;
}

export function parseSignalingToken(token: string): SignalingToken {
  const match = typeof token === 'string' ? SIGNALING_TOKEN.exec(token) : null;
  if (match === null) throw new TokenFormatError('not a Signaling token');
  const [, appId, expiredText, signature] = match as unknown as [string, string, string, string];
  return {
    version: '1',
    appId,
    expiredTs: Number(expiredText),
    expiredText,
    signature: signature.toLowerCase(),
  };
}

function failure(reason: TokenFailure): TokenCheck {
  return { ok: false, reason, format: 'signaling' };
}

/**
 * The token names no user, so a token for another account fails as 'bad_signature' (the MD5 covers the
 * account); 'wrong_user' cannot be told apart here.
 */
export function verifySignalingToken(
  token: string,
  expect: { appId: string; appCertificate: string; account: string; nowMs?: number },
): TokenCheck {
  const nowMs = expect.nowMs ?? Date.now();
  let parsed: SignalingToken;
  try {
    parsed = parseSignalingToken(token);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (parsed.appId !== expect.appId) return failure('wrong_app_id');
  const expected = signSignaling(expect.account, parsed.appId, expect.appCertificate, parsed.expiredText);
  if (!constantTimeEqual(Buffer.from(parsed.signature, 'latin1'), Buffer.from(expected, 'latin1'))) {
    return failure('bad_signature');
  }
  const expiresAtMs = expirySignalingMs(parsed.expiredTs);
  if (isExpired(expiresAtMs, nowMs)) return failure('expired');
  return { ok: true, format: 'signaling', expiresAtMs };
}
