import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfigFile } from '../src/cli/serve-command.js';
import { createServer } from '../src/server.js';
import { APP_ID, until } from './helpers.js';
import { rawLogin } from './raw-client.js';
import { runFailingServer, spawnServer } from './server-process.js';
import { metricValue, startReceiver, TLS_CERT, untilMetric } from './webhook-receiver.js';

const good = { url: 'https://hooks.example.com/parley', secret: 's3cret', events: ['user.online'] };
/** createServer's refusal of one app's webhooks (checked before anything is opened). */
const refusal = (webhooks: unknown) =>
  createServer({
    dataDir: null,
    logLevel: 'silent',
    apps: [{ appId: APP_ID, webhooks: webhooks as never }],
  }).then(
    () => 'started',
    (e: Error) => e.message,
  );

describe('webhook configuration: start-up checks naming the entry, flags, environment, https', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-webhook-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (content: unknown) => {
    const p = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(p, JSON.stringify(content));
    return p;
  };

  it.each([
    [
      { ...good, url: 'ftp://hooks.example.com' },
      'apps[0].webhooks[0].url: "ftp://hooks.example.com" is not an http:// or https:// URL',
    ],
    [{ ...good, url: 'not a url' }, 'apps[0].webhooks[0].url: "not a url" is not an http:// or https:// URL'],
    [
      { ...good, secret: undefined },
      'apps[0].webhooks[0].secret: missing; every webhook request is signed with its secret',
    ],
    [{ ...good, secret: '' }, 'apps[0].webhooks[0].secret: missing'],
    [
      { ...good, events: ['user.online', 'user.onlin'] },
      'apps[0].webhooks[0].events: unknown event "user.onlin" (known: user.online, user.offline,',
    ],
    [{ ...good, events: [] }, 'apps[0].webhooks[0].events: expected a non-empty list of events'],
    [
      { ...good, channelPrefix: '' },
      'apps[0].webhooks[0].channelPrefix: expected a non-empty string, got ""',
    ],
    [
      { ...good, retries: 3 },
      'apps[0].webhooks[0]: unknown key "retries" (known: url, secret, events, channelPrefix)',
    ],
    ['https://x', 'apps[0].webhooks[0]: expected an object { url, secret, events, channelPrefix? }'],
  ])('createServer and --config refuse %j', async (endpoint, message) => {
    expect(await refusal([endpoint])).toContain(message);
    const p = file({ apps: [{ appId: APP_ID, webhooks: [endpoint] }] });
    expect(() => readConfigFile(p)).toThrow(`config file ${p}: ${message}`);
  });

  it('refuses webhooks that are not a list', async () => {
    expect(await refusal({ url: 'https://x' })).toBe(
      'apps[0].webhooks: expected an array of { url, secret, events, channelPrefix? }',
    );
  });

  it('reads good webhooks from the config file (events listed twice count once)', () => {
    const endpoint = { ...good, events: ['user.online', 'message.peer', 'user.online'], channelPrefix: 'g-' };
    expect(readConfigFile(file({ apps: [{ appId: APP_ID, webhooks: [endpoint] }] }))).toEqual({
      apps: [{ appId: APP_ID, webhooks: [{ ...endpoint, events: ['user.online', 'message.peer'] }] }],
    });
  });

  it('parley serve: a bad --config webhook exits 1, bad --webhook-* flags exit 2', async () => {
    const p = file({ apps: [{ appId: APP_ID, webhooks: [{ ...good, events: ['channel.opened'] }] }] });
    const [bad, noSecret, badUrl, badEvent, secretAlone] = await Promise.all([
      runFailingServer(['--config', p]),
      runFailingServer(['--webhook-url', 'http://127.0.0.1:9/h']),
      runFailingServer(['--webhook-url', 'localhost:9', '--webhook-secret', 's']),
      runFailingServer([
        '--webhook-url',
        'http://127.0.0.1:9/h',
        '--webhook-secret',
        's',
        '--webhook-events',
        'user.online,typing',
      ]),
      runFailingServer(['--webhook-secret', 's']),
    ]);
    expect([bad.code, noSecret.code, badUrl.code, badEvent.code, secretAlone.code]).toEqual([1, 2, 2, 2, 2]);
    expect(bad.stderr).toContain(
      `config file ${p}: apps[0].webhooks[0].events: unknown event "channel.opened"`,
    );
    expect(noSecret.stderr).toContain(
      'error: --webhook-secret (PARLEY_WEBHOOK_SECRET, config key webhookSecret): missing',
    );
    expect(badUrl.stderr).toContain('error: --webhook-url: "localhost:9" is not an http:// or https:// URL');
    expect(badEvent.stderr).toContain('error: --webhook-events: unknown event "typing"');
    expect(secretAlone.stderr).toContain('error: --webhook-secret needs --webhook-url');
  });

  it('parley serve: PARLEY_WEBHOOK_URL / PARLEY_WEBHOOK_SECRET / PARLEY_WEBHOOK_EVENTS deliver to the endpoint', async () => {
    const rx = await startReceiver();
    const s = await spawnServer(['--port', '0', '--data-dir', dir], {
      env: {
        PARLEY_WEBHOOK_URL: rx.url,
        PARLEY_WEBHOOK_SECRET: 'envsecret',
        PARLEY_WEBHOOK_EVENTS: 'user.online',
      },
    });
    try {
      expect((await rawLogin(s.wsUrl, { appId: APP_ID, uid: 'alice' })).code).toBe(0);
      await until(() => rx.events().length === 1, 5000, 'user.online');
      expect(rx.events()).toEqual([expect.objectContaining({ name: 'user.online', uid: 'alice' })]);
    } finally {
      await s.stop();
      await rx.close();
    }
  });

  it('https: delivers to a receiver whose certificate is trusted (NODE_EXTRA_CA_CERTS), signed', async () => {
    const rx = await startReceiver(() => 200, { tls: true });
    const s = await spawnServer(
      ['--port', '0', '--data-dir', dir, '--webhook-url', rx.url, '--webhook-secret', 'tls'],
      {
        env: { NODE_EXTRA_CA_CERTS: TLS_CERT },
      },
    );
    try {
      expect((await rawLogin(s.wsUrl, { appId: APP_ID, uid: 'alice' })).code).toBe(0);
      await until(() => rx.events().length === 1, 5000, 'user.online over https');
      expect(rx.requests[0]!.headers['x-parley-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    } finally {
      await s.stop();
      await rx.close();
    }
  });

  it('https: an untrusted certificate is a connection error, retried, never delivered', async () => {
    const rx = await startReceiver(() => 200, { tls: true });
    const server = await createServer({
      port: 0,
      dataDir: null,
      logLevel: 'silent',
      webhookUrl: rx.url,
      webhookSecret: 's',
      webhookBatchMs: 1,
      webhookRetryBaseMs: 1,
      webhookRetries: 1,
    });
    try {
      await server.listen();
      expect((await rawLogin(server.wsUrl, { appId: APP_ID, uid: 'alice' })).code).toBe(0);
      await untilMetric(server.url, 'parley_webhook_events_dropped_total{reason="failed"}', 1);
      expect(await metricValue(server.url, 'parley_webhook_requests_total{status="error"}')).toBe(2);
      expect(rx.requests).toHaveLength(0);
    } finally {
      await server.close();
      await rx.close();
    }
  });
});
