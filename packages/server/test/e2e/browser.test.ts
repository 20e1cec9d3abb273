import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RtmClient } from '@parley/sdk';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, next, setup } from '../helpers.js';
import { BUNDLE, CHROMIUM, CHROMIUM_ARGS, ensureBundle, haveChromium, runBrowser } from '../browser-env.js';

/**
 * The SDK's browser ESM bundle, loaded in Debian Chromium, talks to a real server and exchanges
 * peer messages (text and raw bytes, both ways) with a Node SDK client; and the classic-script
 * build, served by the server under /sdk/, runs a page written for Agora's <script> tag.
 */

describe('browser bundle', () => {
  beforeAll(ensureBundle);

  it('contains no Node built-ins and no ws', () => {
    const js = readFileSync(BUNDLE, 'utf8');
    expect(js).not.toMatch(/\brequire\(\s*["']/);
    expect(js).not.toMatch(/\bfrom\s*["'](node:|ws["'])/);
    expect(js).not.toMatch(/\bimport\(\s*["'][^."']/);
    // `ws` internals (its server and handshake) would show up by these names.
    expect(js).not.toMatch(/WebSocketServer|Sec-WebSocket-Key|perMessageDeflate/);
    const map = JSON.parse(readFileSync(`${BUNDLE}.map`, 'utf8')) as { sources: string[] };
    expect(map.sources.filter((s) => /node_modules\/ws\/|platform\.ts$/.test(s))).toEqual([]);
  });
});

/** The page: a plain ES module importing the bundle, driven through `window.harness`. */
const PAGE_SCRIPT = `
import AgoraRTM from './parley-sdk.browser.js';
const received = [];
let client;
window.harness = {
  version: () => AgoraRTM.VERSION,
  async login(serverUrl, appId, uid) {
    client = AgoraRTM.createInstance(appId, { serverUrl });
    client.on('MessageFromPeer', (m, peerId, props) => received.push({
      peerId,
      messageType: m.messageType,
      text: m.text,
      raw: m.rawMessage instanceof Uint8Array ? Array.from(m.rawMessage) : undefined,
      description: m.description,
      serverReceivedTs: props.serverReceivedTs,
    }));
    await client.login({ uid });
    return client.connectionState;
  },
  sendText: (peerId, text) => client.sendMessageToPeer({ text }, peerId),
  sendRaw: (peerId, bytes, description) =>
    client.sendMessageToPeer(client.createMessage({ rawMessage: new Uint8Array(bytes), description, messageType: 'RAW' }), peerId),
  received: () => received,
  async logout() { await client.logout(); return client.connectionState; },
};
`;
const PAGE_HTML = `<!doctype html><meta charset="utf-8"><title>parley browser test</title>
<script type="module">${PAGE_SCRIPT}</script>`;

interface Received {
  peerId: string;
  messageType: string;
  text?: string;
  raw?: number[];
  description?: string;
  serverReceivedTs: number;
}
interface Harness {
  version(): string;
  login(serverUrl: string, appId: string, uid: string): Promise<string>;
  sendText(peerId: string, text: string): Promise<{ hasPeerReceived: boolean }>;
  sendRaw(peerId: string, bytes: number[], description: string): Promise<{ hasPeerReceived: boolean }>;
  received(): Received[];
  logout(): Promise<string>;
}
/** The page's globals. page.evaluate callbacks run in the page: they may use only globals and types. */
type W = { harness: Harness };

/** Calls `window.harness[method](...args)` in the page and returns its (awaited) result. */
function inPage<M extends keyof Harness>(
  page: Page,
  method: M,
  ...args: Parameters<Harness[M]>
): Promise<Awaited<ReturnType<Harness[M]>>> {
  return page.evaluate(
    ([m, a]) => ((globalThis as unknown as W).harness[m] as (...x: unknown[]) => unknown)(...a),
    [method, args] as [M, unknown[]],
  ) as Promise<Awaited<ReturnType<Harness[M]>>>;
}

/** Serves the page and the bundle (plus its source map) on 127.0.0.1, port 0. */
async function serveStatic(): Promise<{ http: Server; url: string }> {
  const files: Record<string, [type: string, body: string | Buffer]> = {
    '/': ['text/html; charset=utf-8', PAGE_HTML],
    '/parley-sdk.browser.js': ['text/javascript; charset=utf-8', readFileSync(BUNDLE)],
    '/parley-sdk.browser.js.map': ['application/json', readFileSync(`${BUNDLE}.map`)],
    '/favicon.ico': ['image/x-icon', ''],
  };
  const http = createServer((req, res) => {
    const f = files[(req.url ?? '/').split('?')[0]!];
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': f[0], 'cache-control': 'no-store' }).end(f[1]);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { http, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/` };
}

describe.skipIf(!runBrowser)('SDK browser bundle in Chromium', () => {
  const BROWSER_UID = 'browser-alice';
  const NODE_UID = 'node-bob';
  let t: Awaited<ReturnType<typeof setup>>;
  let site: Awaited<ReturnType<typeof serveStatic>>;
  let browser: Browser;
  let page: Page;
  let bob: RtmClient;
  /** Uncaught errors and console errors in the page: shown when something fails. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`CI is set but ${CHROMIUM} is missing: install Debian's chromium`);
    ensureBundle();
    // Started together (the launch is the slow part); whatever started is closed in afterAll.
    const started = await Promise.allSettled([
      setup({ rateLimits: false }).then((v) => (t = v)),
      serveStatic().then((v) => (site = v)),
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }).then((v) => (browser = v)),
    ]);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console.error: ${m.text()}`);
    });
    await page.goto(site.url);
    await page
      .waitForFunction(() => (globalThis as unknown as W).harness !== undefined, undefined, {
        timeout: 10_000,
      })
      .catch((e) => {
        throw new Error(`the page did not load the bundle: ${pageErrors.join('; ') || (e as Error).message}`);
      });
    bob = await t.login(NODE_UID);
    const state = await inPage(page, 'login', t.server.wsUrl, APP_ID, BROWSER_UID);
    expect(state).toBe('CONNECTED');
  });

  afterAll(async () => {
    await browser?.close();
    site?.http.closeAllConnections();
    await new Promise((r) => (site ? site.http.close(r) : r(undefined)));
    await t?.cleanup();
    if (pageErrors.length) console.warn(`browser page errors:\n${pageErrors.join('\n')}`);
  });

  it('runs the bundle, not Node code', async () => {
    expect(typeof (await inPage(page, 'version'))).toBe('string');
    expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
  });

  it('sends text and raw bytes from the browser to a Node client', async () => {
    const text = 'hello from Chromium — héllo 🌍 世界';
    let got = next<[{ text?: string; messageType: string }, string, { serverReceivedTs: number }]>(
      bob,
      'MessageFromPeer',
    );
    expect(await inPage(page, 'sendText', NODE_UID, text)).toEqual({
      hasPeerReceived: true,
    });
    const [m1, from1, props1] = await got;
    expect(m1).toEqual({ text, messageType: 'TEXT' });
    expect(from1).toBe(BROWSER_UID);
    expect(props1.serverReceivedTs).toBeGreaterThan(0);

    const bytes = [0, 1, 2, 127, 128, 254, 255, ...Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff)];
    got = next(bob, 'MessageFromPeer');
    expect(await inPage(page, 'sendRaw', NODE_UID, bytes, 'bin')).toEqual({
      hasPeerReceived: true,
    });
    const [m2, from2] = (await got) as unknown as [
      { rawMessage: Uint8Array; description: string; messageType: string },
      string,
    ];
    expect(m2.messageType).toBe('RAW');
    expect(m2.rawMessage).toBeInstanceOf(Uint8Array);
    expect(Array.from(m2.rawMessage)).toEqual(bytes);
    expect(m2.description).toBe('bin');
    expect(from2).toBe(BROWSER_UID);
  });

  it('receives text and raw bytes from a Node client in the browser', async () => {
    const before = (await inPage(page, 'received')).length;
    const text = 'hello from Node — ☃ 𝄞';
    const bytes = Array.from({ length: 256 }, (_, i) => 255 - i);
    expect(await bob.sendMessageToPeer({ text }, BROWSER_UID)).toEqual({ hasPeerReceived: true });
    expect(
      await bob.sendMessageToPeer(
        { rawMessage: new Uint8Array(bytes), description: 'desc', messageType: 'RAW' },
        BROWSER_UID,
      ),
    ).toEqual({ hasPeerReceived: true });
    await page.waitForFunction(
      (n) => (globalThis as unknown as W).harness.received().length >= n,
      before + 2,
      { timeout: 5000 },
    );
    const got = (await inPage(page, 'received')).slice(before);
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({ peerId: NODE_UID, messageType: 'TEXT', text });
    expect(got[0]!.raw).toBeUndefined();
    expect(got[1]).toMatchObject({ peerId: NODE_UID, messageType: 'RAW', description: 'desc', raw: bytes });
    expect(got[1]!.text).toBeUndefined();
  });

  it("a page written for Agora's <script> tag runs on the server's /sdk/agora-rtm-sdk.js: window.AgoraRTM, no serverUrl", async () => {
    const classic = await browser.newPage();
    classic.on('pageerror', (e) => pageErrors.push(`classic pageerror: ${e.message}`));
    try {
      // The page comes from elsewhere (about:blank); only the script comes from the Parley server,
      // and the SDK connects back to where it was loaded from.
      await classic.setContent(
        `<!doctype html><script src="http://127.0.0.1:${t.server.port}/sdk/agora-rtm-sdk.js"></script>`,
      );
      type G = {
        AgoraRTM: {
          VERSION: string;
          createInstance(appId: string): {
            on(e: string, fn: (...a: unknown[]) => void): void;
            login(o: { uid: string }): Promise<void>;
            sendMessageToPeer(m: { text: string }, to: string): Promise<{ hasPeerReceived: boolean }>;
            logout(): Promise<void>;
            connectionState: string;
          };
          ConnectionState: Record<string, string>;
        };
        c: ReturnType<G['AgoraRTM']['createInstance']>;
        got: string[];
      };
      const info = await classic.evaluate(async (appId) => {
        const g = globalThis as unknown as G;
        g.got = [];
        g.c = g.AgoraRTM.createInstance(appId);
        g.c.on('MessageFromPeer', (m, from) => g.got.push(`${from}:${(m as { text: string }).text}`));
        await g.c.login({ uid: 'script-tag-carol' });
        return [g.c.connectionState, g.AgoraRTM.ConnectionState.CONNECTED, typeof g.AgoraRTM.VERSION];
      }, APP_ID);
      expect(info).toEqual(['CONNECTED', 'CONNECTED', 'string']);

      const got = next<[{ text?: string }, string]>(bob, 'MessageFromPeer');
      const sent = await classic.evaluate(
        (to) => (globalThis as unknown as G).c.sendMessageToPeer({ text: 'from a script tag' }, to),
        NODE_UID,
      );
      expect(sent).toEqual({ hasPeerReceived: true });
      const [m, from] = await got;
      expect([m.text, from]).toEqual(['from a script tag', 'script-tag-carol']);
      expect(await bob.sendMessageToPeer({ text: 'back' }, 'script-tag-carol')).toEqual({
        hasPeerReceived: true,
      });
      await classic.waitForFunction(() => (globalThis as unknown as G).got.length === 1, undefined, {
        timeout: 5000,
      });
      expect(await classic.evaluate(() => (globalThis as unknown as G).got)).toEqual([`${NODE_UID}:back`]);
      await classic.evaluate(() => (globalThis as unknown as G).c.logout());
    } finally {
      await classic.close();
    }
  });

  it("a page written for Agora's Web Signaling script (AgoraSig.js) runs on the server's /sdk/agora-signaling.js: Signal(appId), no serverUrl", async () => {
    const legacy = await browser.newPage();
    legacy.on('pageerror', (e) => pageErrors.push(`signaling pageerror: ${e.message}`));
    try {
      await legacy.setContent(
        `<!doctype html><script src="http://127.0.0.1:${t.server.port}/sdk/agora-signaling.js"></script>`,
      );
      type Session = {
        onLoginSuccess: ((uid: number) => void) | string;
        onLoginFailed: ((ecode: number) => void) | string;
        onMessageInstantReceive: ((account: string, uid: number, msg: string) => void) | string;
        messageInstantSend(peer: string, msg: string, cb: (failed: boolean) => void): void;
        logout(): void;
      };
      type G = {
        Signal(appId: string): { login(account: string, token: string): Session; getSDKVersion(): string };
        AgoraAPIOnlySignal: unknown;
        session: Session;
        got: string[];
      };
      const loggedIn = await legacy.evaluate(
        (appId) =>
          new Promise<string>((resolve) => {
            const g = globalThis as unknown as G;
            g.got = [];
            g.session = g.Signal(appId).login('sig-dave', '_no_need_token');
            g.session.onLoginSuccess = () => resolve(`ok ${typeof g.AgoraAPIOnlySignal}`);
            g.session.onLoginFailed = (ecode) => resolve(`failed ${ecode}`);
            g.session.onMessageInstantReceive = (account, _uid, msg) => g.got.push(`${account}:${msg}`);
          }),
        APP_ID,
      );
      expect(loggedIn).toBe('ok function');

      const got = next<[{ text?: string }, string]>(bob, 'MessageFromPeer');
      const failed = await legacy.evaluate(
        (to) =>
          new Promise<boolean>((resolve) =>
            (globalThis as unknown as G).session.messageInstantSend(to, 'from AgoraSig.js', resolve),
          ),
        NODE_UID,
      );
      expect(failed).toBe(false);
      const [m, from] = await got;
      expect([m.text, from]).toEqual(['from AgoraSig.js', 'sig-dave']);
      expect(await bob.sendMessageToPeer({ text: 'back' }, 'sig-dave')).toEqual({ hasPeerReceived: true });
      await legacy.waitForFunction(() => (globalThis as unknown as G).got.length === 1, undefined, {
        timeout: 5000,
      });
      expect(await legacy.evaluate(() => (globalThis as unknown as G).got)).toEqual([`${NODE_UID}:back`]);
      await legacy.evaluate(() => (globalThis as unknown as G).session.logout());
    } finally {
      await legacy.close();
    }
  });

  it('logs out from the browser; the peer is then offline', async () => {
    expect(await inPage(page, 'logout')).toBe('DISCONNECTED');
    expect(await bob.sendMessageToPeer({ text: 'anyone?' }, BROWSER_UID)).toEqual({ hasPeerReceived: false });
  });
});
