/**
 * Load-generator clients of the channel fan-out benchmark: thin protocol clients over `ws`, cheap
 * enough that one process holds thousands of channel members (the Socket.IO one uses
 * socket.io-client, as a Socket.IO app would). All kinds expose the same surface:
 *   `static connect(url, uid, channelId)` (logged in and joined), `send(text)` (sender),
 *   `onMessage(text)` and `onSent()` callbacks, `close()`.
 */
import { Op, PROTOCOL_VERSION, classify, decodeFrame, encodeEvent, encodeRequest } from '@parley/protocol';
import { Packr } from 'msgpackr';
import { ACK_EVERY, BENCH_APP_ID, open, openSocketIo } from './clients.mjs';

/**
 * A Parley channel member speaking the wire protocol directly (Login, Join, ChannelSend). Like the
 * SDK it counts the session's messages and reports the count on a Ping every ACK_EVERY of them.
 */
export class ParleyChannelClient {
  static async connect(wsUrl, uid, channelId) {
    const c = new ParleyChannelClient(await open(wsUrl), uid, channelId);
    const login = await c.request(Op.Login, { v: PROTOCOL_VERSION, appId: BENCH_APP_ID, uid, sdk: 'bench' });
    if (login.code !== 0) throw new Error(`login of ${uid} failed with code ${login.code}`);
    const join = await c.request(Op.Join, { channelId });
    if (join.code !== 0) throw new Error(`join of ${uid} failed with code ${join.code}`);
    return c;
  }

  /** called with the text of every ChannelMessage received */
  onMessage = () => {};
  /** called when a send is answered (code 0) */
  onSent = () => {};
  nextReq = 1;
  waiting = new Map();
  received = 0;
  reported = 0;

  constructor(ws, uid, channelId) {
    this.ws = ws;
    this.uid = uid;
    this.channelId = channelId;
    ws.on('message', (data) => this.onFrame(data));
    ws.on('error', () => {});
  }

  request(op, body) {
    const reqId = this.nextReq++;
    return new Promise((resolve) => {
      this.waiting.set(reqId, resolve);
      this.ws.send(encodeRequest(op, reqId, body));
    });
  }

  send(text) {
    this.ws.send(
      encodeRequest(Op.ChannelSend, this.nextReq++, {
        channelId: this.channelId,
        msg: { type: 'TEXT', text },
      }),
    );
  }

  close() {
    this.ws.terminate();
  }

  onFrame(data) {
    for (const v of decodeFrame(data)) {
      const m = classify(v);
      if (m.kind === 'event') {
        if (m.op !== Op.Ping && m.op !== Op.ProtocolError) this.received++;
        if (m.op === Op.ChannelMessage) this.onMessage(m.body.msg.text);
      } else if (m.kind === 'response') {
        this.received++;
        const w = this.waiting.get(m.reqId);
        if (w) {
          this.waiting.delete(m.reqId);
          w({ code: m.code, body: m.body });
        } else if (m.code === 0) this.onSent();
        else throw new Error(`send failed with code ${m.code}`);
      }
    }
    if (this.received - this.reported >= ACK_EVERY) {
      this.reported = this.received;
      this.ws.send(encodeEvent(Op.Ping, this.received));
    }
  }
}

const packr = new Packr({ useRecords: false });

/** A member of the bare `ws` broadcast baseline (lib/ws-broadcast-server.mjs). */
export class BareChannelClient {
  static async connect(url, uid, channelId) {
    return new BareChannelClient(
      await open(`${url}/?ch=${encodeURIComponent(channelId)}&id=${encodeURIComponent(uid)}`),
    );
  }

  onMessage = () => {};
  onSent = () => {};
  nextId = 1;

  constructor(ws) {
    this.ws = ws;
    ws.on('message', (data) => this.onFrame(data));
    ws.on('error', () => {});
  }

  send(text) {
    this.ws.send(packr.pack([1, this.nextId++, text]));
  }

  close() {
    this.ws.terminate();
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
