import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AgoraRTM, { type RtmClient, type RtmFileMessage } from '@parley/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP_ID, collect, until } from '../helpers.js';
import { spawnServer, type ServerProcess } from '../server-process.js';

const sha256 = async (b: Blob) =>
  createHash('sha256')
    .update(Buffer.from(await b.arrayBuffer()))
    .digest('hex');
const FAST = { reconnect: { baseMs: 50, capMs: 200, floorMs: 20 } };

/**
 * The embedded media store on a real data dir, in a real server process (needs `npm run build`):
 * an upload the server answered survives kill -9; what a crash left half-written is removed at
 * the next start; expired files are removed by the sweeper.
 */
describe('media on the data dir', () => {
  let dir: string;
  let server: ServerProcess | null = null;
  const clients: RtmClient[] = [];
  const login = async (uid: string, port: number) => {
    const c = AgoraRTM.createInstance(APP_ID, { serverUrl: `ws://127.0.0.1:${port}/rtm`, ...FAST });
    clients.push(c);
    await c.login({ uid });
    return c;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-media-'));
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.release();
    if (server && server.proc.exitCode === null && server.proc.signalCode === null) await server.kill9();
    server = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves an upload after kill -9 and a restart; leftovers of a crash are removed', async () => {
    server = await spawnServer(['--port', '0', '--data-dir', dir]);
    const port = server.port;
    const alice = await login('alice', port);
    const file = new Blob([Uint8Array.from({ length: 2 * 1024 * 1024 + 5 }, (_, i) => (i * 7) & 255)]);
    const msg = await alice.createMediaMessageByUploading(file, { messageType: 'FILE', fileName: 'f.bin' });
    const { mediaId } = msg;
    expect(readdirSync(join(dir, 'media'))).toEqual([mediaId]);
    // An offline message carries it through the kill too.
    expect(await alice.sendMessageToPeer(msg, 'bob', { enableOfflineMessaging: true })).toEqual({
      hasPeerReceived: false,
    });

    await server.kill9();
    // What a kill in the middle of uploads leaves: a temp file, and a file whose row never committed.
    writeFileSync(join(dir, 'media', '.part-cutshort0000000000000'), 'half');
    writeFileSync(join(dir, 'media', 'neverCommitted00000000'), 'whole but unknown');
    server = await spawnServer(['--port', String(port), '--data-dir', dir]);
    expect(readdirSync(join(dir, 'media'))).toEqual([mediaId]);

    const bob = AgoraRTM.createInstance(APP_ID, { serverUrl: `ws://127.0.0.1:${port}/rtm`, ...FAST });
    clients.push(bob);
    const got = collect<[RtmFileMessage, string, { isOfflineMessage: boolean }]>(bob, 'MessageFromPeer');
    await bob.login({ uid: 'bob' });
    await until(() => got.length === 1, 10_000, 'the offline file message');
    expect(got[0]![0]).toMatchObject({ messageType: 'FILE', mediaId, fileName: 'f.bin', size: file.size });
    expect(got[0]![2].isOfflineMessage).toBe(true);
    expect(await sha256(await bob.downloadMedia(mediaId))).toBe(await sha256(file));
  });

  it('removes expired files (--media-ttl-ms) with the sweeper', async () => {
    server = await spawnServer(['--port', '0', '--data-dir', dir, '--media-ttl-ms', '500']);
    const alice = await login('alice', server.port);
    const { mediaId } = await alice.createMediaMessageByUploading(new Blob(['x'.repeat(1000)]));
    const path = join(dir, 'media', mediaId);
    expect(existsSync(path)).toBe(true);
    await until(() => !existsSync(path), 10_000, 'the sweeper to remove the file');
    const code = await alice.downloadMedia(mediaId).then(
      () => 0,
      (e: { code: number }) => e.code,
    );
    expect(code).toBe(4);
  });
});
