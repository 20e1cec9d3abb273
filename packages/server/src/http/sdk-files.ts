import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { HttpError } from './errors.js';

/**
 * The browser builds of the client SDKs, served under /sdk/ so that a web app can swap Agora's
 * script tag for its Parley server's: `<script src="http://parley:8080/sdk/agora-rtm-sdk.js">`
 * defines `AgoraRTM` as Agora's file did (`agora-signaling.js`: `Signal`, as AgoraSig.js did), and
 * connects back to the server it came from.
 * name → [package, file in its directory]
 */
/** Files served by name: name → [package, file in its directory]. */
export type FileTable = Record<string, [string, string]>;

const FILES: FileTable = {
  'agora-rtm-sdk.js': ['@parley/sdk', 'dist/agora-rtm-sdk.js'],
  'agora-rtm-sdk.js.map': ['@parley/sdk', 'dist/agora-rtm-sdk.js.map'],
  'parley-sdk.browser.js': ['@parley/sdk', 'dist/parley-sdk.browser.js'],
  'parley-sdk.browser.js.map': ['@parley/sdk', 'dist/parley-sdk.browser.js.map'],
  // Legacy Signaling: `Signal` (Web API, as AgoraSig.js) and `AgoraAPIOnlySignal`
  'agora-signaling.js': ['@parley/signaling', 'dist/agora-signaling.js'],
  'agora-signaling.js.map': ['@parley/signaling', 'dist/agora-signaling.js.map'],
  'parley-signaling.browser.js': ['@parley/signaling', 'dist/parley-signaling.browser.js'],
  'parley-signaling.browser.js.map': ['@parley/signaling', 'dist/parley-signaling.browser.js.map'],
};

const require = createRequire(import.meta.url);
const packageDirs = new Map<string, string | null>();

/** The package's directory, or null when it is not installed next to the server. */
function packageDir(name: string): string | null {
  let dir = packageDirs.get(name);
  if (dir === undefined) {
    try {
      dir = dirname(require.resolve(`${name}/package.json`));
    } catch {
      dir = null;
    }
    packageDirs.set(name, dir);
  }
  return dir;
}

/** A file as read once: its bytes, kept for as long as the file on disk keeps its size and mtime. */
interface Cached {
  size: number;
  mtimeMs: number;
  body: Buffer;
  etag: string;
}

/** What to answer: status, headers and the body (none for 304). */
export interface SdkAnswer {
  status: number;
  headers: Record<string, string>;
  body?: Buffer;
}

/** What a failed read reports: the caller answers 503 (and it is logged and counted there). */
export class SdkFileError extends Error {}

/**
 * Serves the SDK files (or another FileTable: the web console's bundle) from memory. Each is
 * read on its first request and kept; a `stat` per
 * request (which needs no file descriptor) notices a rebuild and reads the file again. So once a
 * file was served, serving it never needs a descriptor — under fd exhaustion (EMFILE) it still
 * answers — and a read that fails is answered 503 `sdk_file_unavailable` instead of rejecting.
 * Knows nothing of HTTP frameworks: routes/sdk.ts answers with what `answer` returns.
 */
export class SdkFiles {
  private readonly cache = new Map<string, Cached>();
  /** one read per file at a time: concurrent first requests share it */
  private readonly reading = new Map<string, Promise<Cached>>();

  /** `files`: what is served (the SDKs' by default; the web console passes its own, not cross-origin) */
  constructor(
    private readonly onReadError: (name: string, err: Error) => void = () => undefined,
    private readonly files: FileTable = FILES,
  ) {}

  /**
   * The answer to GET/HEAD /sdk/<name>: 200 / 304, or 404 with the reason; throws HttpError 503
   * `sdk_file_unavailable` when the read failed.
   */
  async answer(name: string, ifNoneMatch: string | undefined): Promise<SdkAnswer> {
    const entry = Object.hasOwn(this.files, name) ? this.files[name] : undefined;
    if (!entry)
      return notFound(
        `no such ${this.files === FILES ? 'SDK ' : ''}file; available: ${Object.keys(this.files).join(', ')}\n`,
      );
    const dir = packageDir(entry[0]);
    const path = dir ? join(dir, entry[1]) : null;
    const info = path ? await stat(path).catch(() => null) : null;
    if (!path || !info) return notFound(`${entry[0]} is not built or not installed next to the server\n`);
    let file: Cached;
    try {
      file = await this.load(name, path, info.size, info.mtimeMs);
    } catch (e) {
      this.onReadError(name, e as Error);
      throw new HttpError(503, 'sdk_file_unavailable', `${name} could not be read; try again`, {
        'retry-after': '5',
      });
    }
    const headers: Record<string, string> = {
      'content-type': contentType(name),
      'cache-control': 'no-cache',
      etag: file.etag,
    };
    // Any web app may load the SDKs from its Parley server.
    if (this.files === FILES) headers['access-control-allow-origin'] = '*';
    if (ifNoneMatch === file.etag) return { status: 304, headers };
    return { status: 200, headers, body: file.body };
  }

  private load(name: string, path: string, size: number, mtimeMs: number): Promise<Cached> {
    const hit = this.cache.get(name);
    if (hit && hit.size === size && hit.mtimeMs === mtimeMs) return Promise.resolve(hit);
    let p = this.reading.get(name);
    if (!p) {
      p = readFile(path)
        .then(
          (body) => {
            const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
            const file = { size, mtimeMs, body, etag };
            this.cache.set(name, file);
            return file;
          },
          (e: Error) => {
            // A previous version is better than nothing (e.g. a rebuild under fd exhaustion).
            if (hit) return hit;
            throw new SdkFileError(`cannot read ${path}: ${e.message}`, { cause: e });
          },
        )
        .finally(() => this.reading.delete(name));
      this.reading.set(name, p);
    }
    return p;
  }
}

function contentType(name: string): string {
  if (name.endsWith('.map')) return 'application/json';
  return name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8';
}

function notFound(text: string): SdkAnswer {
  return { status: 404, headers: { 'content-type': 'text/plain' }, body: Buffer.from(text) };
}
