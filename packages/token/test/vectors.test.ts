import { inflateSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import {
  buildAccessToken006,
  buildRtmToken006,
  buildRtmToken007,
  buildSignalingToken,
  parseAccessToken2,
  parseAccessToken006,
  verifyRtmToken,
  verifySignalingToken,
} from '../src/index.js';
import { crc32 } from '../src/crc32.js';
import { appCertificate, appId, vectors } from './official-vectors.js';

const KNOWN_KEYS = [
  'about',
  'appId',
  'appCertificate',
  'rtm006',
  'rtc006_container_checks',
  'rtm007',
  'signaling',
];

function numericKeys(privileges: Record<string, number>): Record<number, number> {
  return Object.fromEntries(Object.entries(privileges).map(([k, v]) => [Number(k), v]));
}

test('every section of tokens.json is covered by this suite', () => {
  expect(Object.keys(vectors).sort()).toEqual([...KNOWN_KEYS].sort());
  expect(vectors.rtm006.length).toBeGreaterThan(0);
  expect(vectors.rtm007.length).toBeGreaterThan(0);
  expect(vectors.signaling.length).toBeGreaterThan(0);
});

test('CRC-32 check values from the spec', () => {
  expect(crc32('test_user')).toBe(2297101446);
  expect(crc32('')).toBe(0);
  expect(crc32('2882341273')).toBe(3847331927);
});

describe.each(vectors.rtm006)('RTM 006 vector $id', (v) => {
  test('is reproduced byte for byte', () => {
    const token = buildRtmToken006(appId, appCertificate, v.account, v.loginPrivilegeTs, {
      salt: v.salt,
      ts: v.ts,
    });
    expect(token).toBe(v.token);
    expect(token).toHaveLength(115);
  });

  test('parses to its inputs', () => {
    const parsed = parseAccessToken006(v.token);
    expect(parsed).toMatchObject({ version: '006', appId, salt: v.salt, ts: v.ts, crcUid: 0 });
    expect(parsed.crcChannelName).toBe(crc32(v.account));
    expect(parsed.privileges).toEqual({ 1000: v.loginPrivilegeTs });
    expect(parsed.signature).toHaveLength(32);
  });

  test('verifies until its ts, whatever the login privilege value', () => {
    const expect006 = { appId, appCertificate, userId: v.account };
    expect(verifyRtmToken(v.token, { ...expect006, nowMs: v.ts * 1000 })).toEqual({
      ok: true,
      format: '006',
      expiresAtMs: v.ts * 1000,
    });
    expect(verifyRtmToken(v.token, { ...expect006, nowMs: v.ts * 1000 + 1 })).toEqual({
      ok: false,
      reason: 'expired',
      format: '006',
    });
  });
});

describe.each(vectors.rtc006_container_checks)('generic 006 container vector $id', (v) => {
  test('is reproduced byte for byte', () => {
    const privileges = numericKeys(v.privileges);
    const token = buildAccessToken006({
      appId,
      appCertificate,
      channelName: v.channel,
      uid: v.uid,
      salt: v.salt,
      ts: v.ts,
      privileges,
    });
    expect(token).toBe(v.token);
    expect(parseAccessToken006(v.token)).toMatchObject({ salt: v.salt, ts: v.ts, privileges });
  });

  test('is not accepted as an RTM login (no kRtmLogin privilege, or signed for a uid)', () => {
    const result = verifyRtmToken(v.token, { appId, appCertificate, userId: v.channel, nowMs: v.ts * 1000 });
    expect(result).toEqual({
      ok: false,
      reason: v.uid === '' ? 'no_privilege' : 'bad_signature',
      format: '006',
    });
  });
});

const canonical007 = vectors.rtm007.filter((v) => v.encoder === 'canonical');

describe.each(canonical007)('RTM 007 canonical vector $id', (v) => {
  test('is reproduced byte for byte (pako = canonical zlib)', () => {
    const token = buildRtmToken007(appId, appCertificate, v.userId, v.expire, {
      salt: v.salt,
      issueTs: v.issueTs,
    });
    expect(token).toBe(v.token);
    expect(token.startsWith('007eJ')).toBe(true);
  });
});

describe.each(vectors.rtm007)('RTM 007 vector $id ($encoder)', (v) => {
  test('parses to its inputs', () => {
    const parsed = parseAccessToken2(v.token);
    expect(parsed).toMatchObject({
      version: '007',
      appId,
      issueTs: v.issueTs,
      expire: v.expire,
      salt: v.salt,
      unparsedServices: 0,
    });
    expect(parsed.services).toEqual([{ type: 2, privileges: { 1: v.expire }, userId: v.userId }]);
  });

  test('carries the same payload as the canonical encoding', () => {
    const reference = canonical007For(v.userId);
    expect(inflateSync(Buffer.from(v.token.slice(3), 'base64'))).toEqual(
      inflateSync(Buffer.from(reference.token.slice(3), 'base64')),
    );
  });

  test('verifies from issueTs to issueTs + expire', () => {
    const base = { appId, appCertificate, userId: v.userId };
    const endMs = (v.issueTs + v.expire) * 1000;
    expect(verifyRtmToken(v.token, { ...base, nowMs: v.issueTs * 1000 })).toEqual({
      ok: true,
      format: '007',
      expiresAtMs: endMs,
    });
    expect(verifyRtmToken(v.token, { ...base, nowMs: endMs }).ok).toBe(true);
    expect(verifyRtmToken(v.token, { ...base, nowMs: endMs + 1 })).toEqual({
      ok: false,
      reason: 'expired',
      format: '007',
    });
  });
});

function canonical007For(userId: string) {
  const found = canonical007.find((c) => c.userId === userId);
  if (!found) throw new Error(`no canonical 007 vector for ${userId}`);
  return found;
}

describe.each(vectors.signaling)('Signaling vector $id', (v) => {
  test('is reproduced byte for byte', () => {
    expect(buildSignalingToken(v.appId, v.appCertificate, v.account, v.expiredTs)).toBe(v.token);
  });

  test('verifies until expiredTs', () => {
    const base = { appId: v.appId, appCertificate: v.appCertificate, account: v.account };
    expect(verifySignalingToken(v.token, { ...base, nowMs: v.expiredTs * 1000 })).toEqual({
      ok: true,
      format: 'signaling',
      expiresAtMs: v.expiredTs * 1000,
    });
    expect(verifySignalingToken(v.token, { ...base, nowMs: v.expiredTs * 1000 + 1 })).toEqual({
      ok: false,
      reason: 'expired',
      format: 'signaling',
    });
  });
});
