// Builds the browser ESM bundle: no Node built-ins, no `ws`, native WebSocket (platform-browser.ts).
// Bundles from source (the @parley/source condition), so it needs no prior `tsc` build.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist/parley-sdk.browser.js');
const builtins = new Set(builtinModules);
const isBuiltin = (p) => p.startsWith('node:') || builtins.has(p.split('/')[0]);

/** The browser platform swap and the guards against Node code, shared by both outputs. */
const browserPlatform = {
  name: 'browser-platform',
  setup(b) {
    b.onResolve({ filter: /\/platform\.js$/ }, (a) => ({
      path: join(a.resolveDir, 'platform-browser.ts'),
    }));
    b.onResolve({ filter: /^ws$/ }, (a) => ({
      errors: [{ text: `ws must not be in the browser bundle (imported by ${a.importer})` }],
    }));
    // esbuild already refuses most built-ins for platform 'browser'; this names the importer.
    b.onResolve({ filter: /.*/ }, (a) =>
      a.kind !== 'entry-point' && isBuiltin(a.path)
        ? {
            errors: [
              {
                text: `Node built-in "${a.path}" must not be in the browser bundle (imported by ${a.importer})`,
              },
            ],
          }
        : undefined,
    );
  },
};
const common = {
  entryPoints: [join(root, 'src/index.ts')],
  bundle: true,
  platform: 'browser',
  target: 'es2020',
  conditions: ['@parley/source'],
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
  plugins: [browserPlatform],
};

const result = await build({ ...common, format: 'esm', outfile });

// The classic-script build for apps that load Agora's SDK with a <script> tag: it defines the
// same global, `AgoraRTM`, as agora-rtm-sdk's UMD file (the module's default export).
const globalOut = join(root, 'dist/agora-rtm-sdk.js');
const globalResult = await build({
  ...common,
  format: 'iife',
  globalName: 'AgoraRTM',
  footer: { js: 'AgoraRTM = AgoraRTM.default;' },
  minify: true,
  outfile: globalOut,
});

// Belt and braces: check what actually went in and what came out.
const bad = [
  ...Object.keys(result.metafile.inputs),
  ...Object.keys(globalResult.metafile.inputs),
].filter(
  (p) => /(^|\/)node_modules\/ws\//.test(p) || isBuiltin(p),
);
const out = readFileSync(outfile, 'utf8') + readFileSync(globalOut, 'utf8');
const requires = out.match(
  /\brequire\(\s*["'][^"']+["']\s*\)|\bfrom\s*["']node:[^"']+["']|\bimport\(\s*["'][^."'][^"']*["']\s*\)/g,
);
if (bad.length || requires) {
  console.error('browser bundle check failed:', { inputs: bad, imports: requires });
  process.exit(1);
}
