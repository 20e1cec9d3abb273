/**
 * Baseline for the channel fan-out benchmark: the least a `ws` server must do to broadcast a
 * channel message, with the same message flow as Parley (send → one event to every other member
 * of the channel → result to the sender), MessagePack-coded, encoded once per message, one frame
 * per message per recipient (no batching), no validation, no ids, no history.
 *
 *   node bench/lib/ws-broadcast-server.mjs   → prints "listening <port>"
 *
 * Clients connect to `ws://127.0.0.1:<port>/?ch=<channel>&id=<uid>` and are members of that
 * channel from then on. send [1, msgId, text] → members get [2, from, text] → sender gets [3, msgId].
 */
import { Packr } from 'msgpackr';
import { WebSocketServer } from 'ws';

const packr = new Packr({ useRecords: false });
/** channel → member sockets */
const channels = new Map();
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });

wss.on('connection', (ws, req) => {
  const q = new URL(req.url ?? '/', 'http://x').searchParams;
  const ch = q.get('ch') ?? '';
  const id = q.get('id') ?? '';
  let members = channels.get(ch);
  if (!members) channels.set(ch, (members = new Set()));
  members.add(ws);
  ws.on('close', () => {
    members.delete(ws);
    if (members.size === 0 && channels.get(ch) === members) channels.delete(ch);
  });
  ws.on('error', () => {});
  ws.on('message', (bytes) => {
    const m = packr.unpack(bytes);
    if (m[0] !== 1) return;
    const event = packr.pack([2, id, m[2]]);
    for (const other of members) if (other !== ws) other.send(event);
    ws.send(packr.pack([3, m[1]]));
  });
});

wss.on('listening', () => process.stdout.write(`listening ${wss.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
