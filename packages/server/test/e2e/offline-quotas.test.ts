import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeerMessageError } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config.js';
import { APP_ID, collect, setup, until } from '../helpers.js';
import { metric } from '../wire-client.js';

type Got = [{ text: string }, string, { isOfflineMessage: boolean }];
const OFFLINE = { enableOfflineMessaging: true };
const OTHER_APP = 'fedcba9876543210fedcba9876543210';

/**
 * Issue 13, items 7 and 9: offline messages dropped after their sender was told `cached` are
 * counted, and per-app and per-sender quotas refuse to cache more (the same suite runs on the
 * embedded inboxes and, in the cluster project, on Redis).
 */
describe.each([
  ['memory', false],
  ['sqlite', true],
])('offline quotas and drops (%s inbox)', (_name, durable) => {
  let t: Awaited<ReturnType<typeof setup>> | undefined;
  let dir: string | null = null;
  const start = async (cfg: Partial<ServerConfig> = {}) => {
    dir = durable ? mkdtempSync(join(tmpdir(), 'parley-quota-')) : null;
    t = await setup({ dataDir: dir, ...cfg });
    return t;
  };
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  /** A metric summed over every node (each counts what it did). */
  const total = async (name: string, labels: Record<string, string>) => {
    let n = 0;
    for (const s of t!.servers) n += await metric(s.url, name, labels);
    return n;
  };
  const post = (appId: string, uid: string, body: unknown) =>
    fetch(`${t!.server.url}/api/v1/apps/${appId}/peers/${uid}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('messages dropped by the per-receiver cap, although answered cached, are counted (inbox_full)', async () => {
    const { login, client } = await start({ offlineMaxPerUser: 3 });
    const alice = await login('alice');
    for (let i = 0; i < 8; i++)
      expect(await alice.sendMessageToPeer({ text: `m${i}` }, 'bob', OFFLINE)).toEqual({
        hasPeerReceived: false,
      });
    expect(await total('parley_offline_dropped_total', { reason: 'inbox_full' })).toBe(5);
    const bob = client();
    const got = collect<Got>(bob, 'MessageFromPeer');
    await bob.login({ uid: 'bob' });
    await until(() => got.length === 3, 5000, '3 offline messages');
    expect(got.map((g) => g[0].text)).toEqual(['m5', 'm6', 'm7']);
  });

  it('messages that expire in the inbox are counted (expired)', async () => {
    const { login } = await start({ offlineTtlMs: 1000 });
    const alice = await login('alice');
    await alice.sendMessageToPeer({ text: 'a' }, 'bob', OFFLINE);
    await alice.sendMessageToPeer({ text: 'b' }, 'carol', OFFLINE);
    // The purge runs every second with this lifetime: poll the metric until it ran.
    const end = Date.now() + 10_000;
    let n = 0;
    while ((n = await total('parley_offline_dropped_total', { reason: 'expired' })) < 2 && Date.now() < end)
      await new Promise((r) => setTimeout(r, 100));
    expect(n).toBe(2);
  });

  it('per sender per hour: cached messages over the quota are refused (5 TOO_OFTEN), live ones still go', async () => {
    const { login } = await start({ offlineMaxPerSenderPerHour: 3 });
    const alice = await login('alice');
    for (const to of ['u1', 'u2', 'u3'])
      expect(await alice.sendMessageToPeer({ text: to }, to, OFFLINE)).toEqual({ hasPeerReceived: false });
    await expect(alice.sendMessageToPeer({ text: 'u4' }, 'u4', OFFLINE)).rejects.toMatchObject({
      code: PeerMessageError.TOO_OFTEN,
    });
    expect(await total('parley_quota_refusals_total', { quota: 'offline_sender_hourly' })).toBe(1);
    // A receiver that is online takes it live: nothing to cache, nothing refused.
    const dave = await login('dave');
    const got = collect<Got>(dave, 'MessageFromPeer');
    expect(await alice.sendMessageToPeer({ text: 'live' }, 'dave', OFFLINE)).toEqual({
      hasPeerReceived: true,
    });
    await until(() => got.length === 1);
    // Other senders have their own allowance; the REST API answers 429.
    const erin = await login('erin');
    expect(await erin.sendMessageToPeer({ text: 'e' }, 'u4', OFFLINE)).toEqual({ hasPeerReceived: false });
    const r = await post(APP_ID, 'u5', { from: 'alice', text: 'rest', offline: true });
    expect(r.status).toBe(429);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('offline_sender_quota');
  });

  it('per app: past its offline bytes, caching is refused (1 FAILURE) until the inbox drains; other apps unaffected', async () => {
    // The quota of one app from the config file; the other app has the server-wide default.
    const { login, client } = await start({
      apps: [{ appId: APP_ID, quotas: { offlineMaxBytes: 500 } }, { appId: OTHER_APP }],
    });
    const alice = await login('alice');
    const text = 'x'.repeat(600);
    // The first fits (the app held nothing); after it the app holds over 500 bytes.
    expect(await alice.sendMessageToPeer({ text }, 'bob', OFFLINE)).toEqual({ hasPeerReceived: false });
    await expect(alice.sendMessageToPeer({ text }, 'carol', OFFLINE)).rejects.toMatchObject({
      code: PeerMessageError.FAILURE,
    });
    expect(await total('parley_quota_refusals_total', { quota: 'offline_app_bytes' })).toBe(1);
    const r = await post(APP_ID, 'carol', { from: 'billing', text: 'hi', offline: true });
    expect(r.status).toBe(507);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('offline_storage_full');

    // Another app is not limited by this one's quota.
    const other = client({}, OTHER_APP);
    await other.login({ uid: 'alice' });
    expect(await other.sendMessageToPeer({ text }, 'bob', OFFLINE)).toEqual({ hasPeerReceived: false });

    // bob logs in and acks his message: the app holds nothing again, caching works again.
    const bob = client();
    const got = collect<Got>(bob, 'MessageFromPeer');
    await bob.login({ uid: 'bob' });
    await until(() => got.length === 1, 5000, "bob's offline message");
    let sent: unknown = null;
    for (let i = 0; i < 100 && sent === null; i++) {
      // The inbox copy goes when bob's ack is processed: retry until it did.
      sent = await alice.sendMessageToPeer({ text }, 'carol', OFFLINE).catch(() => null);
      if (sent === null) await new Promise((res) => setTimeout(res, 50));
    }
    expect(sent).toEqual({ hasPeerReceived: false });
  });
});
