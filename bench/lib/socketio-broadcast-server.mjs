/**
 * Socket.IO baseline for the channel fan-out benchmark: the same flow written the way a Socket.IO
 * app would. Members join a room; the sender emits `send(text, ack)`; the server broadcasts
 * `msg(from, text)` with `socket.to(room).emit(...)` (every room member but the sender; the
 * in-memory adapter encodes the packet and its WebSocket frame once) and calls `ack()`.
 *
 *   node bench/lib/socketio-broadcast-server.mjs   → prints "listening <port>"
 *
 * Clients connect with `auth: { id: uid, ch: channel }` over the websocket transport only and are
 * members of that room from then on. Default parser, no compression.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const http = createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });

io.on('connection', (socket) => {
  const id = String(socket.handshake.auth?.id ?? '');
  const room = String(socket.handshake.auth?.ch ?? '');
  // Joined in the same tick as the CONNECT packet is sent, so before the client can send.
  socket.join(room);
  socket.on('send', (text, ack) => {
    socket.to(room).emit('msg', id, text);
    ack();
  });
});

http.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${http.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
