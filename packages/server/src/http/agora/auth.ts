import type { FastifyRequest } from 'fastify';
import type { RestServices } from '../rest-services.js';
import { agoraError } from './errors.js';

/** Who a request acts for: `uid` null = any user (customer credentials, an open app, development mode). */
export interface Principal {
  uid: string | null;
}

const ANYONE: Principal = { uid: null };
const CREDENTIALS =
  'Authorization: Basic base64(customerId:customerSecret), or x-agora-token with x-agora-uid, required';

/**
 * Agora's two ways in (docs/rest-api.md): Basic with customer credentials (any user), or an RTM
 * token of the app with the uid it was built for (`x-agora-token` + `x-agora-uid`, or
 * `Authorization: agora token=<token>` + `x-agora-uid`): that user only. Credentials are needed
 * when the app has a certificate or the server has customer credentials; development mode and
 * open apps without customers need none, as for /api/v1. Throws 404 / 401.
 */
export function authenticate(services: RestServices, request: FastifyRequest, appId: string): Principal {
  if (services.devMode) return ANYONE;
  const app = services.app(appId);
  if (!app) throw agoraError(404, 'unknown_app', 'no such app on this server');
  if (!app.appCertificate && !services.hasCustomers) return ANYONE;
  const authz = request.headers.authorization ?? '';
  const basic = /^basic\s+(\S+)\s*$/i.exec(authz);
  if (basic) {
    const pair = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    const ok = colon > 0 && services.customerValid(pair.slice(0, colon), pair.slice(colon + 1));
    if (!ok) throw unauthorized('Invalid authentication credentials');
    return ANYONE;
  }
  const token = header(request, 'x-agora-token') ?? /^agora\s+token=(\S+)\s*$/i.exec(authz)?.[1];
  const uid = header(request, 'x-agora-uid');
  if (token === undefined && uid === undefined) throw unauthorized(CREDENTIALS);
  if (token === undefined || uid === undefined)
    throw unauthorized('x-agora-token and x-agora-uid go together');
  if (!services.tokenValid(appId, uid, token)) throw unauthorized('Invalid authentication credentials');
  return { uid };
}

/** A token caller acting for another user: 403. */
export function requireSelf(p: Principal, uid: string): void {
  if (p.uid !== null && p.uid !== uid)
    throw agoraError(403, 'forbidden', `the token is for "${p.uid}": it may send only as that user`);
}

function unauthorized(message: string) {
  const e = agoraError(401, 'unauthorized', message);
  e.headers['www-authenticate'] = 'Basic realm="agora"';
  return e;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
