import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, ensureBundle, haveChromium, runBrowser } from '../browser-env.js';
import { APP_ID, setup } from '../helpers.js';

/**
 * Agora's web tutorial, in Chromium: one page draws a canvas, uploads its PNG Blob with
 * createMediaMessageByUploading and sends the image message to a second page, which downloads it
 * with downloadMedia and shows it in an <img>. Both pages load the SDK with a <script> tag from
 * the Parley server (/sdk/agora-rtm-sdk.js), from another origin, so the transfers cross CORS.
 */
describe.skipIf(!runBrowser)(
  'image messages in Chromium (canvas → upload → peer → downloadMedia → <img>)',
  () => {
    let t: Awaited<ReturnType<typeof setup>>;
    let browser: Browser;
    const errors: string[] = [];

    const openPage = async (uid: string): Promise<Page> => {
      const page = await browser.newPage();
      page.on('pageerror', (e) => errors.push(`${uid}: ${e.message}`));
      await page.setContent(
        `<!doctype html><script src="http://127.0.0.1:${t.server.port}/sdk/agora-rtm-sdk.js"></script>`,
      );
      await page.evaluate(
        async ([appId, serverUrl, id]) => {
          const w = globalThis as unknown as Record<string, unknown> & {
            AgoraRTM: { createInstance(a: string, c: object): { login(o: object): Promise<void> } };
          };
          const client = w.AgoraRTM.createInstance(appId!, { serverUrl });
          w.client = client;
          await client.login({ uid: id });
        },
        [APP_ID, t.server.wsUrl, uid],
      );
      return page;
    };

    beforeAll(async () => {
      if (!haveChromium) throw new Error(`CI is set but ${CHROMIUM} is missing: install Debian's chromium`);
      ensureBundle();
      t = await setup({ rateLimits: false });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    });
    afterAll(async () => {
      await browser?.close();
      await t?.cleanup();
      if (errors.length) console.warn(`browser page errors:\n${errors.join('\n')}`);
    });

    it('the second page shows the very image the first one drew', async () => {
      const viewer = await openPage('viewer');
      // The viewer does what the tutorial does: on an IMAGE message, download and show it.
      await viewer.evaluate(() => {
        type Img = { messageType: string; mediaId: string; width: number; height: number; fileName: string };
        const w = globalThis as unknown as {
          client: {
            on(e: string, fn: (m: Img) => void): void;
            downloadMedia(id: string, h: object): Promise<Blob>;
          };
          shown: Promise<object>;
        };
        w.shown = new Promise((resolve, reject) => {
          w.client.on('MessageFromPeer', (m) => {
            if (m.messageType !== 'IMAGE') return;
            const steps: number[] = [];
            w.client
              .downloadMedia(m.mediaId, {
                onOperationProgress: (p: { currentSize: number }) => steps.push(p.currentSize),
              })
              .then(async (blob) => {
                const img = document.createElement('img');
                img.src = URL.createObjectURL(blob);
                document.body.append(img);
                await img.decode();
                resolve({
                  fileName: m.fileName,
                  declared: [m.width, m.height],
                  natural: [img.naturalWidth, img.naturalHeight],
                  bytes: Array.from(new Uint8Array(await blob.arrayBuffer())),
                  steps,
                });
              }, reject);
          });
        });
      });

      const painter = await openPage('painter');
      const sent = await painter.evaluate(async () => {
        const canvas = document.createElement('canvas');
        canvas.width = 64;
        canvas.height = 48;
        const g = canvas.getContext('2d')!;
        g.fillStyle = '#3a7';
        g.fillRect(0, 0, 64, 48);
        g.fillStyle = '#e33';
        g.fillRect(8, 8, 20, 30);
        const blob = await new Promise<Blob>((r) => canvas.toBlob((b) => r(b!), 'image/png'));
        const steps: Array<{ currentSize: number; totalSize: number }> = [];
        const client = (
          globalThis as unknown as { client: Record<string, (...a: unknown[]) => Promise<unknown>> }
        ).client;
        const msg = (await client.createMediaMessageByUploading!(
          blob,
          { messageType: 'IMAGE', fileName: 'drawing.png', width: 64, height: 48 },
          { onOperationProgress: (p: { currentSize: number; totalSize: number }) => steps.push(p) },
        )) as { mediaId: string; size: number };
        const r = await client.sendMessageToPeer!(msg, 'viewer');
        return { bytes: Array.from(new Uint8Array(await blob.arrayBuffer())), steps, size: msg.size, r };
      });
      expect(sent.r).toEqual({ hasPeerReceived: true });
      expect(sent.size).toBe(sent.bytes.length);
      expect(sent.steps.at(-1)).toEqual({ currentSize: sent.size, totalSize: sent.size });

      const shown = (await viewer.evaluate(
        () => (globalThis as unknown as { shown: Promise<object> }).shown,
      )) as {
        fileName: string;
        declared: number[];
        natural: number[];
        bytes: number[];
        steps: number[];
      };
      expect(shown.fileName).toBe('drawing.png');
      expect(shown.declared).toEqual([64, 48]);
      expect(shown.natural).toEqual([64, 48]);
      expect(shown.bytes).toEqual(sent.bytes);
      expect(shown.steps.at(-1)).toBe(sent.bytes.length);
    });
  },
);
