import { assertU32 } from './binary.js';

export { assertU32 };

/**
 * 006 tokens and Signaling tokens embed the App ID as fixed-width / ':'-separated text, so builders
 * only accept the 32 alphanumeric characters Agora (and Parley) App IDs are made of.
 */
export const APP_ID_PATTERN = /^[0-9A-Za-z]{32}$/;

export function assertAppId(appId: string): void {
  if (typeof appId !== 'string' || !APP_ID_PATTERN.test(appId)) {
    throw new TypeError('appId must be 32 characters [0-9A-Za-z]');
  }
}

export function assertNonEmpty(name: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(`${name} must be a non-empty string`);
}
