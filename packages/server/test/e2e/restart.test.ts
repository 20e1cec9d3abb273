import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AgoraRTM, { type RtmClient } from '@parley/sdk';
import { startTestServer, type ParleyServer } from '@parley/server/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP_ID, collect, next, until } from '../helpers.js';

type Got = [{ text: string }, string, { isOfflineMessage: boolean }];
type StateChange = [string, string];
const FAST = { reconnect: { baseMs: 50, capMs: 200, floorMs: 20 } };

/**
 * A graceful restart on the same port and data dir: clients come back by themselves (a new
 * login, since the sessions are gone) and durable data (the offline inbox) is still there.
 */
describe('server restart on the same port and data dir', () => {
  let dir: string;
  let server: ParleyServer | null = null;
  const clients: RtmClient[] = [];
  const client = (): RtmClient => {
    const c = AgoraRTM.createInstance(APP_ID, { serverUrl: `ws://127.0.0.1:${server!.port}/rtm`, ...FAST });
    clients.push(c);
    return c;
  };
  const boot = (port = 0) => startTestServer({ port, dataDir: dir, rateLimits: false, sessionGraceMs: 500 });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-restart-'));
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.release();
    await server?.close();
    server = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('clients log in again by themselves and messaging works; offline messages survive', async () => {
    server = await boot();
    const port = server.port;
    const alice = client();
    const bob = client();
    await alice.login({ uid: 'alice' });
    await bob.login({ uid: 'bob' });
    for (let i = 0; i < 5; i++)
      await alice.sendMessageToPeer({ text: `kept ${i}` }, 'carol', { enableOfflineMessaging: true });
    const aliceStates = collect<StateChange>(alice, 'ConnectionStateChanged');
    const bobStates = collect<StateChange>(bob, 'ConnectionStateChanged');

    await server.close();
    await until(
      () => alice.connectionState === 'RECONNECTING' && bob.connectionState === 'RECONNECTING',
      5000,
      'clients reconnecting',
    );
    server = await boot(port);
    await until(
      () => alice.connectionState === 'CONNECTED' && bob.connectionState === 'CONNECTED',
      10_000,
      'clients back',
    );
    for (const states of [aliceStates, bobStates])
      expect(states).toEqual([
        ['RECONNECTING', 'INTERRUPTED'],
        ['CONNECTED', 'LOGIN_SUCCESS'],
      ]);

    const got = next<Got>(bob, 'MessageFromPeer');
    expect(await alice.sendMessageToPeer({ text: 'after restart' }, 'bob')).toEqual({
      hasPeerReceived: true,
    });
    expect((await got)[0].text).toBe('after restart');

    const carol = client();
    const toCarol = collect<Got>(carol, 'MessageFromPeer');
    await carol.login({ uid: 'carol' });
    await until(() => toCarol.length >= 5, 5000, 'carol’s offline messages');
    expect(toCarol.map((g) => g[0].text)).toEqual([0, 1, 2, 3, 4].map((i) => `kept ${i}`));
    expect(toCarol.every((g) => g[2].isOfflineMessage && g[1] === 'alice')).toBe(true);
  });

  it('a sender waiting on a restart gets its message through once the server is back', async () => {
    server = await boot();
    const port = server.port;
    const alice = client();
    const bob = client();
    await alice.login({ uid: 'alice' });
    await bob.login({ uid: 'bob' });
    await server.close();
    await until(() => alice.connectionState === 'RECONNECTING', 5000, 'alice reconnecting');
    // Sent while the server is down: waits in the SDK, goes out on the new session.
    // Whether bob is back before or after it, it reaches him once (live, or from the inbox).
    const sent = alice.sendMessageToPeer({ text: 'queued' }, 'bob', { enableOfflineMessaging: true });
    const got = collect<Got>(bob, 'MessageFromPeer');
    server = await boot(port);
    await sent;
    await until(() => got.length >= 1, 10_000, 'the queued message');
    await new Promise((r) => setTimeout(r, 200)); // no duplicate may follow
    expect(got.map((g) => g[0].text)).toEqual(['queued']);
  });
});
