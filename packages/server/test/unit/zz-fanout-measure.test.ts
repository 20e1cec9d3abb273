// One-off measurement (not a test): fan-out of one status change to N subscribers.
import { Op, PROTOCOL_VERSION, classify, decodeFrame, encodeRequest } from '@parley/protocol';
import WebSocket from 'ws';
import { startTestServer } from '@parley/server/testing';

import { it } from 'vitest';
it.skipIf(!process.env.MEASURE)('measure', async () => {
const N = Number(process.env.N ?? 10000);
const APP = '0123456789abcdef0123456789abcdef';
const server = await startTestServer({ rateLimits: false, heartbeatMs: 60_000 });
let got = 0;
let doneAt = 0;
let resolveAll: () => void;
const all = new Promise<void>((r) => (resolveAll = r));
const socks: WebSocket[] = [];
async function watcher(i: number) {
  const ws = new WebSocket(server.wsUrl);
  socks.push(ws);
  await new Promise((r) => ws.once('open', r));
  let phase = 0;
  await new Promise<void>((resolve) => {
    ws.on('message', (d: Buffer) => {
      for (const v of decodeFrame(new Uint8Array(d))) {
        const m = classify(v);
        if (m.kind === 'response') {
          if (phase === 0) { phase = 1; ws.send(encodeRequest(Op.SubscribePeers, 2, { ids: ['star'] })); }
          else if (phase === 1) { phase = 2; resolve(); }
        } else if (m.kind === 'event' && m.op === Op.PeersStatus) {
          if (++got === N) { doneAt = performance.now(); resolveAll(); }
        }
      }
    });
    ws.send(encodeRequest(Op.Login, 1, { v: PROTOCOL_VERSION, appId: APP, uid: `w${i}` }));
  });
}
for (let i = 0; i < N; i += 200) await Promise.all(Array.from({ length: Math.min(200, N - i) }, (_, j) => watcher(i + j)));
console.log('watchers ready', N);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const star = new WebSocket(server.wsUrl);
await new Promise((r) => star.once('open', r));
star.send(encodeRequest(Op.Login, 1, { v: PROTOCOL_VERSION, appId: APP, uid: 'star' }));
await all;
const cpu = process.cpuUsage(cpu0);
console.log(`fan-out of one change to ${N} subscribers: ${(doneAt - t0).toFixed(1)} ms wall (login included), process CPU ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms (server + ${N} client decoders)`);
star.close(); for (const s of socks) s.terminate();
await server.close();
}, 300_000);
