#!/usr/bin/env node
// The `parley` command. npm links a package's bins when it installs it, before `prepare` has
// built dist/, so the bin is this committed file: it runs the built CLI, or says how to build it.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'parley: the CLI is not built (packages/server/dist/cli.js is missing).\n' +
      'Run `npm install` (it builds everything) or `npm run build` in the repository root.\n',
  );
  process.exit(1);
}
await import(cli.href);
