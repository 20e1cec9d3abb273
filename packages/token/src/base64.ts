import { TokenFormatError } from './errors.js';

// Buffer.from(s, 'base64') silently skips invalid characters, so junk could decode to a "valid" token.
const STANDARD_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict standard-alphabet base64 (padding optional, since some transports strip it). */
export function decodeBase64(text: string): Buffer {
  const unpadded = text.replace(/=+$/, '');
  const validPadding = text.length % 4 === 0 || text === unpadded;
  if (!STANDARD_BASE64.test(text) || !validPadding || unpadded.length % 4 === 1) {
    throw new TokenFormatError('token body is not valid base64');
  }
  return Buffer.from(text, 'base64');
}
