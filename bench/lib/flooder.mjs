/**
 * A hostile client for the flood benchmark, in its own process so its own CPU does not slow the
 * bystander being measured: `node bench/lib/flooder.mjs <wsUrl> <kind> <appId>` logs in and sends
 * frames of 1,500 requests as fast as the socket takes them; when the server closes the socket it
 * reconnects at once. Kinds: peer-send (PeerSend), subscribe (SubscribePeers with 9,000 ids per
 * request, a few per frame), query (QueryPeersOnline). Prints `ready` once flooding, and on SIGTERM
 * one JSON line `{ frames, sockets, closes: { code: n } }`.
 */
import { Op, PROTOCOL_VERSION, encodeRequest } from '@parley/protocol';
import WebSocket from 'ws';

const [url, kind, appId] = process.argv.slice(2);
const ids = (n, p) => Array.from({ length: n }, (_, i) => `${p}${i}`);
const BODIES = {
  'peer-send': { op: Op.PeerSend, perFrame: 1500, body: { to: 'nobody', msg: { type: 'TEXT', text: 'x' } } },
  // 9,000 ids are ~50 KB: one request per frame keeps the frame under the 64 KB limit.
  subscribe: { op: Op.SubscribePeers, perFrame: 1, body: { ids: ids(9000, 'p') } },
  query: { op: Op.QueryPeersOnline, perFrame: 1500, body: { ids: ['nobody'] } },
};
const spec = BODIES[kind];
if (!spec) throw new Error(`flooder: unknown kind ${kind}`);

const stats = { frames: 0, sockets: 0, closes: {} };
let stopping = false;
let announced = false;

function frame(firstReqId) {
  const parts = [];
  for (let i = 0; i < spec.perFrame; i++) parts.push(encodeRequest(spec.op, firstReqId + i, spec.body));
  return Buffer.concat(parts);
}

async function floodOnce() {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  stats.sockets++;
  ws.on('error', () => {});
  const closed = new Promise((r) => ws.once('close', (code) => r(code)));
  let open = true;
  void closed.then(() => {
    open = false;
  });
  // Logged in first, so the flood is of requests a session may make (refused by its limits).
  const loggedIn = new Promise((r) => ws.once('message', r));
  ws.send(
    encodeRequest(Op.Login, 1, { v: PROTOCOL_VERSION, appId, uid: `flooder-${process.pid}`, sdk: 'bench' }),
  );
  await Promise.race([loggedIn, closed]);
  let reqId = 2;
  if (!announced) {
    announced = true;
    process.stdout.write('ready\n');
  }
  while (open && !stopping) {
    if (ws.bufferedAmount > 1 << 20) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    ws.send(frame(reqId));
    reqId += spec.perFrame;
    stats.frames++;
    // Let the socket's reads and the close come in between frames.
    await new Promise((r) => setImmediate(r));
  }
  if (!open) {
    const code = await closed;
    stats.closes[code] = (stats.closes[code] ?? 0) + 1;
  } else ws.terminate();
}

process.on('SIGTERM', () => {
  stopping = true;
});
while (!stopping) {
  try {
    await floodOnce();
  } catch {
    await new Promise((r) => setTimeout(r, 10));
  }
}
process.stdout.write(`${JSON.stringify(stats)}\n`);
process.exit(0);
