import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer } from '../../src/testing.js';
import type { ServerConfig } from '../../src/config.js';
import { APP_ID, setup, until } from '../helpers.js';
import { metricValue, closeAll, type Receiver, startReceiver, untilMetric } from '../webhook-receiver.js';

const SECRET = 'whsec-test-0123456789';
const DOCS = fileURLToPath(new URL('../../../../docs/webhooks.md', import.meta.url));

/** The Node verifier of docs/webhooks.md, as written there. */
function docsVerifier(): string {
  const md = readFileSync(DOCS, 'utf8');
  const block = [...md.matchAll(/```js\n([\s\S]*?)```/g)].find((m) =>
    m[1]!.includes('verifyParleySignature'),
  );
  if (!block) throw new Error('docs/webhooks.md has no verifyParleySignature block');
  return block[1]!;
}

/** Runs the docs' verifier in a plain Node process on each [secret, header, body]. */
function verifyWithDocs(cases: Array<[string, string, string]>): boolean[] {
  const dir = mkdtempSync(join(tmpdir(), 'parley-verify-'));
  try {
    const file = join(dir, 'verify.mjs');
    writeFileSync(
      file,
      `${docsVerifier()}\nconst cases = JSON.parse(process.env.CASES);\n` +
        'process.stdout.write(JSON.stringify(cases.map(([s, h, b]) => verifyParleySignature(s, h, b))));\n',
    );
    return JSON.parse(
      execFileSync(process.execPath, [file], { env: { CASES: JSON.stringify(cases) } }).toString(),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let env: Awaited<ReturnType<typeof setup>> | undefined;
let rx: Receiver | undefined;
afterEach(async () => {
  await closeAll(env, rx);
  env = rx = undefined;
});

/** A server whose one webhook (the flags' endpoint, every App ID) posts to `rx`. */
async function serve(receiver: Receiver, cfg: Partial<ServerConfig> = {}, events = '') {
  rx = receiver;
  env = await setup({
    webhookUrl: receiver.url,
    webhookSecret: SECRET,
    webhookEvents: events,
    webhookBatchMs: 5,
    webhookRetryBaseMs: 5,
    ...cfg,
  });
  return env;
}

describe('webhooks (one node)', () => {
  it('signs each request so that the verifier of docs/webhooks.md accepts it and refuses tampering', async () => {
    const t = await serve(await startReceiver());
    // --webhook-url without --webhook-events: everything but the messages
    expect(t.server.activity.watched('channel.attributes_updated')).toBe(true);
    expect(t.server.activity.watched('message.peer') || t.server.activity.watched('message.channel')).toBe(
      false,
    );
    await t.login('alice');
    await until(() => rx!.requests.length === 1, 5000, 'a webhook');
    const r = rx!.requests[0]!;
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json).toEqual({
      appId: APP_ID,
      events: [expect.objectContaining({ name: 'user.online', uid: 'alice' })],
    });
    const header = String(r.headers['x-parley-signature']);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const stale = header.replace(/t=\d+/, `t=${Math.floor(Date.now() / 1000) - 3600}`);
    expect(
      verifyWithDocs([
        [SECRET, header, r.body],
        [SECRET, header, r.body.replace('alice', 'mallory')],
        ['other-secret', header, r.body],
        [SECRET, stale, r.body],
      ]),
    ).toEqual([true, false, false, false]);
  });

  it('batches up to webhookBatchMax events, in order, and flushes the rest at shutdown', async () => {
    // A window no test waits out: only the size bound and the shutdown send.
    const t = await serve(
      await startReceiver(),
      { webhookBatchMs: 600_000, webhookBatchMax: 3 },
      'message.channel',
    );
    const alice = await t.login('alice');
    const ch = alice.createChannel('room');
    await ch.join();
    for (let i = 0; i < 7; i++) await ch.sendMessage({ text: `m${i}` });
    await until(() => rx!.requests.length === 2, 5000, 'two full batches');
    await t.cleanup();
    env = undefined;
    expect(rx!.requests.map((r) => r.json.events.length)).toEqual([3, 3, 1]);
    expect(rx!.events().map((e) => (e.message as { text: string }).text)).toEqual([
      'm0',
      'm1',
      'm2',
      'm3',
      'm4',
      'm5',
      'm6',
    ]);
  });

  it('retries after a 500 with the same body, newly signed, and keeps the order behind it', async () => {
    const t = await serve(await startReceiver((n) => (n < 2 ? 500 : 200)), { webhookBatchMax: 1 });
    await t.login('alice');
    await t.login('bob');
    await until(() => rx!.requests.length === 4, 5000, 'retries and the next batch');
    const bodies = rx!.requests.map((r) => r.body);
    expect(bodies[1]).toBe(bodies[0]);
    expect(bodies[2]).toBe(bodies[0]);
    expect(rx!.requests.map((r) => r.json.events[0]!.uid)).toEqual(['alice', 'alice', 'alice', 'bob']);
    expect(
      verifyWithDocs(rx!.requests.map((r) => [SECRET, String(r.headers['x-parley-signature']), r.body])),
    ).toEqual([true, true, true, true]);
    expect(await metricValue(t.server.url, 'parley_webhook_requests_total{status="5xx"}')).toBe(2);
    expect(await metricValue(t.server.url, 'parley_webhook_events_sent_total')).toBe(2);
  });

  it('does not retry after a 400: the batch is dropped and counted, the next one goes out', async () => {
    const t = await serve(await startReceiver((n) => (n === 0 ? 400 : 200)), { webhookBatchMax: 1 });
    await t.login('alice');
    await until(() => rx!.requests.length === 1, 5000, 'the refused batch');
    await t.login('bob');
    await until(() => rx!.requests.length === 2, 5000, 'the next batch');
    // One request at a time per endpoint: alice's batch was settled before bob's was sent.
    expect(rx!.requests.map((r) => r.json.events[0]!.uid)).toEqual(['alice', 'bob']);
    expect(await metricValue(t.server.url, 'parley_webhook_events_dropped_total{reason="rejected"}')).toBe(1);
    expect(await metricValue(t.server.url, 'parley_webhook_requests_total{status="4xx"}')).toBe(1);
  });

  it('retries a request that times out', async () => {
    const t = await serve(await startReceiver((n) => (n === 0 ? 'hang' : 200)), { webhookTimeoutMs: 1000 });
    await t.login('alice');
    await until(() => rx!.requests.length === 2, 5000, 'the retry');
    expect(rx!.requests[1]!.body).toBe(rx!.requests[0]!.body);
    expect(await metricValue(t.server.url, 'parley_webhook_requests_total{status="timeout"}')).toBe(1);
    expect(await metricValue(t.server.url, 'parley_webhook_events_sent_total')).toBe(1);
  });

  it('retries after a connection error, and drops the batch when its retries are spent', async () => {
    const gone = await startReceiver();
    await gone.close();
    env = await setup({
      webhookUrl: gone.url,
      webhookSecret: SECRET,
      webhookBatchMs: 1,
      webhookRetryBaseMs: 1,
      webhookRetries: 2,
    });
    await env.login('alice');
    const dropped = 'parley_webhook_events_dropped_total{reason="failed"}';
    await untilMetric(env.server.url, dropped, 1);
    expect(await metricValue(env.server.url, 'parley_webhook_requests_total{status="error"}')).toBe(3);
  });

  it('sends only the events an endpoint asks for, and channel events under its channelPrefix', async () => {
    rx = await startReceiver();
    const other = await startReceiver();
    try {
      env = await setup({
        apps: [
          {
            appId: APP_ID,
            webhooks: [
              {
                url: rx.url,
                secret: SECRET,
                events: ['channel.occupied', 'user.online'],
                channelPrefix: 'game-',
              },
              { url: other.url, secret: SECRET, events: ['channel.vacated'] },
            ],
          },
        ],
        webhookBatchMs: 5,
      });
      // The feed builds only what some endpoint wants: occupied/vacated come from joins/leaves.
      // (Logins and joins are watched anyway, by Agora's event reads.)
      const watched = (
        [
          'channel.member_joined',
          'channel.member_left',
          'channel.attributes_updated',
          'message.peer',
        ] as const
      ).map((type) => env!.server.activity.watched(type));
      expect(watched).toEqual([true, true, false, false]);
      const alice = await env.login('alice');
      for (const id of ['lobby', 'game-1']) {
        const ch = alice.createChannel(id);
        await ch.join();
        await ch.leave();
      }
      await alice.logout();
      await until(() => other.events().length === 2, 5000, 'both vacated');
      await until(() => rx!.events().length === 2, 5000, 'online and game-1 occupied');
      expect(rx.events().map((e) => [e.name, e.channelId ?? e.uid])).toEqual([
        ['user.online', 'alice'],
        ['channel.occupied', 'game-1'],
      ]);
      expect(other.events().map((e) => [e.name, e.channelId])).toEqual([
        ['channel.vacated', 'lobby'],
        ['channel.vacated', 'game-1'],
      ]);
    } finally {
      await other.close();
    }
  });

  it('an app without webhooks of its own gets the flags\' endpoint; "webhooks": [] opts an app out', async () => {
    const OTHER = 'ffffffffffffffffffffffffffffffff';
    const t = await serve(await startReceiver(), {
      apps: [{ appId: APP_ID, webhooks: [] }, { appId: OTHER }],
    });
    await t.login('alice');
    await t.client({}, OTHER).login({ uid: 'bob' });
    await until(() => rx!.requests.length === 1, 5000, "OTHER's batch");
    // One queue, in order: alice's login (earlier) would have been the first request.
    expect(rx!.requests[0]!.json).toEqual({
      appId: OTHER,
      events: [expect.objectContaining({ name: 'user.online', uid: 'bob' })],
    });
  });

  it('bounds each endpoint queue: drops are counted in /metrics and never delay messages', async () => {
    const t = await serve(
      await startReceiver((n) => (n === 0 ? 'hang' : 200)),
      {
        webhookQueueMax: 3,
        webhookBatchMax: 1,
        webhookTimeoutMs: 60_000,
      },
      'message.peer',
    );
    const alice = await t.login('alice');
    await t.login('bob');
    await alice.sendMessageToPeer({ text: 'first' }, 'bob');
    await until(() => rx!.requests.length === 1, 5000, 'the hung request');
    // The endpoint hangs: the sends still complete, 3 events wait and the other 3 are dropped.
    for (let i = 0; i < 6; i++)
      expect((await alice.sendMessageToPeer({ text: `m${i}` }, 'bob')).hasPeerReceived).toBe(true);
    expect(await metricValue(t.server.url, 'parley_webhook_events_dropped_total{reason="queue_full"}')).toBe(
      3,
    );
    rx!.release(200);
    await until(() => rx!.requests.length === 4, 5000, 'the queued events');
    expect(rx!.events().map((e) => (e.message as { text: string }).text)).toEqual([
      'first',
      'm0',
      'm1',
      'm2',
    ]);
  });

  it('a shutdown sends for at most webhookShutdownMs, then drops what is left, counted', async () => {
    const t = await serve(await startReceiver(() => 'hang'), {
      webhookShutdownMs: 100,
      webhookTimeoutMs: 600_000,
      webhookBatchMax: 1,
    });
    await t.login('alice');
    await t.login('bob');
    await until(() => rx!.requests.length === 1, 5000, 'the hung request');
    const { metrics } = t.server;
    await t.cleanup();
    env = undefined;
    // alice's login in flight; bob's, and both sessions' SHUTDOWN offline, queued
    const dropped = (await metrics.webhookEventsDropped.get()).values;
    expect(dropped).toEqual([expect.objectContaining({ labels: { reason: 'shutdown' }, value: 4 })]);
    expect(rx!.requests).toHaveLength(1);
  });

  it('logs queue-full drops once for a burst, not once per event', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    rx = await startReceiver(() => 'hang');
    const server = await startTestServer(
      {
        webhookUrl: rx.url,
        webhookSecret: SECRET,
        webhookQueueMax: 1,
        webhookBatchMax: 1,
        webhookTimeoutMs: 600_000,
        webhookShutdownMs: 1,
      },
      { logger },
    );
    try {
      const online = (uid: string) =>
        server.activity.emit({ type: 'user.online', appId: APP_ID, uid, sessionId: uid, ts: Date.now() });
      online('u0');
      await until(() => rx!.requests.length === 1, 5000, 'the hung request');
      for (let i = 1; i <= 10; i++) online(`u${i}`);
      const full = lines.filter((l) => l.includes('webhook queue full'));
      expect(full).toHaveLength(1);
      expect(JSON.parse(full[0]!)).toMatchObject({ url: rx.url.replace(/\?.*$/, ''), queueMax: 1 });
      expect(await metricValue(server.url, 'parley_webhook_events_dropped_total{reason="queue_full"}')).toBe(
        9,
      );
    } finally {
      await server.close();
    }
  });
});
