import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer } from '@parley/server/testing';
import { FAILED_LOGINS } from '../../src/http/console-auth.js';
import { ADMIN_PASSWORD, consoleLogin, loginForm } from '../console-client.js';
import { APP_ID, next, setup, until } from '../helpers.js';
import { signalingClients } from '../signaling-client.js';

/** A logger whose JSON lines the test reads. */
function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

/** A concrete path for a route URL (its params filled with well-formed ids). */
const concrete = (url: string) =>
  url
    .replace(':appId', APP_ID)
    .replace(':uid', 'bob')
    .replace(':channelId', 'room')
    .replace('*', 'console.js');

describe('web console: disabled', () => {
  it('answers 404 on all of /console and says in the log how to enable it', async () => {
    const { logger, lines } = capturedLogger();
    const server = await startTestServer({}, { logger });
    try {
      for (const path of ['/console', '/console/', '/console/api/me', '/console/assets/console.js']) {
        const r = await fetch(`${server.url}${path}`, { redirect: 'manual' });
        expect(r.status, path).toBe(404);
        expect(await r.text()).toMatch(/--admin-password/);
      }
      const login = await fetch(`${server.url}/console/login`, loginForm('ops', ''));
      expect(login.status).toBe(404);
      expect(
        lines.some((l) =>
          /web console is disabled.*--admin-password.*PARLEY_ADMIN_PASSWORD/.test(String(l.msg)),
        ),
      ).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('web console: login and API', () => {
  let env: Awaited<ReturnType<typeof setup>>;
  afterEach(() => env?.cleanup());

  it('refuses every console API route and the assets without a valid cookie (401)', async () => {
    env = await setup({ adminPassword: ADMIN_PASSWORD });
    const api = env.server.httpRoutes.filter(
      (r) => r.url.startsWith('/console/api/') || r.url.startsWith('/console/assets/'),
    );
    // The list comes from Fastify's onRoute: a route added later is covered without an edit here.
    expect(api.length).toBeGreaterThanOrEqual(11);
    // A cookie signed with another password, and one that is not signed at all.
    const other = await startTestServer({ adminPassword: 'another password' });
    const forged = (await consoleLogin(other.url, 'ops', 'another password')).cookie;
    await other.close();
    for (const route of api)
      for (const method of route.methods.filter((m) => m !== 'HEAD'))
        for (const cookie of [undefined, forged, 'parley_console=eyJuYW1lIjoiZXZlIn0']) {
          const r = await fetch(`${env.server.url}${concrete(route.url)}`, {
            method,
            headers: { ...(cookie ? { cookie } : {}), 'content-type': 'application/json' },
            body: method === 'GET' ? undefined : '{"from":"x","text":"y","all":true}',
          });
          expect(`${method} ${route.url} ${r.status}`).toBe(`${method} ${route.url} 401`);
          expect((await r.json()).error.code).toBe('unauthorized');
        }
  });

  it('logs in with the password: a signed HttpOnly SameSite=Strict cookie that expires; wrong password 401', async () => {
    env = await setup({ adminPassword: ADMIN_PASSWORD });
    const page = await fetch(`${env.server.url}/console/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('action="/console/login"');
    const wrong = await fetch(`${env.server.url}/console/login`, loginForm('ops', 'nope'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('Wrong password.');
    const noName = await fetch(`${env.server.url}/console/login`, loginForm('', ADMIN_PASSWORD));
    expect(noName.status).toBe(400);

    const ok = await fetch(`${env.server.url}/console/login`, loginForm('ops', ADMIN_PASSWORD));
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/console/');
    const set = ok.headers.get('set-cookie')!;
    expect(set).toMatch(/^parley_console=[^;]+\.[^;]+;/);
    expect(set).toMatch(/Max-Age=28800/);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Path=\/console/);
    const cookie = set.split(';')[0]!;
    const app = await fetch(`${env.server.url}/console/`, { headers: { cookie } });
    expect(await app.text()).toContain('/console/assets/console.js');
    const me = await fetch(`${env.server.url}/console/api/me`, { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(me.headers.get('cache-control')).toBe('no-store');
    expect(await me.json()).toMatchObject({ name: 'ops', node: env.server.config.nodeId });

    // The bundle: served from the build with an ETag and revalidation.
    const js = await fetch(`${env.server.url}/console/assets/console.js`, { headers: { cookie } });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toBe('no-cache');
    const etag = js.headers.get('etag')!;
    const again = await fetch(`${env.server.url}/console/assets/console.js`, {
      headers: { cookie, 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    const css = await fetch(`${env.server.url}/console/assets/console.css`, { headers: { cookie } });
    expect(css.headers.get('content-type')).toMatch(/text\/css/);

    // An expired session: the expiry inside the signed value counts, whatever the client keeps.
    const realNow = Date.now;
    try {
      Date.now = () => realNow() + 8 * 3600_000 + 1000;
      const late = await fetch(`${env.server.url}/console/api/me`, { headers: { cookie } });
      expect(late.status).toBe(401);
    } finally {
      Date.now = realNow;
    }
    const out = await fetch(`${env.server.url}/console/logout`, {
      method: 'POST',
      headers: { cookie },
      redirect: 'manual',
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^parley_console=;/);
  });

  it('rate-limits failed logins per address: 429 once they are used up, even with the right password', async () => {
    const { logger, lines } = capturedLogger();
    const server = await startTestServer({ adminPassword: ADMIN_PASSWORD }, { logger });
    try {
      for (let i = 0; i < FAILED_LOGINS; i++)
        expect((await fetch(`${server.url}/console/login`, loginForm('mallory', `guess${i}`))).status).toBe(
          401,
        );
      const blocked = await fetch(`${server.url}/console/login`, loginForm('mallory', ADMIN_PASSWORD));
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get('retry-after')).toBe('60');
      expect(blocked.headers.get('set-cookie')).toBeNull();
      expect(lines.filter((l) => l.msg === 'console login failed: wrong password')).toHaveLength(
        FAILED_LOGINS,
      );
      expect(lines.some((l) => String(l.msg).includes('too many failed logins'))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('shows a user and a channel, ends a session (client ABORTED / BANNED_BY_SERVER), sends as a named sender, deletes attributes; actions logged', async () => {
    const { logger, lines } = capturedLogger();
    const server = await startTestServer({ adminPassword: ADMIN_PASSWORD }, { logger });
    const AgoraRTM = (await import('@parley/sdk')).default;
    const clients: Array<ReturnType<typeof AgoraRTM.createInstance>> = [];
    const login = async (uid: string) => {
      const c = AgoraRTM.createInstance(APP_ID, { serverUrl: server.wsUrl });
      clients.push(c);
      await c.login({ uid });
      return c;
    };
    try {
      const ops = await consoleLogin(server.url, 'ann');
      const bob = await login('bob');
      const carol = await login('carol');
      await bob.addOrUpdateLocalUserAttributes({ mood: 'fine' });
      await bob.subscribePeersOnlineStatus(['carol']);
      const room = bob.createChannel('room');
      await room.join();
      const carolRoom = carol.createChannel('room');
      await carolRoom.join();
      await room.sendMessage({ text: 'hello room' });
      await bob.addOrUpdateChannelAttributes(
        'room',
        { topic: 'news', pin: '1' },
        { enableNotificationToChannelMembers: false },
      );

      const user = await ops.call('GET', `apps/${APP_ID}/users/bob`);
      expect(user).toEqual({
        status: 200,
        body: expect.objectContaining({
          state: 'ONLINE',
          node: server.config.nodeId,
          channels: ['room'],
          attributes: { mood: 'fine' },
          subscriptions: 1,
        }),
      });
      const ch = await ops.call('GET', `apps/${APP_ID}/channels/room`);
      expect(ch.body).toMatchObject({ members: ['bob', 'carol'], count: 2 });
      expect(ch.body.attributes.map((a: { key: string }) => a.key).sort()).toEqual(['pin', 'topic']);
      expect(ch.body.history).toEqual([expect.objectContaining({ from: 'bob', text: 'hello room' })]);

      const apps = await ops.call('GET', 'apps');
      expect(apps.body.apps).toEqual([
        { appId: APP_ID, certificate: false, sessions: { [server.config.nodeId]: 2 } },
      ]);
      const overview = await ops.call('GET', 'overview?scope=node');
      expect(overview.body.nodes).toEqual([
        expect.objectContaining({
          nodeId: server.config.nodeId,
          sessions: 2,
          connections: 2,
          logins: { '0': 2 },
        }),
      ]);

      // Messages as a named sender.
      const peer = next<[{ text: string }, string]>(bob, 'MessageFromPeer');
      expect(
        (await ops.call('POST', `apps/${APP_ID}/peers/bob/messages`, { from: 'support', text: 'hi bob' }))
          .status,
      ).toBe(200);
      const [pm, sender] = await peer;
      expect([pm.text, sender]).toEqual(['hi bob', 'support']);
      const chMsg = next<[{ text: string }, string]>(carolRoom, 'ChannelMessage');
      await ops.call('POST', `apps/${APP_ID}/channels/room/messages`, { from: 'support', text: 'to all' });
      const [m, from] = await chMsg;
      expect([m.text, from]).toEqual(['to all', 'support']);

      // Attribute deletes reach the members.
      const changed = next<[Record<string, { value: string }>]>(carolRoom, 'AttributesUpdated');
      const del = await ops.call('DELETE', `apps/${APP_ID}/channels/room/attributes`, { keys: ['pin'] });
      expect(del.body).toEqual({ keys: ['topic'] });
      expect(Object.keys((await changed)[0])).toEqual(['topic']);
      expect(
        (await ops.call('DELETE', `apps/${APP_ID}/channels/room/attributes`, { all: true })).body,
      ).toEqual({ keys: [] });
      expect((await ops.call('DELETE', `apps/${APP_ID}/channels/room/attributes`, {})).status).toBe(400);

      // Ending the session: the SDK goes ABORTED with BANNED_BY_SERVER and does not come back.
      const state = next<[string, string]>(bob, 'ConnectionStateChanged');
      expect((await ops.call('POST', `apps/${APP_ID}/users/bob/end-session`)).body).toEqual({ ended: true });
      expect(await state).toEqual(['ABORTED', 'BANNED_BY_SERVER']);
      await until(() => server.sessions.local(APP_ID, 'bob') === undefined, 5000, 'bob gone');
      expect((await ops.call('GET', `apps/${APP_ID}/users/bob`)).body.state).toBe('OFFLINE');
      const again = await ops.call('POST', `apps/${APP_ID}/users/bob/end-session`);
      expect([again.status, again.body.error.code]).toEqual([404, 'user_offline']);

      const acts = lines.filter((l) => l.msg === 'console action');
      expect(acts.map((l) => [l.operator, l.action])).toEqual([
        ['ann', 'peer-message'],
        ['ann', 'channel-message'],
        ['ann', 'delete-channel-attributes'],
        ['ann', 'delete-channel-attributes'],
        ['ann', 'end-session'],
        ['ann', 'end-session'],
      ]);
      expect(acts[0]).toMatchObject({ address: '127.0.0.1', from: 'support', to: 'bob' });

      // The tail: logins, joins, attribute writes and the operator's session end, after a cursor.
      const tail = await ops.call('GET', 'events');
      const types = tail.body.events.map((e: { type: string; uid?: string }) => `${e.type}:${e.uid}`);
      expect(types).toEqual(
        expect.arrayContaining([
          'user.online:bob',
          'user.online:carol',
          'channel.member_joined:bob',
          'channel.attributes_updated:ann',
          'user.offline:bob',
        ]),
      );
      expect(tail.body.events.find((e: { type: string }) => e.type === 'user.offline')).toMatchObject({
        cause: 'OPERATOR',
        node: server.config.nodeId,
      });
      const after = await ops.call('GET', `events?after=${encodeURIComponent(tail.body.after)}`);
      expect(after.body.events).toEqual([]);
      await carolRoom.leave();
      const more = await ops.call('GET', `events?after=${encodeURIComponent(tail.body.after)}`);
      expect(more.body.events.map((e: { type: string }) => e.type)).toEqual(['channel.member_left']);
    } finally {
      for (const c of clients) c.release();
      await server.close();
    }
  });

  it('ends a Signaling session too: onLogout LOGOUT_E_OTHER (100), no reconnect', async () => {
    env = await setup({ adminPassword: ADMIN_PASSWORD });
    const sig = signalingClients(env.servers);
    try {
      const dave = await sig.login('dave');
      const ops = await consoleLogin(env.server.url);
      expect((await ops.call('POST', `apps/${APP_ID}/users/dave/end-session`)).body).toEqual({ ended: true });
      expect(await dave.wait('onLogout')).toEqual([100]);
      expect(dave.calls('onReconnecting')).toEqual([]);
    } finally {
      sig.cleanup();
    }
  });

  it('checks ids and apps like the REST API: 400 invalid_*, 404 unknown_app', async () => {
    env = await setup({ adminPassword: ADMIN_PASSWORD, apps: [{ appId: APP_ID }] });
    const ops = await consoleLogin(env.server.url);
    const codes = async (path: string, method = 'GET', body?: unknown) => {
      const r = await ops.call(method, path, body);
      return [r.status, r.body.error?.code];
    };
    expect(await codes('apps/bad/users/bob')).toEqual([400, 'invalid_app_id']);
    expect(await codes(`apps/${'f'.repeat(32)}/users/bob`)).toEqual([404, 'unknown_app']);
    expect(await codes(`apps/${APP_ID}/users/${'x'.repeat(65)}`)).toEqual([400, 'invalid_user_id']);
    expect(await codes(`apps/${APP_ID}/channels/${'x'.repeat(65)}`)).toEqual([400, 'invalid_channel_id']);
    expect(await codes(`apps/${APP_ID}/peers/bob/messages`, 'POST', { from: 'a' })).toEqual([
      400,
      'invalid_request',
    ]);
    expect(await codes(`apps/${APP_ID}/users/bob/end-session`, 'POST')).toEqual([404, 'user_offline']);
  });
});
