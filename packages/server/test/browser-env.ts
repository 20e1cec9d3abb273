import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CHROMIUM } from './chromium.js';

/** Chromium and the SDK's browser bundle, for the tests that run the SDK in a real browser. */
export { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const SDK = join(ROOT, 'packages/sdk');
export const BUNDLE = join(SDK, 'dist/parley-sdk.browser.js');
export const haveChromium = existsSync(CHROMIUM);
export const runBrowser = haveChromium || Boolean(process.env.CI);

if (!runBrowser) {
  console.warn(
    `\n${'!'.repeat(78)}\n!! SKIPPING the browser test: ${CHROMIUM} is missing. Install Debian's chromium\n` +
      `!! (apt-get install -y chromium). With CI set, this test fails instead.\n${'!'.repeat(78)}\n`,
  );
}

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds the bundle (from source) when it is missing or older than the sources it is made of. */
export function ensureBundle(): void {
  const sources = Math.max(
    ...['sdk', 'signaling', 'protocol'].map((p) => newestMtime(join(ROOT, 'packages', p, 'src'))),
  );
  if (existsSync(BUNDLE) && statSync(BUNDLE).mtimeMs >= sources) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/bundle-browser.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`bundle build failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}
