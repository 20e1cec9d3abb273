import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The browser builds of the client SDKs, served under /sdk/ so that a web app can swap Agora's
 * script tag for its Parley server's: `<script src="http://parley:8080/sdk/agora-rtm-sdk.js">`
 * defines `AgoraRTM` as Agora's file did (`agora-signaling.js`: `Signal`, as AgoraSig.js did), and
 * connects back to the server it came from.
 * name → [package, file in its directory]
 */
const FILES: Record<string, [string, string]> = {
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

/** Serves GET/HEAD /sdk/<name>; answers 404 with the reason when the file is not available. */
export async function serveSdkFile(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
  const entry = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (!entry) return plain(res, 404, `no such SDK file; available: ${Object.keys(FILES).join(', ')}\n`);
  const dir = packageDir(entry[0]);
  const path = dir ? join(dir, entry[1]) : null;
  const info = path ? await stat(path).catch(() => null) : null;
  if (!path || !info)
    return plain(res, 404, `${entry[0]} is not built or not installed next to the server\n`);
  const etag = `"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}"`;
  const headers = {
    'content-type': name.endsWith('.map') ? 'application/json' : 'text/javascript; charset=utf-8',
    'access-control-allow-origin': '*',
    'cache-control': 'no-cache',
    etag,
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    return void res.end();
  }
  const body = req.method === 'HEAD' ? null : await readFile(path);
  res.writeHead(200, { ...headers, 'content-length': info.size });
  res.end(body);
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
