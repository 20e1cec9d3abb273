import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { requireBuiltCli } from './server-process.js';

const PKG_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(PKG_DIR, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  files: string[];
};
const BIN = join(PKG_DIR, pkg.bin.parley!);

describe('the parley bin (npx parley)', () => {
  test('is a committed file, not a build output: npm links bins before `prepare` builds dist/', () => {
    expect(normalize(pkg.bin.parley!)).toBe(normalize('bin/parley.js'));
    expect(pkg.files).toContain('bin');
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  test('runs the built CLI', () => {
    requireBuiltCli();
    const help = execFileSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(help).toContain('Usage: parley');
    const token = execFileSync(
      process.execPath,
      [
        BIN,
        ...['token', 'rtm', '--app-id', '970CA35de60c44645bbae8a215061b33'],
        ...['--app-certificate', '5CFd2fd1755d40ecb72977518be15d3b', '--user', 'alice'],
      ],
      { encoding: 'utf8' },
    );
    expect(token).toMatch(/^007\S+\n$/);
  });

  test('without a build, says how to build and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-bin-'));
    try {
      mkdirSync(join(dir, 'bin'));
      writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
      copyFileSync(BIN, join(dir, 'bin', 'parley.js'));
      const r = spawnSync(process.execPath, [join(dir, 'bin', 'parley.js'), '--help'], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        'parley: the CLI is not built (packages/server/dist/cli.js is missing).\n' +
          'Run `npm install` (it builds everything) or `npm run build` in the repository root.\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
