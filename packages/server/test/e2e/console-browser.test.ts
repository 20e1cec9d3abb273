import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RtmChannel, RtmClient } from '@parley/sdk';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../chromium.js';
import { ADMIN_PASSWORD } from '../console-client.js';
import { APP_ID, next, setup } from '../helpers.js';

/**
 * The web console in Debian Chromium against a real server: log in, see a connected SDK user
 * appear, open the user and the channel, follow the live tail, end the user's session and see
 * its SDK client go ABORTED. Each view is screenshot into a temp dir (printed).
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const SOURCES = join(ROOT, 'packages/server/console');
const BUNDLE = join(ROOT, 'packages/server/dist/console/console.js');
const runBrowser = existsSync(CHROMIUM) || Boolean(process.env.CI);

if (!existsSync(CHROMIUM))
  console.warn(
    `\n!! SKIPPING the console browser test: ${CHROMIUM} is missing (apt-get install -y chromium).\n`,
  );

/** Builds the bundles when the console's is missing or older than its sources. */
function ensureBundle(): void {
  const newest = Math.max(...readdirSync(SOURCES).map((f) => statSync(join(SOURCES, f)).mtimeMs));
  if (existsSync(BUNDLE) && statSync(BUNDLE).mtimeMs >= newest) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/bundle-browser.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`bundle build failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

describe.skipIf(!runBrowser)('web console in Chromium', () => {
  let env: Awaited<ReturnType<typeof setup>>;
  let browser: Browser;
  let page: Page;
  let bob: RtmClient;
  let room: RtmChannel;
  const shots = mkdtempSync(join(tmpdir(), 'parley-console-'));
  const shot = async (name: string) => {
    const path = join(shots, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    expect(statSync(path).size).toBeGreaterThan(1000);
  };
  const errors: string[] = [];

  beforeAll(async () => {
    ensureBundle();
    [env, browser] = await Promise.all([
      setup({ adminPassword: ADMIN_PASSWORD }),
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
    ]);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => void d.accept());
  }, 60_000);

  afterAll(async () => {
    console.log(`console screenshots: ${shots}`);
    await browser?.close();
    await env?.cleanup();
  });

  it('logs in, sees a user appear, opens the user and the channel, ends the session: the client goes ABORTED', async () => {
    await page.goto(`${env.server.url}/console/`);
    await shot('login');
    await page.fill('input[name=name]', 'ann');
    await page.fill('input[name=password]', 'wrong');
    await page.click('button[type=submit]');
    await page.getByRole('alert').filter({ hasText: 'Wrong password.' }).waitFor();
    await page.fill('input[name=name]', 'ann');
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.getByTestId('operator').filter({ hasText: 'ann @' }).waitFor();

    // Overview: nobody yet, then the test user appears (the page polls).
    await page.getByTestId('sessions').filter({ hasText: /^0$/ }).waitFor();
    bob = await env.login('bob');
    room = bob.createChannel('room');
    await room.join();
    await bob.addOrUpdateLocalUserAttributes({ mood: 'fine' });
    await bob.addOrUpdateChannelAttributes('room', { topic: 'news' });
    await room.sendMessage({ text: 'hello from bob' });
    await page.getByTestId('sessions').filter({ hasText: /^1$/ }).waitFor();
    expect(await page.getByTestId('nodes-alive').textContent()).toBe('1');
    await shot('overview');

    await page.getByTestId('nav-apps').click();
    await page.getByTestId('app-row').filter({ hasText: APP_ID }).waitFor();
    await shot('apps');

    await page.getByTestId('nav-events').click();
    await page
      .getByTestId('event-row')
      .filter({ hasText: 'user.online' })
      .filter({ hasText: 'uid=bob' })
      .waitFor();
    await page.getByTestId('event-row').filter({ hasText: 'channel.member_joined' }).waitFor();
    await page.getByTestId('event-filter').fill('channel.member');
    await page.getByTestId('event-row').filter({ hasText: 'user.online' }).waitFor({ state: 'detached' });
    expect(await page.getByTestId('event-row').count()).toBe(1);
    await shot('events');

    await page.getByTestId('nav-apps').click();
    await page.getByTestId('open-id').fill('bob');
    await page.getByTestId('open-user').click();
    await page.getByTestId('user-state').filter({ hasText: 'ONLINE' }).waitFor();
    expect(await page.getByTestId('user-node').textContent()).toBe(env.server.config.nodeId);
    expect(await page.getByTestId('user-channels').textContent()).toContain('room');
    expect(await page.getByTestId('user').textContent()).toContain('mood');
    await shot('user');

    await page.getByTestId('user-channels').getByRole('link', { name: 'room' }).click();
    await page.getByTestId('channel-count').filter({ hasText: '1' }).waitFor();
    expect(await page.getByTestId('channel-members').textContent()).toContain('bob');
    expect(await page.getByTestId('channel-attributes').textContent()).toContain('topic');
    expect(await page.getByTestId('channel-history').textContent()).toContain('hello from bob');
    // A channel message as a named sender reaches the member.
    const got = next<[{ text: string }, string]>(room, 'ChannelMessage');
    await page.getByTestId('send-text').fill('from the console');
    await page.getByTestId('send-form').getByRole('button').click();
    const [m, from] = await got;
    expect([m.text, from]).toEqual(['from the console', 'console']);
    await shot('channel');

    await page.getByTestId('channel-members').getByRole('link', { name: 'bob' }).click();
    await page.getByTestId('user-state').filter({ hasText: 'ONLINE' }).waitFor();
    const state = next<[string, string]>(bob, 'ConnectionStateChanged');
    await page.getByTestId('end-session').click();
    expect(await state).toEqual(['ABORTED', 'BANNED_BY_SERVER']);
    await page.getByTestId('user-state').filter({ hasText: 'OFFLINE' }).waitFor();
    await shot('user-ended');
    expect(errors).toEqual([]);
  });
});
