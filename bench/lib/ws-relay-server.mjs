/**
 * Baseline for the peer-relay benchmark: the least a `ws` server must do to relay an acknowledged
 * peer message, with the same message flow as Parley (send → deliver → ack → result, one frame
 * each, no batching, no validation, no ids, no timers).
 *
 *   node bench/lib/ws-relay-server.mjs [msgpack|binary]   → prints "listening <port>"
 *
 * Clients connect to `ws://127.0.0.1:<port>/?id=<uid>`.
 * - msgpack (default): frames are MessagePack arrays, decoded and re-encoded (as any relay of
 *   structured messages must): send [1, msgId, to, text] → deliver [2, msgId, from, text] →
 *   ack [3, msgId, from] → result [4, msgId, received].
 * - binary: [type u8][peer u32 BE][msgId u32 BE][payload]; the server only rewrites the type and
 *   peer fields in place and forwards the same buffer: the floor of what a relay can cost.
 *   Types as above; ack and result carry one payload byte (result: 1 = received).
 */
import { Packr } from 'msgpackr';
import { WebSocketServer } from 'ws';

const mode = process.argv[2] ?? 'msgpack';
if (mode !== 'msgpack' && mode !== 'binary') throw new Error(`unknown mode ${mode}`);
const packr = new Packr({ useRecords: false });
const clients = new Map();
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });

wss.on('connection', (ws, req) => {
  const raw = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
  const id = mode === 'binary' ? Number(raw) : raw;
  clients.set(id, ws);
  ws.on('close', () => {
    if (clients.get(id) === ws) clients.delete(id);
  });
  ws.on('error', () => {});
  ws.on('message', mode === 'binary' ? (b) => onBinary(id, ws, b) : (b) => onMsgpack(id, ws, b));
});

function onMsgpack(id, ws, bytes) {
  const m = packr.unpack(bytes);
  if (m[0] === 1) {
    const peer = clients.get(m[2]);
    if (peer) peer.send(packr.pack([2, m[1], id, m[3]]));
    else ws.send(packr.pack([4, m[1], false]));
  } else if (m[0] === 3) {
    clients.get(m[2])?.send(packr.pack([4, m[1], true]));
  }
}

function onBinary(id, ws, b) {
  const type = b[0];
  if (type !== 1 && type !== 3) return;
  const peer = clients.get(b.readUInt32BE(1));
  if (!peer) {
    if (type === 1) ws.send(Buffer.from([4, 0, 0, 0, 0, b[5], b[6], b[7], b[8], 0]));
    return;
  }
  b[0] = type + 1;
  b.writeUInt32BE(id, 1);
  if (type === 3) b[9] = 1;
  peer.send(b);
}

wss.on('listening', () => process.stdout.write(`listening ${wss.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
