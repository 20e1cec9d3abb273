import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HistoryFilter } from '../../ports/message-history-store.js';

/** What a handle carries: the query, who made it, until when it opens. */
export interface HandleContent {
  appId: string;
  filter: HistoryFilter;
  /** the token caller who made it (null: any caller of the app) */
  uid: string | null;
  /** ms since epoch */
  expiresAt: number;
}

/**
 * History query handles are self-describing and signed (HMAC-SHA256 under the deployment's
 * key): any node opens one without shared query state, and a caller cannot forge or extend one.
 * The query runs when the handle is read. Format: base64url(JSON) "." base64url(MAC).
 */
export function makeHandle(key: Buffer, c: HandleContent): string {
  const body = Buffer.from(JSON.stringify([c.appId, c.filter, c.uid, c.expiresAt])).toString('base64url');
  return `${body}.${mac(key, body)}`;
}

/** The content of a genuine handle, or null (not ours, altered, or not a handle at all). */
export function openHandle(key: Buffer, handle: string): HandleContent | null {
  const dot = handle.indexOf('.');
  if (dot < 1) return null;
  const body = handle.slice(0, dot);
  const given = Buffer.from(handle.slice(dot + 1), 'base64url');
  const expected = Buffer.from(mac(key, body), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const [appId, filter, uid, expiresAt] = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  return { appId, filter, uid, expiresAt };
}

function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}
