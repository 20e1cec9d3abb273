import { createHash } from 'node:crypto';
import pg from 'pg';
import type { RtmFileMessage, RtmMessage } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { next, setup, until } from '../helpers.js';
import { spawnServer } from '../server-process.js';
import { REDIS_URL } from './nodes.js';
import { freshPostgresSchema, postgresTestsRun, type TestSchema } from './postgres.js';

const sha256 = async (b: Blob) =>
  createHash('sha256')
    .update(Buffer.from(await b.arrayBuffer()))
    .digest('hex');
const blobOf = (n: number) => new Blob([Uint8Array.from({ length: n }, (_, i) => (i * 31 + (i >> 8)) & 255)]);

/**
 * Cluster mode (two nodes on a real Redis) with the media in a real PostgreSQL (--postgres): an
 * upload through one node is downloaded through the other, byte for byte.
 */
describe.runIf(await postgresTestsRun())('media across nodes (PostgreSQL media store)', () => {
  let schema: TestSchema;
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    schema = await freshPostgresSchema();
    t = await setup({ cluster: 2, postgres: schema.url, rateLimits: false });
  });
  afterAll(async () => {
    await t?.cleanup();
    await schema?.drop();
  });

  it('downloads on node B what was uploaded through node A, in 256 KB chunks', async () => {
    const alice = await t.login('alice'); // node A
    const bob = await t.login('bob'); // node B
    expect(t.sessionOf('alice')).toBe(t.servers[0]!.sessions.local(t.sessionOf('alice')!.appId, 'alice'));
    expect(t.servers[1]!.sessions.local(t.sessionOf('bob')!.appId, 'bob')).toBeDefined();
    const file = blobOf(1024 * 1024 + 12_345);
    const msg = await alice.createMediaMessageByUploading(file, { messageType: 'FILE', fileName: 'x.bin' });
    const got = next<[RtmMessage, string]>(bob, 'MessageFromPeer');
    await alice.sendMessageToPeer(msg, 'bob');
    const [m] = await got;
    const down = await bob.downloadMedia((m as RtmFileMessage).mediaId);
    expect(await sha256(down)).toBe(await sha256(file));

    const p = new pg.Pool({ connectionString: schema.url, max: 1 });
    const chunks = await p.query('SELECT n, length(data) AS len FROM media_chunks WHERE id = $1 ORDER BY n', [
      msg.mediaId,
    ]);
    await p.end();
    expect(chunks.rows.map((r) => r.len)).toEqual([262_144, 262_144, 262_144, 262_144, 12_345]);
  });
});

/** Cluster mode without --postgres: uploads are refused with a clear answer (docs/media.md). */
describe('media in cluster mode without PostgreSQL', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    t = await setup({ cluster: 2 });
  });
  afterAll(() => t?.cleanup());

  it('refuses uploads with 1 (FAILURE), the server saying media_unavailable', async () => {
    if (t.mode !== 'redis') return; // no Redis here: setup() said so loudly
    const alice = await t.login('alice');
    const err = await alice
      .createMediaMessageByUploading(blobOf(100))
      .catch((e: Error & { code: number }) => e);
    expect((err as { code: number }).code).toBe(1);
    expect((err as Error).message).toMatch(/stores no media/);
    expect(await t.server.metrics.registry.metrics()).toMatch(
      /parley_media_refusals_total\{code="media_unavailable"\} 1\b/,
    );
  });

  it('says so at start-up (a real `parley serve --redis` process)', async () => {
    if (t.mode !== 'redis') return;
    const p = await spawnServer([
      '--port',
      '0',
      '--redis',
      REDIS_URL,
      '--redis-prefix',
      `media-${process.pid}`,
    ]);
    try {
      await until(() => /cluster mode needs --postgres/.test(p.stdout() + p.stderr()), 5000, 'the warning');
    } finally {
      await p.kill9();
    }
  });
});
