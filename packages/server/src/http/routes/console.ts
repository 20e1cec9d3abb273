import cookie from '@fastify/cookie';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../logger.js';
import {
  clearSession,
  FailedLogins,
  isOperatorName,
  LOGIN_WINDOW_MS,
  operatorOf,
  setSession,
} from '../console-auth.js';
import { CONSOLE_FILES, consolePage, loginPage } from '../console-page.js';
import { HttpError, sendText } from '../errors.js';
import type { RestServices } from '../rest-services.js';
import { SdkFiles } from '../sdk-files.js';
import { consoleApiRoutes } from './console-api.js';

const HOW_TO_ENABLE =
  'the web console is disabled: start the server with --admin-password <secret> (PARLEY_ADMIN_PASSWORD, config "adminPassword") to enable it at /console/';

/** Largest login form, bytes. */
const FORM_BYTES = 4096;

/**
 * The web console (docs/console.md): /console/ is the login form, or the app once the session
 * cookie is there; /console/assets/* its bundle; /console/api/* (console-api.ts) its data and
 * actions. Nothing past the login form is served without a valid cookie. Without an admin
 * password all of /console answers 404 and the log says how to enable it.
 */
export const consoleRoutes: FastifyPluginAsync<{ services: RestServices; log: Logger }> = async (
  app,
  { services, log },
) => {
  const svc = services.console;
  if (!svc) {
    log.info(HOW_TO_ENABLE);
    const off = async (_request: FastifyRequest, reply: FastifyReply) =>
      sendText(reply, 404, `${HOW_TO_ENABLE}\n`);
    // Every method: not operations of the API (the OpenAPI document leaves such catch-alls out).
    app.all('/console', off);
    app.all('/console/*', off);
    return;
  }
  await app.register(cookie, { secret: svc.cookieSecret });
  const failures = new FailedLogins();
  const files = new SdkFiles(
    (name, err) => log.error({ err, file: name }, 'console file could not be read'),
    CONSOLE_FILES,
  );

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_BYTES },
    (_request, text, done) => done(null, Object.fromEntries(new URLSearchParams(text as string))),
  );

  const html = (reply: FastifyReply, status: number, body: string) =>
    reply
      .code(status)
      .headers({
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy':
          "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        'x-frame-options': 'DENY',
      })
      .send(body);

  app.get('/console', { schema: { summary: 'Redirects to /console/' } }, async (_request, reply) =>
    reply.redirect('/console/', 301),
  );
  app.get(
    '/console/',
    { schema: { summary: 'The console: the login form, or the app when logged in' } },
    async (request, reply) => {
      const op = operatorOf(request);
      return html(reply, 200, op ? consolePage() : loginPage(''));
    },
  );

  app.post(
    '/console/login',
    {
      schema: {
        summary: 'Log in to the console (form: name, password); sets the session cookie',
        security: [],
        body: {
          type: 'object',
          properties: { name: { type: 'string' }, password: { type: 'string' } },
        },
      },
    },
    async (request, reply) => {
      const address = request.ip;
      if (failures.blocked(address)) {
        log.warn({ address }, 'console login refused: too many failed logins');
        reply.header('retry-after', String(LOGIN_WINDOW_MS / 1000));
        return html(reply, 429, loginPage('Too many failed logins from this address: wait a minute.'));
      }
      const { name = '', password = '' } = (request.body ?? {}) as Record<string, string>;
      const operator = name.trim();
      if (!isOperatorName(operator))
        return html(
          reply,
          400,
          loginPage('Give your name (1-64 letters, digits, . _ - @): actions are logged with it.'),
        );
      if (!svc.checkPassword(password)) {
        failures.failed(address);
        log.warn({ address, operator }, 'console login failed: wrong password');
        return html(reply, 401, loginPage('Wrong password.'));
      }
      setSession(request, reply, operator);
      log.info({ address, operator }, 'console login');
      return reply.redirect('/console/', 303);
    },
  );

  app.post(
    '/console/logout',
    { schema: { summary: 'Log out: clears the session cookie', security: [] } },
    async (_request, reply) => {
      clearSession(reply);
      return reply.redirect('/console/', 303);
    },
  );

  app.get(
    '/console/assets/*',
    { schema: { summary: "The console's script and style sheet", security: [{ consoleSession: [] }] } },
    async (request, reply) => {
      if (!operatorOf(request)) throw new HttpError(401, 'unauthorized', 'log in at /console/ first');
      const name = (request.params as { '*': string })['*'];
      const a = await files.answer(name, request.headers['if-none-match']);
      return reply.code(a.status).headers(a.headers).send(a.body);
    },
  );

  await app.register(consoleApiRoutes, { services, console: svc, log });
};
