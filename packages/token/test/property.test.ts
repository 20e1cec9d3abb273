import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  buildRtmToken006,
  buildRtmToken007,
  type TokenCheck,
  verifyRtmToken,
  verifySignalingToken,
} from '../src/index.js';
import { appCertificate, appId, vectors } from './official-vectors.js';

const REASONS = ['malformed', 'wrong_app_id', 'bad_signature', 'wrong_user', 'expired', 'no_privilege'];

function isWellFormedCheck(result: TokenCheck): boolean {
  return result.ok ? typeof result.expiresAtMs === 'number' : REASONS.includes(result.reason);
}

const rtmExpect = { appId, appCertificate, userId: 'test_user', nowMs: 1_111_111_000 };
const signalingExpect = { appId, appCertificate, account: 'test_user', nowMs: 0 };

const anyString = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }));
const tokenLike = fc
  .tuple(
    fc.constantFrom('006', '007', '007eJ', '1:', `006${appId}`, `1:${appId}:`),
    fc.oneof(fc.base64String(), anyString),
  )
  .map(([prefix, rest]) => prefix + rest);
const mutatedVector = fc
  .tuple(
    fc.constantFrom(...vectors.rtm006.map((v) => v.token), ...vectors.rtm007.map((v) => v.token)),
    fc.nat(),
    fc.string({ minLength: 0, maxLength: 3 }),
  )
  .map(([token, at, insert]) => {
    const i = at % token.length;
    return token.slice(0, i) + insert + token.slice(i + 1);
  });

describe('verification never throws', () => {
  test.each([
    ['arbitrary strings', anyString],
    ['token-like strings', tokenLike],
    ['mutated official vectors', mutatedVector],
  ])('%s', (_name, arbitrary) => {
    fc.assert(
      fc.property(arbitrary, (token) => {
        expect(isWellFormedCheck(verifyRtmToken(token, rtmExpect))).toBe(true);
        expect(isWellFormedCheck(verifySignalingToken(token, signalingExpect))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('build → verify', () => {
  const userId = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 });
  const u32 = fc.integer({ min: 1, max: 0xffffffff });

  test('006 tokens verify for their own user only', () => {
    fc.assert(
      fc.property(userId, userId, u32, u32, (user, other, salt, ts) => {
        const token = buildRtmToken006(appId, appCertificate, user, 0, { salt, ts });
        const base = { appId, appCertificate, nowMs: ts * 1000 };
        expect(verifyRtmToken(token, { ...base, userId: user })).toEqual({
          ok: true,
          format: '006',
          expiresAtMs: ts * 1000,
        });
        if (other !== user) expect(verifyRtmToken(token, { ...base, userId: other }).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  test('007 tokens verify for their own user only', () => {
    fc.assert(
      fc.property(userId, userId, u32, fc.integer({ min: 0, max: 2 ** 31 }), (user, other, salt, issueTs) => {
        const token = buildRtmToken007(appId, appCertificate, user, 600, { salt, issueTs });
        const base = { appId, appCertificate, nowMs: issueTs * 1000 };
        expect(verifyRtmToken(token, { ...base, userId: user })).toEqual({
          ok: true,
          format: '007',
          expiresAtMs: (issueTs + 600) * 1000,
        });
        if (other !== user) expect(verifyRtmToken(token, { ...base, userId: other }).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
