import type { RtmClient, RtmConfig } from '@parley/sdk';
import { startTestServer, type ParleyServer } from '@parley/server/testing';
import AgoraRTM from '@parley/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP_ID, next, setup, until } from '../helpers.js';
import { startTcpProxy, type TcpProxy } from '../tcp-proxy.js';

/** The connection state machine (spec rtm-1x-api.md §5.3), end to end through the real SDK. */

/** Fast reconnects, so tests that cut a link do not wait on the default backoff. */
const FAST: RtmConfig = { reconnect: { baseMs: 50, capMs: 200, floorMs: 20 } };

function states(c: RtmClient): string[] {
  const out: string[] = [];
  c.on('ConnectionStateChanged', (s, r) => out.push(`${s}/${r}`));
  return out;
}

describe('connection states', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let proxy: TcpProxy | null = null;
  beforeEach(async () => {
    t = await setup({ sessionGraceMs: 5000 });
  });
  afterEach(async () => {
    await proxy?.close();
    proxy = null;
    await t.cleanup();
  });

  it('login: DISCONNECTED → CONNECTING/LOGIN → CONNECTED/LOGIN_SUCCESS; logout → DISCONNECTED/LOGOUT', async () => {
    const c = t.client();
    expect(c.connectionState).toBe('DISCONNECTED');
    const seen = states(c);
    const login = c.login({ uid: 'alice' });
    expect(c.connectionState).toBe('CONNECTING');
    await login;
    expect(seen).toEqual(['CONNECTING/LOGIN', 'CONNECTED/LOGIN_SUCCESS']);
    await c.logout();
    expect(seen).toEqual(['CONNECTING/LOGIN', 'CONNECTED/LOGIN_SUCCESS', 'DISCONNECTED/LOGOUT']);
    expect(c.connectionState).toBe('DISCONNECTED');
  });

  it('link lost → RECONNECTING/INTERRUPTED; retries while the network is down; CONNECTED/LOGIN_SUCCESS when back', async () => {
    proxy = await startTcpProxy(t.server.port);
    const c = await t.login('alice', { ...FAST, serverUrl: proxy.url });
    const bob = await t.login('bob');
    const seen = states(c);
    proxy.pause('refuse');
    proxy.dropAll();
    await until(() => c.connectionState === 'RECONNECTING');
    // while the network is down it keeps trying (the proxy refuses; nothing changes state)
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toEqual(['RECONNECTING/INTERRUPTED']);
    proxy.resume();
    await until(() => c.connectionState === 'CONNECTED');
    expect(seen).toEqual(['RECONNECTING/INTERRUPTED', 'CONNECTED/LOGIN_SUCCESS']);
    // the link works both ways again
    const got = next<[{ text: string }, string]>(bob, 'MessageFromPeer');
    expect(await c.sendMessageToPeer({ text: 'back' }, 'bob')).toEqual({ hasPeerReceived: true });
    expect((await got)[0].text).toBe('back');
    const got2 = next<[{ text: string }, string]>(c, 'MessageFromPeer');
    expect(await bob.sendMessageToPeer({ text: 'welcome back' }, 'alice')).toEqual({ hasPeerReceived: true });
    expect((await got2)[0].text).toBe('welcome back');
  });

  it('remote login: the same uid on a second client → the first goes ABORTED/REMOTE_LOGIN', async () => {
    const first = await t.login('alice');
    const bob = await t.login('bob');
    const seen = states(first);
    const second = await t.login('alice');
    await until(() => first.connectionState === 'ABORTED');
    expect(seen).toEqual(['ABORTED/REMOTE_LOGIN']);
    expect(second.connectionState).toBe('CONNECTED');
    // the first client is out: calls fail with 102; messages go to the second
    await expect(first.sendMessageToPeer({ text: 'x' }, 'bob')).rejects.toMatchObject({
      code: 102,
      name: 'RtmInvalidStatusError',
    });
    const got = next<[{ text: string }]>(second, 'MessageFromPeer');
    let firstGot = 0;
    first.on('MessageFromPeer', () => firstGot++);
    expect(await bob.sendMessageToPeer({ text: 'to the new one' }, 'alice')).toEqual({
      hasPeerReceived: true,
    });
    expect((await got)[0].text).toBe('to the new one');
    expect(firstGot).toBe(0);
    // ABORTED stays ABORTED: no reconnect loop fighting the newer session
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toEqual(['ABORTED/REMOTE_LOGIN']);
    expect(second.connectionState).toBe('CONNECTED');
  });

  it('a remote login while the first client is reconnecting also aborts it', async () => {
    proxy = await startTcpProxy(t.server.port);
    const first = await t.login('alice', { ...FAST, serverUrl: proxy.url });
    const seen = states(first);
    proxy.pause('refuse');
    proxy.dropAll();
    await until(() => first.connectionState === 'RECONNECTING');
    const second = await t.login('alice');
    proxy.resume();
    await until(() => first.connectionState === 'ABORTED', 5000, 'the first client aborted');
    expect(seen).toEqual(['RECONNECTING/INTERRUPTED', 'ABORTED/REMOTE_LOGIN']);
    expect(second.connectionState).toBe('CONNECTED');
  });
});

describe('server restart', () => {
  let server: ParleyServer | null = null;
  const clients: RtmClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.release();
    await server?.close();
    server = null;
  });

  it('server.close() → clients RECONNECTING; a new server on the same port → CONNECTED again by re-login', async () => {
    server = await startTestServer();
    const port = server.port;
    const mk = async (uid: string) => {
      const c = AgoraRTM.createInstance(APP_ID, { ...FAST, serverUrl: server!.wsUrl });
      clients.push(c);
      await c.login({ uid });
      return c;
    };
    const alice = await mk('alice');
    const bob = await mk('bob');
    const seenA = states(alice);
    const seenB = states(bob);
    await server.close();
    await until(() => alice.connectionState === 'RECONNECTING' && bob.connectionState === 'RECONNECTING');
    // a call made while the server is down waits for the new one
    const pending = alice.sendMessageToPeer({ text: 'across the restart' }, 'bob');
    const got = next<[{ text: string }]>(bob, 'MessageFromPeer', 10_000).catch((e: Error) => e);
    server = await startTestServer({ port });
    await until(() => alice.connectionState === 'CONNECTED' && bob.connectionState === 'CONNECTED', 10_000);
    expect(seenA).toEqual(['RECONNECTING/INTERRUPTED', 'CONNECTED/LOGIN_SUCCESS']);
    expect(seenB).toEqual(['RECONNECTING/INTERRUPTED', 'CONNECTED/LOGIN_SUCCESS']);
    expect(server.sessions.local(APP_ID, 'alice')).toBeDefined();
    // bob may log back in after alice's send reached the new server: then it is "offline"
    const r = await pending;
    if (r.hasPeerReceived)
      expect(await got).toEqual([
        expect.objectContaining({ text: 'across the restart' }),
        'alice',
        expect.anything(),
      ]);
    const got2 = next<[{ text: string }]>(bob, 'MessageFromPeer');
    expect(await alice.sendMessageToPeer({ text: 'after' }, 'bob')).toEqual({ hasPeerReceived: true });
    expect((await got2)[0].text).toBe('after');
  });
});
