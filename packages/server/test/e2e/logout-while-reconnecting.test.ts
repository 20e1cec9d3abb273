import { LogoutError, Op, type LoginResponse } from '@parley/protocol';
import type { RtmConfig } from '@parley/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ID, collect, setup, until } from '../helpers.js';
import { RawClient } from '../raw-client.js';
import { startTcpProxy, type TcpProxy } from '../tcp-proxy.js';

const FAST: RtmConfig = { reconnect: { baseMs: 50, capMs: 200, floorMs: 20 } };

/**
 * Logout while the link is down: the SDK does not wait for the link, and ends the detached session
 * with a farewell (`Logout` with the session's id and resume token on a fresh socket) once the
 * server is reachable, so others see the user leave then, not at the end of the grace period
 * (60 s here: longer than any wait in these tests).
 */
describe('logout while reconnecting', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let proxy: TcpProxy | null = null;
  afterEach(async () => {
    await proxy?.close();
    proxy = null;
    await t.cleanup();
  });

  it('resolves at once; once the server is reachable the session ends: OFFLINE and MemberLeft long before the grace period', async () => {
    t = await setup({ sessionGraceMs: 60_000 });
    proxy = await startTcpProxy(t.server.port);
    const alice = await t.login('alice', { ...FAST, serverUrl: proxy.url });
    const bob = await t.login('bob');
    await alice.createChannel('room').join();
    const room = bob.createChannel('room');
    await room.join();
    const status = collect<[Record<string, string>]>(bob, 'PeersOnlineStatusChanged');
    await bob.subscribePeersOnlineStatus(['alice']);
    const left = collect<[string]>(room, 'MemberLeft');
    const states = collect<[string, string]>(alice, 'ConnectionStateChanged');

    proxy.pause('refuse');
    proxy.dropAll();
    await until(() => alice.connectionState === 'RECONNECTING');
    await until(() => status.some(([m]) => m.alice === 'UNREACHABLE'), 5000, 'UNREACHABLE');
    await alice.logout();
    expect(alice.connectionState).toBe('DISCONNECTED');
    expect(states).toEqual([
      ['RECONNECTING', 'INTERRUPTED'],
      ['DISCONNECTED', 'LOGOUT'],
    ]);
    expect(t.server.sessions.local(APP_ID, 'alice')).toBeDefined(); // the server has not heard yet

    proxy.resume();
    await until(() => left.length === 1, 10_000, 'MemberLeft');
    await until(() => status.some(([m]) => m.alice === 'OFFLINE'), 5000, 'OFFLINE');
    expect(left).toEqual([['alice']]);
    expect(status.map(([m]) => m.alice)).toEqual(['ONLINE', 'UNREACHABLE', 'OFFLINE']);
    expect(t.server.sessions.local(APP_ID, 'alice')).toBeUndefined();
    // alice stays logged out: the farewell did not log her in again
    expect(alice.connectionState).toBe('DISCONNECTED');
    expect(states).toHaveLength(2);
  });

  it('release() right after the logout does not stop the farewell', async () => {
    t = await setup({ sessionGraceMs: 60_000 });
    proxy = await startTcpProxy(t.server.port);
    const alice = await t.login('alice', { ...FAST, serverUrl: proxy.url });
    const bob = await t.login('bob');
    const status = collect<[Record<string, string>]>(bob, 'PeersOnlineStatusChanged');
    await bob.subscribePeersOnlineStatus(['alice']);
    proxy.pause('refuse');
    proxy.dropAll();
    await until(() => alice.connectionState === 'RECONNECTING');
    await alice.logout();
    alice.release();
    proxy.resume();
    await until(() => status.some(([m]) => m.alice === 'OFFLINE'), 10_000, 'OFFLINE');
    expect(t.server.sessions.local(APP_ID, 'alice')).toBeUndefined();
  });

  it('the farewell request ends only the session its resume token belongs to', async () => {
    t = await setup({ sessionGraceMs: 60_000 });
    const owner = await RawClient.connect(t.server.wsUrl);
    const other = await RawClient.connect(t.server.wsUrl);
    try {
      const login = await owner.login({ appId: APP_ID, uid: 'carol' });
      expect(login.code).toBe(0);
      const { sessionId, resumeToken } = login.body as LoginResponse;
      const farewell = (fields: Record<string, unknown>) =>
        other.request(Op.Logout, { appId: APP_ID, uid: 'carol', sessionId, resumeToken, ...fields });

      // A wrong token, user, app or session id ends nothing: USER_NOT_LOGGED_IN.
      for (const wrong of [
        { resumeToken: 'not-the-token' },
        { uid: 'dave' },
        { appId: 'fedcba9876543210fedcba9876543210' },
        { sessionId: 'no-such-session' },
      ])
        expect((await farewell(wrong)).code, JSON.stringify(wrong)).toBe(LogoutError.USER_NOT_LOGGED_IN);
      expect(t.server.sessions.local(APP_ID, 'carol')?.id).toBe(sessionId);

      // The right one ends it, and a second farewell finds nothing left.
      expect((await farewell({})).code).toBe(0);
      await until(() => t.server.sessions.local(APP_ID, 'carol') === undefined);
      expect((await farewell({})).code).toBe(LogoutError.USER_NOT_LOGGED_IN);
    } finally {
      owner.close();
      other.close();
    }
  });
});
