import { decodeBase64 } from './base64.js';
import { ByteReader, ByteWriter } from './binary.js';
import { crc32 } from './crc32.js';
import { TokenFormatError } from './errors.js';
import { hmacSha256 } from './hmac.js';
import { APP_ID_PATTERN, assertAppId, assertNonEmpty, assertU32 } from './validate.js';

const VERSION = '006';
const APP_ID_END = VERSION.length + 32;

/** 006 privilege keys (AccessToken.kJoinChannel … kRtmLogin). */
export const Privilege006 = {
  joinChannel: 1,
  publishAudioStream: 2,
  publishVideoStream: 3,
  publishDataStream: 4,
  administrateChannel: 101,
  rtmLogin: 1000,
} as const;

export type AccessToken006 = {
  version: '006';
  appId: string;
  signature: Buffer;
  /** CRC-32 of the channel name; RTM tokens carry the user account here. */
  crcChannelName: number;
  /** CRC-32 of the uid string; RTM tokens use uid "" so this is 0. */
  crcUid: number;
  salt: number;
  /** Absolute Unix seconds at which the token itself stops being valid (builders: now + 24 h). */
  ts: number;
  /** Privilege key → value (for kRtmLogin: the absolute privilegeExpiredTs). */
  privileges: Record<number, number>;
  /** The signed message bytes `u32(salt) || u32(ts) || map(privileges)`, kept raw for verification. */
  message: Buffer;
};

export type AccessToken006Input = {
  appId: string;
  appCertificate: string;
  channelName: string;
  /** 0 is written as "" like every reference builder; RTM uses "". */
  uid: string | number;
  salt: number;
  ts: number;
  privileges: Record<number, number>;
};

export function uidString006(uid: string | number): string {
  return uid === 0 ? '' : String(uid);
}

/** HMAC-SHA256(cert, appId || channelName || uid || message): plain concatenation, certificate as text. */
export function sign006(
  appCertificate: string,
  appId: string,
  channelName: string,
  uid: string,
  message: Uint8Array,
): Buffer {
  const data = Buffer.concat([Buffer.from(appId + channelName + uid, 'utf8'), message]);
  return hmacSha256(appCertificate, data);
}

/** Generic 006 AccessToken builder (RTC or RTM), deterministic given salt and ts. */
export function buildAccessToken006(input: AccessToken006Input): string {
  assertAppId(input.appId);
  assertNonEmpty('appCertificate', input.appCertificate);
  assertU32('salt', input.salt);
  assertU32('ts', input.ts);
  const uid = uidString006(input.uid);
  const message = new ByteWriter().u32(input.salt).u32(input.ts).map(input.privileges).toBuffer();
  const signature = sign006(input.appCertificate, input.appId, input.channelName, uid, message);
  const content = new ByteWriter()
    .bytes(signature)
    .u32(crc32(input.channelName))
    .u32(crc32(uid))
    .bytes(message)
    .toBuffer();
  return VERSION + input.appId + content.toString('base64');
}

/** Parses a 006 token; throws TokenFormatError on anything that is not exactly that layout. */
export function parseAccessToken006(token: string): AccessToken006 {
  if (typeof token !== 'string' || !token.startsWith(VERSION)) throw new TokenFormatError('not a 006 token');
  const appId = token.slice(VERSION.length, APP_ID_END);
  if (!APP_ID_PATTERN.test(appId)) throw new TokenFormatError('006 token has no valid App ID');

  const content = new ByteReader(decodeBase64(token.slice(APP_ID_END)));
  const signature = content.bytes();
  const crcChannelName = content.u32();
  const crcUid = content.u32();
  const message = content.bytes();
  content.expectEnd('006 content');

  const fields = new ByteReader(message);
  const salt = fields.u32();
  const ts = fields.u32();
  const privileges = fields.map();
  fields.expectEnd('006 message');

  return { version: VERSION, appId, signature, crcChannelName, crcUid, salt, ts, privileges, message };
}
