import { LoginError, RenewTokenError, isValidAppId } from '@parley/protocol';
import { verifyRtmToken, verifySignalingToken, type TokenCheck } from '@parley/token';
import type { AppConfig } from '../config.js';

export type AuthResult = { code: 0; app: AppConfig | undefined; expiresAt: number | null } | { code: number };

/** Signaling's "no token" marker, accepted only for Signaling logins to apps without certificate. */
export const NO_NEED_TOKEN = '_no_need_token';

/**
 * Decides whether a login may proceed (rules in docs/security.md):
 * no apps configured = development mode; unknown App ID → 4; app with certificate → token
 * required (malformed/forged/other user → 5, expired → 6); app without certificate → the token is
 * ignored. Signaling tokens and `_no_need_token` count only for `kind: 'signaling'`.
 */
export class Authenticator {
  private readonly apps = new Map<string, AppConfig>();

  constructor(apps: AppConfig[]) {
    for (const a of apps) this.apps.set(a.appId, a);
  }

  get devMode(): boolean {
    return this.apps.size === 0;
  }

  app(appId: string): AppConfig | undefined {
    return this.apps.get(appId);
  }

  login(
    appId: string,
    uid: string,
    token: string | undefined,
    kind: 'rtm' | 'signaling',
    nowMs = Date.now(),
  ): AuthResult {
    if (!isValidAppId(appId)) return { code: LoginError.INVALID_APP_ID };
    if (this.devMode) return { code: 0, app: undefined, expiresAt: null };
    const app = this.apps.get(appId);
    if (!app) return { code: LoginError.INVALID_APP_ID };
    if (!app.appCertificate) return { code: 0, app, expiresAt: null };
    const tok = normalizeToken(token, appId, kind);
    if (tok === undefined) return { code: LoginError.INVALID_TOKEN };
    const check = verify(tok, app.appCertificate, appId, uid, kind, nowMs);
    if (check.ok) return { code: 0, app, expiresAt: check.expiresAtMs };
    return { code: check.reason === 'expired' ? LoginError.TOKEN_EXPIRED : LoginError.INVALID_TOKEN };
  }

  /** Checks a renewal token exactly like a login token, for the same user (RenewTokenError codes). */
  renew(
    appId: string,
    uid: string,
    token: string,
    kind: 'rtm' | 'signaling',
    nowMs = Date.now(),
  ): { code: number; expiresAt: number | null } {
    const app = this.apps.get(appId);
    if (this.devMode || !app?.appCertificate) return { code: 0, expiresAt: null };
    const tok = normalizeToken(token, appId, kind);
    if (tok === undefined) return { code: RenewTokenError.INVALID_TOKEN, expiresAt: null };
    const check = verify(tok, app.appCertificate, appId, uid, kind, nowMs);
    if (check.ok) return { code: 0, expiresAt: check.expiresAtMs };
    return {
      code: check.reason === 'expired' ? RenewTokenError.TOKEN_EXPIRED : RenewTokenError.INVALID_TOKEN,
      expiresAt: null,
    };
  }
}

/** An empty token, the App ID itself (as in Agora's SDK) or Signaling's `_no_need_token` mean "no token". */
function normalizeToken(
  token: string | undefined,
  appId: string,
  kind: 'rtm' | 'signaling',
): string | undefined {
  if (token === undefined || token === '' || token === appId) return undefined;
  if (kind === 'signaling' && token === NO_NEED_TOKEN) return undefined;
  return token;
}

function verify(
  token: string,
  cert: string,
  appId: string,
  uid: string,
  kind: 'rtm' | 'signaling',
  nowMs: number,
): TokenCheck {
  if (kind === 'signaling' && token.startsWith('1:'))
    return verifySignalingToken(token, { appId, appCertificate: cert, account: uid, nowMs });
  return verifyRtmToken(token, { appId, appCertificate: cert, userId: uid, nowMs });
}
