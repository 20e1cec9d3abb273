import {
  Op,
  RATE_LIMITS,
  RenewTokenError,
  encodeEvent,
  encodeResponse,
  isObj,
  isStr,
} from '@parley/protocol';
import type { SessionLayer } from './layer.js';
import type { Session } from './session.js';
import { scheduleTokenTimers } from './token-timers.js';

/** RenewToken (2 per second per session, Agora's limit) and the token's warning/expiry timers. */
export class TokenRenewal {
  constructor(private readonly layer: SessionLayer) {}

  renew(s: Session, reqId: number, body: unknown): void {
    const token = isObj(body) ? body.token : undefined;
    if (!isStr(token) || token === '')
      return void s.send(encodeResponse(reqId, RenewTokenError.INVALID_ARGUMENT, null));
    const rate = RATE_LIMITS.renew;
    if (!s.rates.take('renew', rate.count, rate.windowMs))
      return void s.send(encodeResponse(reqId, RenewTokenError.TOO_OFTEN, null));
    const r = this.layer.auth.renew(s.appId, s.uid, token, s.kind);
    if (r.code !== 0) return void s.send(encodeResponse(reqId, r.code, null));
    if (r.expiresAt !== null && r.expiresAt <= Date.now())
      return void s.send(encodeResponse(reqId, RenewTokenError.TOKEN_EXPIRED, null));
    s.tokenExpiresAt = r.expiresAt;
    this.armTimers(s);
    s.send(encodeResponse(reqId, 0, { tokenExpiresAt: r.expiresAt }));
  }

  /** (Re)arms the TokenWillExpire warning and the expiry that ends the session. */
  armTimers(s: Session): void {
    const { ending, log } = this.layer;
    scheduleTokenTimers(s, {
      warn: () => s.send(encodeEvent(Op.TokenWillExpire, { expiresAt: s.tokenExpiresAt })),
      expire: () =>
        void ending.end(s, 'TOKEN_EXPIRED').catch((e) => log.error({ err: e }, 'token expiry failed')),
    });
  }
}
