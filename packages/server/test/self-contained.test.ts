import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

/**
 * Nothing at build, test or run time may read outside the repository: a clean clone in an empty
 * directory must install, test and run. This scans what the repository ships (sources, tests,
 * scripts, benchmarks, docs, configs, CI) for paths that leave it. .ci/run also runs the tests
 * that read fixtures from a copy of the repository alone in an empty temporary directory.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SELF = fileURLToPath(import.meta.url);
// Build outputs, installs and gitignored scratch (tmp/ holds files tests write).
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'data', 'coverage', 'tmp']);
const TEXT = /\.(?:[cm]?[jt]s|json|md|sh|ya?ml)$/;

function shippedFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) shippedFiles(p, out);
    } else if (
      (TEXT.test(e.name) && e.name !== 'package-lock.json') ||
      relative(ROOT, p) === join('.ci', 'run')
    )
      out.push(p);
  }
  return out;
}

/**
 * The folder that sits beside the repository on developers' machines (spec, vectors, seed). Named
 * once, and only as a bare word, so that this file does not itself refer to a path in it.
 */
const BESIDE = 'shared';
const BESIDE_REF = new RegExp(`(?<![\\w-])${BESIDE}/|['"\`]${BESIDE}['"\`]`);

/** Where a line leaves the repository, or null. */
function outsideRepo(file: string, line: string): string | null {
  const depth = relative(ROOT, dirname(file)).split(sep).filter(Boolean).length;
  // A relative path climbing above the repository root from the file's own folder.
  for (const m of line.matchAll(/(?<![\w.])((?:\.\.\/)+)/g))
    if (m[1]!.length / 3 > depth) return `"${m[1]}" climbs above the repository root`;
  if (BESIDE_REF.test(line)) return `refers to a "${BESIDE}" folder outside the repo`;
  // Absolute paths of a developer's machine.
  if (/(?<![\w.])\/(?:work|home|Users)\//.test(line)) return 'an absolute path of a developer machine';
  return null;
}

describe('the repository is self-contained', () => {
  test('no source, test, script, doc or config refers to a path outside the repository', () => {
    const files = shippedFiles(ROOT).filter((f) => f !== SELF);
    expect(files.length).toBeGreaterThan(100);
    const found: string[] = [];
    for (const f of files)
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const why = outsideRepo(f, line);
          if (why) found.push(`${relative(ROOT, f)}:${i + 1}: ${why}: ${line.trim().slice(0, 120)}`);
        });
    expect(found).toEqual([]);
  });

  test('the check finds what it looks for', () => {
    // The samples name the folder beside the repo through BESIDE, so this file does not itself
    // refer to it.
    const beside = BESIDE;
    const testFile = join(ROOT, 'packages', 'token', 'test', 'x.ts');
    expect(outsideRepo(testFile, `readFileSync('../../../../${beside}/vectors/tokens.json')`)).toMatch(
      /climbs/,
    );
    expect(outsideRepo(testFile, "readFileSync(new URL('../../../docs/security.md', import.meta.url))")).toBe(
      null,
    );
    expect(outsideRepo(testFile, `path.resolve(repoRoot, '../${beside}/vectors/tokens.json')`)).toMatch(
      /shared/,
    );
    expect(outsideRepo(testFile, `join(root, '..', '${beside}', 'x')`)).toMatch(/shared/);
    expect(outsideRepo(join(ROOT, 'docs', 'a.md'), `see \`${beside}/spec/tokens.md\``)).toMatch(/shared/);
    expect(outsideRepo(join(ROOT, 'docs', 'a.md'), 'one process shared by many; [x](../README.md)')).toBe(
      null,
    );
    expect(outsideRepo(testFile, "it('online status is shared', () => {")).toBe(null);
    expect(outsideRepo(join(ROOT, 'README.md'), 'cd /work/main && npm test')).toMatch(/absolute/);
  });
});
