/**
 * Media transfer benchmark: `npm run bench -- media [options]` (build first: `npm run build`).
 *
 * One SDK client uploads a file of `--mb` MB `--rounds` times with createMediaMessageByUploading,
 * then downloads it as often with downloadMedia, against `parley serve` with the embedded store
 * (files + SQLite), or with `--postgres <url>` the PostgreSQL one. Reported: MB/s up and down
 * (median round), the server's CPU per MB, and its resident memory before, after and at peak —
 * a store that held whole files would grow with the file size and the rounds.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from './lib/args.mjs';
import { procStats, startParley } from './lib/server-proc.mjs';
import { median } from './lib/stats.mjs';

const DEFAULTS = { mb: 30, rounds: 4, postgres: '' };

export default async function media(argv) {
  const o = parseArgs(argv, DEFAULTS);
  const { default: AgoraRTM } = await import('@parley/sdk');
  const server = await startParley(o.postgres ? ['--postgres', o.postgres] : []);
  try {
    const client = AgoraRTM.createInstance('0123456789abcdef0123456789abcdef', { serverUrl: server.url });
    await client.login({ uid: 'bench' });
    const before = procStats(server.pid);
    const file = new Blob([new Uint8Array(o.mb * 1024 * 1024).fill(7)]);
    const up = [];
    const down = [];
    let mediaId = '';
    const cpu0 = procStats(server.pid).cpuMs;
    for (let i = 0; i < o.rounds; i++) {
      const t = performance.now();
      mediaId = (await client.createMediaMessageByUploading(file)).mediaId;
      up.push(o.mb / ((performance.now() - t) / 1000));
    }
    for (let i = 0; i < o.rounds; i++) {
      const t = performance.now();
      const b = await client.downloadMedia(mediaId);
      if (b.size !== file.size) throw new Error(`downloaded ${b.size} bytes of ${file.size}`);
      down.push(o.mb / ((performance.now() - t) / 1000));
    }
    const after = procStats(server.pid);
    client.release();
    const mbMoved = 2 * o.mb * o.rounds;
    console.log(
      JSON.stringify({
        store: o.postgres ? 'postgres' : 'files+sqlite',
        fileMB: o.mb,
        rounds: o.rounds,
        upMBps: Number(median(up).toFixed(1)),
        downMBps: Number(median(down).toFixed(1)),
        serverCpuMsPerMB: Number(((after.cpuMs - cpu0) / mbMoved).toFixed(1)),
        serverRssMB: { before: mib(before.rssKiB), after: mib(after.rssKiB), peak: mib(after.hwmKiB) },
      }),
    );
  } finally {
    await server.stop();
  }
}

const mib = (kib) => Number((kib / 1024).toFixed(1));
