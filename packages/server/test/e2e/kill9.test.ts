import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AgoraRTM, { type RtmClient } from '@parley/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP_ID, collect, until } from '../helpers.js';
import { spawnServer, type ServerProcess } from '../server-process.js';

type Got = [{ text: string }, string, { isOfflineMessage: boolean }];
const FAST = { reconnect: { baseMs: 50, capMs: 200, floorMs: 20 } };

/**
 * kill -9 of a real server process (needs `npm run build`: it runs packages/server/dist/cli.js).
 * What the server acknowledged before the kill must be there after a restart on the same data dir.
 */
describe('kill -9 and restart on the same data dir', () => {
  let dir: string;
  let server: ServerProcess | null = null;
  const clients: RtmClient[] = [];
  const client = (port: number): RtmClient => {
    const c = AgoraRTM.createInstance(APP_ID, { serverUrl: `ws://127.0.0.1:${port}/rtm`, ...FAST });
    clients.push(c);
    return c;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-kill9-'));
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.release();
    if (server && server.proc.exitCode === null && server.proc.signalCode === null) await server.kill9();
    server = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no acknowledged offline message: each is delivered once, in order', async () => {
    server = await spawnServer(['--port', '0', '--data-dir', dir, '--rate-limits', 'off']);
    const port = server.port;
    const alice = client(port);
    await alice.login({ uid: 'alice' });
    // Sent concurrently, so many of them share a commit; every one was answered "cached".
    const sends = [];
    for (let i = 0; i < 300; i++)
      sends.push(alice.sendMessageToPeer({ text: String(i) }, 'bob', { enableOfflineMessaging: true }));
    const results = await Promise.all(sends);
    expect(results.every((r) => r.hasPeerReceived === false)).toBe(true);

    await server.kill9();
    server = await spawnServer(['--port', String(port), '--data-dir', dir, '--rate-limits', 'off']);

    const bob = client(port);
    const got = collect<Got>(bob, 'MessageFromPeer');
    await bob.login({ uid: 'bob' });
    // 300 sent, the inbox keeps the newest 200 (default cap).
    await until(() => got.length >= 200, 10_000, '200 messages');
    expect(got.map((g) => g[0].text)).toEqual([...Array(200).keys()].map((i) => String(i + 100)));
    expect(got.every((g) => g[1] === 'alice' && g[2].isOfflineMessage)).toBe(true);

    // The sender came back by itself after the kill (a new login) and can send again.
    await until(() => alice.connectionState === 'CONNECTED', 10_000, 'alice back');
    const live = collect<Got>(bob, 'MessageFromPeer');
    expect(await alice.sendMessageToPeer({ text: 'live' }, 'bob')).toEqual({ hasPeerReceived: true });
    expect(live.map((g) => g[0].text)).toEqual(['live']);
  });

  it('a message acked by the receiver before the kill is not delivered again', async () => {
    // (with fsync on every commit, the power-loss-safe setting)
    server = await spawnServer(['--port', '0', '--data-dir', dir, '--sqlite-sync', 'full']);
    const port = server.port;
    const alice = client(port);
    await alice.login({ uid: 'alice' });
    for (let i = 0; i < 3; i++)
      await alice.sendMessageToPeer({ text: `old ${i}` }, 'bob', { enableOfflineMessaging: true });
    const bob = client(port);
    const got = collect<Got>(bob, 'MessageFromPeer');
    await bob.login({ uid: 'bob' });
    await until(() => got.length >= 3, 5000, 'the 3 messages');
    // The acks were sent before the logout on the same socket, so the server handled them first.
    await bob.logout();
    await alice.sendMessageToPeer({ text: 'sentinel' }, 'bob', { enableOfflineMessaging: true });

    await server.kill9();
    server = await spawnServer(['--port', String(port), '--data-dir', dir]);
    const again = client(port);
    const got2 = collect<Got>(again, 'MessageFromPeer');
    await again.login({ uid: 'bob' });
    await until(() => got2.length >= 1, 5000, 'the sentinel');
    expect(got2.map((g) => g[0].text)).toEqual(['sentinel']);
  });
});
