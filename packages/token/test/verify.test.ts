import { deflateSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { sign2 } from '../src/access-token-2.js';
import { ByteWriter } from '../src/binary.js';
import {
  buildAccessToken2,
  buildAccessToken006,
  buildRtmToken006,
  buildRtmToken007,
  buildSignalingToken,
  parseAccessToken2,
  parseAccessToken006,
  parseSignalingToken,
  TokenFormatError,
  verifyRtmToken,
  verifySignalingToken,
} from '../src/index.js';
import { appCertificate, appId, vectors } from './official-vectors.js';

const OTHER_APP_ID = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const OTHER_CERT = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const V1 = vectors.rtm006.find((v) => v.id === 'V1')!;
const V4 = vectors.rtm007.find((v) => v.id === 'V4')!;
const S2 = vectors.signaling.find((v) => v.id === 'S2')!;

const at006 = { appId, appCertificate, userId: V1.account, nowMs: V1.ts * 1000 };
const at007 = { appId, appCertificate, userId: V4.userId, nowMs: V4.issueTs * 1000 };
const atSignaling = { appId: S2.appId, appCertificate: S2.appCertificate, account: S2.account, nowMs: 0 };

function encode007(content: Buffer): string {
  return '007' + deflateSync(content).toString('base64');
}

describe('failure reasons, 006', () => {
  test('wrong app id', () => {
    expect(verifyRtmToken(V1.token, { ...at006, appId: OTHER_APP_ID })).toEqual({
      ok: false,
      reason: 'wrong_app_id',
      format: '006',
    });
  });

  test('wrong certificate', () => {
    expect(verifyRtmToken(V1.token, { ...at006, appCertificate: OTHER_CERT })).toEqual({
      ok: false,
      reason: 'bad_signature',
      format: '006',
    });
  });

  test('other user', () => {
    expect(verifyRtmToken(V1.token, { ...at006, userId: 'someone_else' })).toEqual({
      ok: false,
      reason: 'wrong_user',
      format: '006',
    });
  });

  test('expired: one millisecond after ts', () => {
    expect(verifyRtmToken(V1.token, { ...at006, nowMs: V1.ts * 1000 + 1 })).toEqual({
      ok: false,
      reason: 'expired',
      format: '006',
    });
  });

  test('privilegeExpiredTs in the past does not expire the token (only ts counts)', () => {
    const token = buildRtmToken006(appId, appCertificate, 'u', 1, { ts: 2_000_000_000 });
    expect(verifyRtmToken(token, { appId, appCertificate, userId: 'u', nowMs: 1_900_000_000_000 })).toEqual({
      ok: true,
      format: '006',
      expiresAtMs: 2_000_000_000_000,
    });
  });

  test('no login privilege', () => {
    const token = buildAccessToken006({
      appId,
      appCertificate,
      channelName: 'u',
      uid: '',
      salt: 1,
      ts: 2_000_000_000,
      privileges: { 1: 0 },
    });
    expect(verifyRtmToken(token, { appId, appCertificate, userId: 'u', nowMs: 0 })).toEqual({
      ok: false,
      reason: 'no_privilege',
      format: '006',
    });
  });

  test('truncated', () => {
    for (const cut of [1, 4, 20, 60, 80]) {
      expect(verifyRtmToken(V1.token.slice(0, -cut), at006)).toMatchObject({
        ok: false,
        reason: 'malformed',
      });
    }
  });

  test('bad base64', () => {
    const body = V1.token.slice(35);
    const urlSafe = body.replace('/', '_');
    const dashed = `${body.slice(0, 10)}-${body.slice(11)}`;
    for (const bad of ['!!!!', urlSafe, dashed, `${body}==`, `${body} `, `${body.slice(0, -1)}=A`, '*']) {
      expect(verifyRtmToken(V1.token.slice(0, 35) + bad, at006)).toEqual({
        ok: false,
        reason: 'malformed',
        format: '006',
      });
    }
  });

  test('trailing bytes after the content', () => {
    const content = Buffer.concat([Buffer.from(V1.token.slice(35), 'base64'), Buffer.from([0])]);
    expect(verifyRtmToken(V1.token.slice(0, 35) + content.toString('base64'), at006).ok).toBe(false);
  });

  test('signature of the wrong length is a bad signature, not an exception', () => {
    const parsed = parseAccessToken006(V1.token);
    const content = new ByteWriter()
      .bytes(parsed.signature.subarray(0, 16))
      .u32(parsed.crcChannelName)
      .u32(parsed.crcUid)
      .bytes(parsed.message)
      .toBuffer();
    expect(verifyRtmToken(V1.token.slice(0, 35) + content.toString('base64'), at006)).toEqual({
      ok: false,
      reason: 'bad_signature',
      format: '006',
    });
  });

  test('tampered ts is a bad signature', () => {
    const parsed = parseAccessToken006(V1.token);
    const message = Buffer.from(parsed.message);
    message.writeUInt32LE(4_000_000_000, 4);
    const content = new ByteWriter()
      .bytes(parsed.signature)
      .u32(parsed.crcChannelName)
      .u32(parsed.crcUid)
      .bytes(message)
      .toBuffer();
    expect(verifyRtmToken(V1.token.slice(0, 35) + content.toString('base64'), at006)).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });
});

describe('failure reasons, 007', () => {
  test('wrong app id', () => {
    expect(verifyRtmToken(V4.token, { ...at007, appId: OTHER_APP_ID })).toEqual({
      ok: false,
      reason: 'wrong_app_id',
      format: '007',
    });
  });

  test('wrong certificate', () => {
    expect(verifyRtmToken(V4.token, { ...at007, appCertificate: OTHER_CERT })).toEqual({
      ok: false,
      reason: 'bad_signature',
      format: '007',
    });
  });

  test('other user', () => {
    expect(verifyRtmToken(V4.token, { ...at007, userId: 'someone_else' })).toEqual({
      ok: false,
      reason: 'wrong_user',
      format: '007',
    });
  });

  test('expired: one millisecond after issueTs + expire', () => {
    expect(verifyRtmToken(V4.token, { ...at007, nowMs: (V4.issueTs + V4.expire) * 1000 + 1 })).toEqual({
      ok: false,
      reason: 'expired',
      format: '007',
    });
  });

  test('a shorter login privilege ends validity first; a zero privilege means no privilege limit', () => {
    const build = (login: number) =>
      buildAccessToken2({
        appId,
        appCertificate,
        issueTs: 1000,
        expire: 600,
        salt: 7,
        services: [{ type: 2, privileges: { 1: login }, userId: 'u' }],
      });
    const base = { appId, appCertificate, userId: 'u' };
    expect(verifyRtmToken(build(60), { ...base, nowMs: 1_060_000 })).toMatchObject({
      ok: true,
      expiresAtMs: 1_060_000,
    });
    expect(verifyRtmToken(build(60), { ...base, nowMs: 1_060_001 })).toMatchObject({ reason: 'expired' });
    expect(verifyRtmToken(build(0), { ...base, nowMs: 1_600_000 })).toMatchObject({
      ok: true,
      expiresAtMs: 1_600_000,
    });
    expect(verifyRtmToken(build(0), { ...base, nowMs: 1_600_001 })).toMatchObject({ reason: 'expired' });
    expect(verifyRtmToken(build(9999), { ...base, nowMs: 1_600_001 })).toMatchObject({ reason: 'expired' });
  });

  test('no login privilege: RTC-only token, or RTM service without privilege 1', () => {
    const rtcOnly = buildAccessToken2({
      appId,
      appCertificate,
      issueTs: 1000,
      expire: 600,
      salt: 7,
      services: [{ type: 1, privileges: { 1: 600 }, channelName: 'u', uid: '' }],
    });
    const emptyRtm = buildAccessToken2({
      appId,
      appCertificate,
      issueTs: 1000,
      expire: 600,
      salt: 7,
      services: [{ type: 2, privileges: {}, userId: 'u' }],
    });
    for (const token of [rtcOnly, emptyRtm]) {
      expect(verifyRtmToken(token, { appId, appCertificate, userId: 'u', nowMs: 1_000_000 })).toEqual({
        ok: false,
        reason: 'no_privilege',
        format: '007',
      });
    }
  });

  test('multi-service token: RTC is sorted before RTM and the RTM part verifies', () => {
    const token = buildAccessToken2({
      appId,
      appCertificate,
      issueTs: 1000,
      expire: 600,
      salt: 7,
      services: [
        { type: 2, privileges: { 1: 600 }, userId: 'u' },
        { type: 1, privileges: { 1: 600, 2: 600 }, channelName: 'ch', uid: '42' },
      ],
    });
    expect(parseAccessToken2(token).services.map((s) => s.type)).toEqual([1, 2]);
    expect(verifyRtmToken(token, { appId, appCertificate, userId: 'u', nowMs: 1_000_000 }).ok).toBe(true);
  });

  test('a service type without a known layout after RTM is carried along and still verifies', () => {
    const info = new ByteWriter().bytes(appId).u32(1000).u32(600).u32(7).u16(2);
    info.u16(2).map({ 1: 600 }).bytes('u');
    info.u16(8).map({ 1: 600 }).bytes('opaque');
    const signingInfo = info.toBuffer();
    const signature = sign2(appCertificate, 1000, 7, signingInfo);
    const token = encode007(new ByteWriter().bytes(signature).raw(signingInfo).toBuffer());
    expect(parseAccessToken2(token).unparsedServices).toBe(1);
    expect(verifyRtmToken(token, { appId, appCertificate, userId: 'u', nowMs: 1_000_000 }).ok).toBe(true);
  });

  test('truncated', () => {
    for (const cut of [1, 4, 20, 60]) {
      expect(verifyRtmToken(V4.token.slice(0, -cut), at007)).toEqual({
        ok: false,
        reason: 'malformed',
        format: '007',
      });
    }
    // Valid zlib around a cut payload.
    const inflated = parseAccessToken2(V4.token);
    const content = new ByteWriter()
      .bytes(inflated.signature)
      .raw(inflated.signingInfo.subarray(0, 50))
      .toBuffer();
    expect(verifyRtmToken(encode007(content), at007)).toEqual({
      ok: false,
      reason: 'malformed',
      format: '007',
    });
  });

  test('bad base64 and non-zlib bodies', () => {
    for (const body of [
      '!!!!',
      V4.token.slice(3).replace('J', '*'),
      'AAAA',
      Buffer.from('hello').toString('base64'),
    ]) {
      expect(verifyRtmToken(`007${body}`, at007)).toEqual({ ok: false, reason: 'malformed', format: '007' });
    }
  });

  test('zlib bomb is refused', () => {
    const bomb = '007' + deflateSync(Buffer.alloc(10_000_000)).toString('base64');
    expect(verifyRtmToken(bomb, at007)).toEqual({ ok: false, reason: 'malformed', format: '007' });
  });
});

describe('failure reasons, common', () => {
  test('wrong version prefix', () => {
    for (const token of ['005' + V1.token.slice(3), '008' + V4.token.slice(3), V4.token.slice(1), S2.token]) {
      expect(verifyRtmToken(token, at007)).toEqual({ ok: false, reason: 'malformed' });
    }
    expect(verifySignalingToken('2' + S2.token.slice(1), atSignaling)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verifySignalingToken(V1.token, atSignaling)).toEqual({ ok: false, reason: 'malformed' });
  });

  test('malformed junk', () => {
    const junk = ['', ' ', '006', '007', '0', 'hello world', '006' + appId, '007eJ', '1:', '1:::', '\u0000'];
    for (const token of junk) {
      expect(verifyRtmToken(token, at006)).toMatchObject({ ok: false, reason: 'malformed' });
      expect(verifySignalingToken(token, atSignaling)).toMatchObject({ ok: false, reason: 'malformed' });
    }
    for (const notAString of [undefined, null, 42, {}, ['006']]) {
      expect(verifyRtmToken(notAString as unknown as string, at006)).toEqual({
        ok: false,
        reason: 'malformed',
      });
      expect(verifySignalingToken(notAString as unknown as string, atSignaling)).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
  });

  test('parsers throw TokenFormatError', () => {
    expect(() => parseAccessToken006('junk')).toThrow(TokenFormatError);
    expect(() => parseAccessToken006(V1.token.slice(0, 50))).toThrow(TokenFormatError);
    expect(() => parseAccessToken2('007!!')).toThrow(TokenFormatError);
    expect(() => parseAccessToken2(V4.token.slice(0, 40))).toThrow(TokenFormatError);
    expect(() => parseSignalingToken('1:x:1:y')).toThrow(TokenFormatError);
  });
});

describe('failure reasons, Signaling', () => {
  test('wrong app id', () => {
    expect(verifySignalingToken(S2.token, { ...atSignaling, appId: OTHER_APP_ID })).toEqual({
      ok: false,
      reason: 'wrong_app_id',
      format: 'signaling',
    });
  });

  test('wrong certificate and other account are both bad signatures (the token names no account)', () => {
    for (const change of [{ appCertificate: OTHER_CERT }, { account: 'someone_else' }]) {
      expect(verifySignalingToken(S2.token, { ...atSignaling, ...change })).toEqual({
        ok: false,
        reason: 'bad_signature',
        format: 'signaling',
      });
    }
  });

  test('tampered expiry is a bad signature', () => {
    const tampered = S2.token.replace(`:${S2.expiredTs}:`, `:${S2.expiredTs + 1}:`);
    expect(verifySignalingToken(tampered, atSignaling)).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  test('expired', () => {
    expect(verifySignalingToken(S2.token, { ...atSignaling, nowMs: S2.expiredTs * 1000 + 1 })).toEqual({
      ok: false,
      reason: 'expired',
      format: 'signaling',
    });
  });

  test('malformed', () => {
    for (const token of [
      S2.token.slice(0, -1),
      `${S2.token}0`,
      S2.token.replace(/:/g, ';'),
      `${S2.token}:x`,
    ]) {
      expect(verifySignalingToken(token, atSignaling)).toEqual({ ok: false, reason: 'malformed' });
    }
  });
});

describe('round trip with production defaults', () => {
  const user = 'alice-🚀';

  test('006', () => {
    const now = Date.now();
    const token = buildRtmToken006(appId, appCertificate, user, 0);
    const parsed = parseAccessToken006(token);
    expect(parsed.salt).toBeGreaterThanOrEqual(1);
    expect(parsed.salt).toBeLessThanOrEqual(99_999_999);
    expect(parsed.ts * 1000).toBeGreaterThanOrEqual(Math.floor(now / 1000) * 1000 + 86_400_000);
    const result = verifyRtmToken(token, { appId, appCertificate, userId: user });
    expect(result).toEqual({ ok: true, format: '006', expiresAtMs: parsed.ts * 1000 });
  });

  test('007', () => {
    const token = buildRtmToken007(appId, appCertificate, user, 3600);
    const parsed = parseAccessToken2(token);
    expect(Math.abs(parsed.issueTs * 1000 - Date.now())).toBeLessThan(5000);
    expect(verifyRtmToken(token, { appId, appCertificate, userId: user })).toEqual({
      ok: true,
      format: '007',
      expiresAtMs: (parsed.issueTs + 3600) * 1000,
    });
    expect(verifyRtmToken(token, { appId, appCertificate, userId: 'alice' }).ok).toBe(false);
  });

  test('Signaling', () => {
    const expiredTs = Math.floor(Date.now() / 1000) + 60;
    const token = buildSignalingToken(appId, appCertificate, user, expiredTs);
    expect(verifySignalingToken(token, { appId, appCertificate, account: user })).toEqual({
      ok: true,
      format: 'signaling',
      expiresAtMs: expiredTs * 1000,
    });
  });
});

describe('builder input checks', () => {
  test('bad App ID, empty certificate or user, out-of-range integers are refused', () => {
    expect(() => buildRtmToken006('short', appCertificate, 'u', 0)).toThrow(TypeError);
    expect(() => buildRtmToken007(`${appId.slice(0, 31)}:`, appCertificate, 'u', 60)).toThrow(TypeError);
    expect(() => buildSignalingToken(appId, '', 'u', 60)).toThrow(TypeError);
    expect(() => buildRtmToken007(appId, appCertificate, '', 60)).toThrow(TypeError);
    expect(() => buildRtmToken006(appId, appCertificate, 'u', -1)).toThrow(RangeError);
    expect(() => buildRtmToken007(appId, appCertificate, 'u', 2 ** 32)).toThrow(RangeError);
    expect(() => buildRtmToken007(appId, appCertificate, 'u', 1.5)).toThrow(RangeError);
    expect(() => buildSignalingToken(appId, appCertificate, 'u', -1)).toThrow(RangeError);
  });

  test('a 007 token needs a service', () => {
    expect(() =>
      buildAccessToken2({ appId, appCertificate, issueTs: 1, expire: 1, salt: 1, services: [] }),
    ).toThrow(TypeError);
  });
});
