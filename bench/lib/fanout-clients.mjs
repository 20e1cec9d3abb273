/**
 * Load-generator clients of the channel fan-out benchmark: thin protocol clients over `ws`, cheap
 * enough that one process holds thousands of channel members (the Socket.IO one uses
 * socket.io-client, as a Socket.IO app would). All kinds expose the same surface:
 *   `static connect(url, uid, channelId)` (logged in and joined), `send(text)` (sender),
 *   `onMessage(text)` and `onSent()` callbacks, `close()`.
 */
import { encodeRequest, Op } from '@parley/protocol';
import { Packr } from 'msgpackr';
import { open, openSocketIo, ParleyWireClient, WsClient } from './clients.mjs';

/**
 * A Parley channel member speaking the wire protocol directly (Login, Join, ChannelSend). Like the
 * SDK it counts the session's messages and reports the count on a Ping every ACK_EVERY of them.
 */
export class ParleyChannelClient extends ParleyWireClient {
  static async connect(wsUrl, uid, channelId) {
    const c = new ParleyChannelClient(await open(wsUrl), uid, channelId);
    await c.login();
    const join = await c.request(Op.Join, { channelId });
    if (join.code !== 0) throw new Error(`join of ${uid} failed with code ${join.code}`);
    return c;
  }

  /** called with the text of every ChannelMessage received */
  onMessage = () => {};
  /** called when a send is answered (code 0) */
  onSent = () => {};

  constructor(ws, uid, channelId) {
    super(ws, uid);
    this.channelId = channelId;
  }

  send(text) {
    this.ws.send(
      encodeRequest(Op.ChannelSend, this.nextReq++, {
        channelId: this.channelId,
        msg: { type: 'TEXT', text },
      }),
    );
  }

  onEvent(m) {
    if (m.op === Op.ChannelMessage) this.onMessage(m.body.msg.text);
  }

  onResponse(m) {
    if (super.onResponse(m)) return true;
    if (m.code !== 0) throw new Error(`send failed with code ${m.code}`);
    this.onSent();
    return true;
  }
}

const packr = new Packr({ useRecords: false });

/** A member of the bare `ws` broadcast baseline (lib/ws-broadcast-server.mjs). */
export class BareChannelClient extends WsClient {
  static async connect(url, uid, channelId) {
    return new BareChannelClient(
      await open(`${url}/?ch=${encodeURIComponent(channelId)}&id=${encodeURIComponent(uid)}`),
    );
  }

  onMessage = () => {};
  onSent = () => {};
  nextId = 1;

  send(text) {
    this.ws.send(packr.pack([1, this.nextId++, text]));
  }

  onFrame(data) {
    const m = packr.unpack(data);
    if (m[0] === 2) this.onMessage(m[2]);
    else if (m[0] === 3) this.onSent();
  }
}

/** A member of the Socket.IO broadcast baseline (lib/socketio-broadcast-server.mjs). */
export class SocketIoChannelClient {
  static async connect(url, uid, channelId) {
    return new SocketIoChannelClient(await openSocketIo(url, { id: uid, ch: channelId }));
  }

  onMessage = () => {};
  onSent = () => {};

  constructor(socket) {
    this.socket = socket;
    socket.on('msg', (_from, text) => this.onMessage(text));
    this.sent = () => this.onSent();
  }

  send(text) {
    this.socket.emit('send', text, this.sent);
  }

  close() {
    this.socket.disconnect();
  }
}
