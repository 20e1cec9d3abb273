#!/usr/bin/env node
// Benchmark dispatcher: `npm run bench -- <name> [options]` runs bench/<name>.mjs.
// A benchmark module either exports a default `async (args: string[]) => void` or runs on import
// (it then reads its options from process.argv.slice(2), which is set to [options] here).
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const [name, ...args] = process.argv.slice(2);
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .map((f) => f.slice(0, -4));

if (!name || !/^[a-z0-9][a-z0-9-]*$/.test(name) || !existsSync(join(dir, `${name}.mjs`))) {
  if (name) console.error(`unknown benchmark "${name}"`);
  console.error(`usage: npm run bench -- <name> [options]\nbenchmarks: ${available.join(', ') || '(none)'}`);
  process.exit(name ? 1 : 0);
}

const file = join(dir, `${name}.mjs`);
process.argv = [process.argv[0], file, ...args];
const mod = await import(pathToFileURL(file).href);
if (typeof mod.default === 'function') await mod.default(args);
