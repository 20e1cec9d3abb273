/**
 * Socket.IO baseline for the peer-relay benchmark: the same acknowledged flow written the way a
 * Socket.IO app would (send → deliver → ack → result, each an event with an ack callback).
 *
 *   node bench/lib/socketio-relay-server.mjs   → prints "listening <port>"
 *
 * Clients connect with `auth: { id: uid }` over the websocket transport only. A client emits
 * `send(to, text, ack)`; the server emits `msg(from, text, peerAck)` to the peer's socket and, when
 * the peer acks, calls `ack(true)` (`ack(false)` when the peer is not connected). Default parser,
 * no compression, no connection-state recovery.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const http = createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
/** uid → socket */
const clients = new Map();

io.on('connection', (socket) => {
  const id = String(socket.handshake.auth?.id ?? '');
  clients.set(id, socket);
  socket.on('disconnect', () => {
    if (clients.get(id) === socket) clients.delete(id);
  });
  socket.on('send', (to, text, ack) => {
    const peer = clients.get(to);
    if (!peer) return ack(false);
    peer.emit('msg', id, text, () => ack(true));
  });
});

http.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${http.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
