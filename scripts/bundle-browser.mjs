// Builds the SDKs' browser files: no Node built-ins, no `ws`, native WebSocket (platform-browser.ts).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packages = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages');
const builtins = new Set(builtinModules);
const isBuiltin = (p) => p.startsWith('node:') || builtins.has(p.split('/')[0]);

/** The browser platform swap and the guards against Node code, shared by every output. */
const browserPlatform = {
  name: 'browser-platform',
  setup(b) {
    b.onResolve({ filter: /\/platform\.js$/ }, (a) => ({
      path: resolve(a.resolveDir, a.path.replace(/platform\.js$/, 'platform-browser.ts')),
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

/**
 * Each SDK gets an ES module (for bundlers and `import`) and a minified classic script that
 * defines the globals Agora's own file did, for pages that load the SDK with a <script> tag
 * (the server serves both under /sdk/). `footer` turns esbuild's namespace global into them.
 */
const outputs = [
  {
    pkg: 'sdk',
    esm: 'parley-sdk.browser.js',
    script: 'agora-rtm-sdk.js',
    globalName: 'AgoraRTM',
    // agora-rtm-sdk's UMD file: `AgoraRTM` is the module's default export.
    footer: 'AgoraRTM = AgoraRTM.default;',
  },
  {
    pkg: 'signaling',
    esm: 'parley-signaling.browser.js',
    script: 'agora-signaling.js',
    globalName: '__parleySignaling',
    // AgoraSig.js: the `Signal(appId)` factory (Web API); Parley adds the Java-style facade.
    footer:
      'var Signal = __parleySignaling.Signal, AgoraAPIOnlySignal = __parleySignaling.AgoraAPIOnlySignal;',
  },
];

const inputs = [];
const written = [];
for (const o of outputs) {
  const dir = join(packages, o.pkg);
  const common = {
    entryPoints: [join(dir, 'src/index.ts')],
    bundle: true,
    platform: 'browser',
    target: 'es2020',
    // Bundles from source, so it needs no prior `tsc` build.
    conditions: ['@parley/source'],
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    plugins: [browserPlatform],
  };
  const esm = join(dir, 'dist', o.esm);
  const script = join(dir, 'dist', o.script);
  const results = await Promise.all([
    build({ ...common, format: 'esm', outfile: esm }),
    build({
      ...common,
      format: 'iife',
      globalName: o.globalName,
      footer: { js: o.footer },
      minify: true,
      outfile: script,
    }),
  ]);
  for (const r of results) inputs.push(...Object.keys(r.metafile.inputs));
  written.push(esm, script);
}

// The web console (packages/server/console/: Preact + htm), served under /console/assets/ behind
// the console's login; no CDN, so it works offline.
{
  const dir = join(packages, 'server');
  const outdir = join(dir, 'dist', 'console');
  mkdirSync(outdir, { recursive: true });
  const script = join(outdir, 'console.js');
  const r = await build({
    entryPoints: [join(dir, 'console/main.ts')],
    bundle: true,
    platform: 'browser',
    target: 'es2020',
    format: 'esm',
    minify: true,
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    plugins: [browserPlatform],
    outfile: script,
  });
  inputs.push(...Object.keys(r.metafile.inputs));
  written.push(script);
  copyFileSync(join(dir, 'console/console.css'), join(outdir, 'console.css'));
}

// Belt and braces: check what actually went in and what came out.
const bad = inputs.filter((p) => /(^|\/)node_modules\/ws\//.test(p) || isBuiltin(p));
const out = written.map((f) => readFileSync(f, 'utf8')).join('\n');
const requires = out.match(
  /\brequire\(\s*["'][^"']+["']\s*\)|\bfrom\s*["']node:[^"']+["']|\bimport\(\s*["'][^."'][^"']*["']\s*\)/g,
);
if (bad.length || requires) {
  console.error('browser bundle check failed:', { inputs: bad, imports: requires });
  process.exit(1);
}
