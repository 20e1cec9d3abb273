import { buildAccessToken006, parseAccessToken006, Privilege006, sign006 } from './access-token-006.js';
import {
  buildAccessToken2,
  parseAccessToken2,
  RTM_PRIVILEGE_LOGIN,
  type Service2,
  ServiceType,
  sign2,
} from './access-token-2.js';
import { constantTimeEqual } from './constant-time.js';
import { crc32 } from './crc32.js';
import { expiry006Ms, expiry2Ms, isExpired } from './expiry.js';
import { nowSeconds, randomSalt } from './random.js';
import type { TokenCheck, TokenFailure } from './types.js';
import { assertNonEmpty } from './validate.js';

const ONE_DAY_SECONDS = 24 * 3600;

export type RtmTokenExpectation = { appId: string; appCertificate: string; userId: string; nowMs?: number };

/**
 * RtmTokenBuilder.buildToken: the account goes in the channel slot, uid is "", one privilege
 * kRtmLogin = privilegeExpiredTs (absolute seconds). `ts` (the token's validity) defaults to now + 24 h.
 */
export function buildRtmToken006(
  appId: string,
  appCertificate: string,
  userAccount: string,
  privilegeExpiredTs: number,
  opts: { salt?: number; ts?: number } = {},
): string {
  assertNonEmpty('userAccount', userAccount);
  return buildAccessToken006({
    appId,
    appCertificate,
    channelName: userAccount,
    uid: '',
    salt: opts.salt ?? randomSalt(),
    ts: opts.ts ?? nowSeconds() + ONE_DAY_SECONDS,
    privileges: { [Privilege006.rtmLogin]: privilegeExpiredTs },
  });
}

/** RtmTokenBuilder2.buildToken: ServiceRtm(userId) with login = expireSeconds, token expire = expireSeconds. */
export function buildRtmToken007(
  appId: string,
  appCertificate: string,
  userId: string,
  expireSeconds: number,
  opts: { salt?: number; issueTs?: number } = {},
): string {
  assertNonEmpty('userId', userId);
  return buildAccessToken2({
    appId,
    appCertificate,
    issueTs: opts.issueTs ?? nowSeconds(),
    expire: expireSeconds,
    salt: opts.salt ?? randomSalt(),
    services: [{ type: ServiceType.rtm, privileges: { [RTM_PRIVILEGE_LOGIN]: expireSeconds }, userId }],
  });
}

function isRtmService(service: Service2): service is Extract<Service2, { type: 2 | 5 }> {
  return service.type === ServiceType.rtm;
}

function failure(reason: TokenFailure, format: '006' | '007'): TokenCheck {
  return { ok: false, reason, format };
}

function verify006(token: string, expect: RtmTokenExpectation, nowMs: number): TokenCheck {
  let parsed: ReturnType<typeof parseAccessToken006>;
  try {
    parsed = parseAccessToken006(token);
  } catch {
    return failure('malformed', '006');
  }
  if (parsed.appId !== expect.appId) return failure('wrong_app_id', '006');
  // The user is only present as a CRC; checking it first tells "other user" apart from "bad signature".
  if (parsed.crcChannelName !== crc32(expect.userId)) return failure('wrong_user', '006');
  const expected = sign006(expect.appCertificate, parsed.appId, expect.userId, '', parsed.message);
  if (!constantTimeEqual(parsed.signature, expected)) return failure('bad_signature', '006');
  if (parsed.privileges[Privilege006.rtmLogin] === undefined) return failure('no_privilege', '006');
  const expiresAtMs = expiry006Ms(parsed.ts);
  if (isExpired(expiresAtMs, nowMs)) return failure('expired', '006');
  return { ok: true, format: '006', expiresAtMs };
}

function verify007(token: string, expect: RtmTokenExpectation, nowMs: number): TokenCheck {
  let parsed: ReturnType<typeof parseAccessToken2>;
  try {
    parsed = parseAccessToken2(token);
  } catch {
    return failure('malformed', '007');
  }
  if (parsed.appId !== expect.appId) return failure('wrong_app_id', '007');
  const rtmServices = parsed.services.filter(isRtmService);
  const mine = rtmServices.find((s) => s.userId === expect.userId);
  // Same order as 006: a token made for another user is reported as such before the signature check.
  if (rtmServices.length > 0 && mine === undefined) return failure('wrong_user', '007');
  const expected = sign2(expect.appCertificate, parsed.issueTs, parsed.salt, parsed.signingInfo);
  if (!constantTimeEqual(parsed.signature, expected)) return failure('bad_signature', '007');
  const login = mine?.privileges[RTM_PRIVILEGE_LOGIN];
  if (login === undefined) return failure('no_privilege', '007');
  const expiresAtMs = expiry2Ms(parsed.issueTs, parsed.expire, login);
  if (isExpired(expiresAtMs, nowMs)) return failure('expired', '007');
  return { ok: true, format: '007', expiresAtMs };
}

/** Verifies a 006 or 007 token (detected by prefix) for an RTM login of `userId`; nowMs defaults to Date.now(). */
export function verifyRtmToken(token: string, expect: RtmTokenExpectation): TokenCheck {
  const nowMs = expect.nowMs ?? Date.now();
  if (typeof token !== 'string') return { ok: false, reason: 'malformed' };
  if (token.startsWith('006')) return verify006(token, expect, nowMs);
  if (token.startsWith('007')) return verify007(token, expect, nowMs);
  return { ok: false, reason: 'malformed' };
}
