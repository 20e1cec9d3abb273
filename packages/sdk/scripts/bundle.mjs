// Builds the browser ESM bundle: no Node built-ins, native WebSocket (platform-browser.ts).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(root, 'src/index.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  conditions: ['@parley/source'],
  outfile: join(root, 'dist/parley-sdk.browser.js'),
  sourcemap: true,
  logLevel: 'warning',
  plugins: [
    {
      name: 'browser-platform',
      setup(b) {
        b.onResolve({ filter: /\/platform\.js$/ }, (a) => ({ path: join(a.resolveDir, 'platform-browser.ts') }));
        b.onResolve({ filter: /^ws$/ }, () => ({ errors: [{ text: 'ws must not be in the browser bundle' }] }));
      },
    },
  ],
});
