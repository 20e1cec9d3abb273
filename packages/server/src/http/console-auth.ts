import type { FastifyReply, FastifyRequest } from 'fastify';
import { SlidingWindow } from '../kernel/sliding-window.js';

/** The console's session cookie: signed (@fastify/cookie), HttpOnly, SameSite=Strict, path /console. */
export const COOKIE = 'parley_console';
/** How long a console login lasts, s. */
export const SESSION_S = 8 * 3600;
/** Failed logins allowed per client address in any LOGIN_WINDOW_MS; more get 429 until the window moves on. */
export const FAILED_LOGINS = 5;
export const LOGIN_WINDOW_MS = 60_000;
/** Addresses whose failures are remembered at once (oldest forgotten first), against memory growth. */
const MAX_ADDRESSES = 10_000;

/** Who is logged in to the console: the name given at login, and until when (ms). */
export interface Operator {
  name: string;
  expires: number;
}

/** An operator name: what the login form takes and action logs show. */
export const isOperatorName = (s: string) => /^[\w.@-]{1,64}$/.test(s);

/** Writes the signed session cookie for `name`. */
export function setSession(request: FastifyRequest, reply: FastifyReply, name: string): void {
  const value = JSON.stringify({ name, expires: Date.now() + SESSION_S * 1000 } satisfies Operator);
  reply.setCookie(COOKIE, Buffer.from(value).toString('base64url'), {
    signed: true,
    httpOnly: true,
    sameSite: 'strict',
    path: '/console',
    maxAge: SESSION_S,
    secure: request.protocol === 'https',
  });
}

export function clearSession(reply: FastifyReply): void {
  reply.clearCookie(COOKIE, { path: '/console' });
}

/**
 * The operator of the request's session cookie, or null: no cookie, a bad signature (another
 * password, a forged value) or an expired session. The expiry is inside the signed value, so a
 * client keeping the cookie longer than its Max-Age gains nothing.
 */
export function operatorOf(request: FastifyRequest): Operator | null {
  const raw = request.cookies[COOKIE];
  if (!raw) return null;
  const u = request.unsignCookie(raw);
  if (!u.valid || u.value === null) return null;
  try {
    const o = JSON.parse(Buffer.from(u.value, 'base64url').toString()) as Partial<Operator>;
    if (typeof o.name !== 'string' || typeof o.expires !== 'number' || o.expires <= Date.now()) return null;
    return { name: o.name, expires: o.expires };
  } catch {
    return null;
  }
}

/** Failed console logins per client address (a sliding window each). */
export class FailedLogins {
  private readonly byAddress = new Map<string, SlidingWindow>();

  /** Whether `address` used up its failures: its next attempt is refused unchecked. */
  blocked(address: string, now = Date.now()): boolean {
    return this.byAddress.get(address)?.full(now) ?? false;
  }

  failed(address: string, now = Date.now()): void {
    let w = this.byAddress.get(address);
    if (!w) {
      if (this.byAddress.size >= MAX_ADDRESSES) this.byAddress.delete(this.byAddress.keys().next().value!);
      this.byAddress.set(address, (w = new SlidingWindow(FAILED_LOGINS, LOGIN_WINDOW_MS)));
    }
    w.take(now);
  }
}
