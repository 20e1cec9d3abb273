import { inflateSync } from 'node:zlib';
import { deflate } from 'pako';
import { decodeBase64 } from './base64.js';
import { ByteReader, ByteWriter } from './binary.js';
import { TokenFormatError } from './errors.js';
import { hmacSha256 } from './hmac.js';
import { assertAppId, assertNonEmpty, assertU32 } from './validate.js';

const VERSION = '007';
// Real tokens inflate to a few hundred bytes; the cap stops a tiny zlib bomb from allocating megabytes.
const MAX_INFLATED_BYTES = 64 * 1024;

export const ServiceType = { rtc: 1, rtm: 2, streaming: 3, fpa: 4, chat: 5, apaas: 7 } as const;

/** ServiceRtm.kPrivilegeLogin */
export const RTM_PRIVILEGE_LOGIN = 1;

type Privileges = Record<number, number>;

/** A service with its privileges (values are seconds relative to issueTs) and its type-specific body. */
export type Service2 =
  | { type: 1 | 3; privileges: Privileges; channelName: string; uid: string }
  | { type: 2 | 5; privileges: Privileges; userId: string }
  | { type: 4; privileges: Privileges }
  | { type: 7; privileges: Privileges; roomUuid: string; userUuid: string; role: number };

export type AccessToken2 = {
  version: '007';
  appId: string;
  issueTs: number;
  /** Token validity in seconds after issueTs. */
  expire: number;
  salt: number;
  /** Services in token order (ascending type). */
  services: Service2[];
  /**
   * Services left unparsed from the first type this parser has no body layout for (FCDN, RTM2…).
   * They carry no length prefix, so parsing stops there; the signature still covers them.
   */
  unparsedServices: number;
  signature: Buffer;
  /** Everything after the signature, exactly as signed. */
  signingInfo: Buffer;
};

export type AccessToken2Input = {
  appId: string;
  appCertificate: string;
  issueTs: number;
  expire: number;
  salt: number;
  services: Service2[];
};

/** k1 = HMAC(u32(issueTs), cert); k2 = HMAC(u32(salt), k1); signature = HMAC(k2, signingInfo). */
export function sign2(
  appCertificate: string,
  issueTs: number,
  salt: number,
  signingInfo: Uint8Array,
): Buffer {
  const k1 = hmacSha256(new ByteWriter().u32(issueTs).toBuffer(), Buffer.from(appCertificate, 'utf8'));
  const k2 = hmacSha256(new ByteWriter().u32(salt).toBuffer(), k1);
  return hmacSha256(k2, signingInfo);
}

function writeService(out: ByteWriter, service: Service2): void {
  out.u16(service.type).map(service.privileges);
  switch (service.type) {
    case 1:
    case 3:
      out.bytes(service.channelName).bytes(service.uid);
      break;
    case 2:
    case 5:
      out.bytes(service.userId);
      break;
    case 4:
      break;
    case 7:
      out.bytes(service.roomUuid).bytes(service.userUuid).i16(service.role);
      break;
  }
}

/** Returns null for a type whose body layout is unknown. */
function readService(input: ByteReader, type: number): Service2 | null {
  if (!Object.values(ServiceType).includes(type as never)) return null;
  const privileges = input.map();
  switch (type) {
    case 1:
    case 3:
      return { type, privileges, channelName: input.string(), uid: input.string() };
    case 2:
    case 5:
      return { type, privileges, userId: input.string() };
    case 7:
      return { type, privileges, roomUuid: input.string(), userUuid: input.string(), role: input.i16() };
    default:
      return { type: 4, privileges };
  }
}

/**
 * Generic 007 AccessToken2 builder. Compresses with pako (canonical zlib) rather than node:zlib, whose
 * Chromium fork emits different (equally valid) bytes and would not reproduce the official vectors.
 */
export function buildAccessToken2(input: AccessToken2Input): string {
  assertAppId(input.appId);
  assertNonEmpty('appCertificate', input.appCertificate);
  assertU32('issueTs', input.issueTs);
  assertU32('expire', input.expire);
  assertU32('salt', input.salt);
  if (input.services.length === 0) throw new TypeError('a 007 token needs at least one service');

  // Array.prototype.sort is stable, matching the references' stable sort by service type.
  const services = [...input.services].sort((a, b) => a.type - b.type);
  const info = new ByteWriter()
    .bytes(input.appId)
    .u32(input.issueTs)
    .u32(input.expire)
    .u32(input.salt)
    .u16(services.length);
  for (const service of services) writeService(info, service);
  const signingInfo = info.toBuffer();

  const signature = sign2(input.appCertificate, input.issueTs, input.salt, signingInfo);
  const content = new ByteWriter().bytes(signature).raw(signingInfo).toBuffer();
  return VERSION + Buffer.from(deflate(content)).toString('base64');
}

function inflate(compressed: Buffer): Buffer {
  try {
    return inflateSync(compressed, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch {
    throw new TokenFormatError('007 token body is not a valid zlib stream');
  }
}

/** Parses a 007 token (any zlib encoder); throws TokenFormatError on malformed input. */
export function parseAccessToken2(token: string): AccessToken2 {
  if (typeof token !== 'string' || !token.startsWith(VERSION)) throw new TokenFormatError('not a 007 token');
  const content = new ByteReader(inflate(decodeBase64(token.slice(VERSION.length))));
  const signature = content.bytes();
  const signingInfo = content.rest();

  const info = new ByteReader(signingInfo);
  const appId = info.string();
  const issueTs = info.u32();
  const expire = info.u32();
  const salt = info.u32();
  const count = info.u16();
  const services: Service2[] = [];
  let unparsedServices = 0;
  for (let i = 0; i < count; i++) {
    const service = readService(info, info.u16());
    if (service === null) {
      unparsedServices = count - i;
      break;
    }
    services.push(service);
  }
  if (unparsedServices === 0) info.expectEnd('007 services');

  return {
    version: VERSION,
    appId,
    issueTs,
    expire,
    salt,
    services,
    unparsedServices,
    signature,
    signingInfo,
  };
}
