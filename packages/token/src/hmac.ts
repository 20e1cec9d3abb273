import { createHash, createHmac } from 'node:crypto';

export function hmacSha256(key: Uint8Array | string, data: Uint8Array | string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}
