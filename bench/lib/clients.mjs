/**
 * Load-generator clients: thin protocol clients over `ws`, cheap enough that one process can drive
 * hundreds of them. Each exposes the same surface to the benchmark drivers:
 *   `static connect(url, uid)`, `send(peerUid, text)`, `onDone(latencyMs, received)`, `ping()`, `close()`.
 */
import { performance } from 'node:perf_hooks';
import { classify, decodeFrame, encodeEvent, encodeRequest, Op, PROTOCOL_VERSION } from '@parley/protocol';
import { Packr } from 'msgpackr';
import { io } from 'socket.io-client';
import WebSocket from 'ws';

export const BENCH_APP_ID = 'be9c4be9c4be9c4be9c4be9c4be9c4be';

/** Opens a WebSocket without compression (resolves once open). */
export function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/**
 * Opens a Socket.IO connection over the websocket transport only, without compression, its own
 * Manager (one WebSocket per client) and no reconnection; resolves once connected.
 */
export function openSocketIo(url, auth) {
  return new Promise((resolve, reject) => {
    const socket = io(url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      perMessageDeflate: false,
      auth,
    });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** As the SDK's core: a Ping tells the server the count of processed messages at least this often. */
export const ACK_EVERY = 64;

/**
 * Speaks Parley's wire protocol like the SDK does (one frame per request and per ack; acks a
 * PeerMessage as soon as it arrives; counts the session's messages and reports the count on
 * Ping), without the SDK's state machine, timers and emitters.
 */
export class ParleyRawClient {
  static async connect(wsUrl, uid, appId = BENCH_APP_ID) {
    const ws = await open(wsUrl);
    const c = new ParleyRawClient(ws, uid);
    await c.login(appId);
    return c;
  }

  /** called with (latencyMs, received) when a send is answered */
  onDone = () => {};
  heartbeatMs = 5000;
  endedReason = null;
  nextReq = 1;
  pending = new Map();
  loginWaiter = null;
  /** session messages processed (docs/protocol.md, "Resume and the numbered stream") */
  received = 0;
  reported = 0;

  constructor(ws, uid) {
    this.ws = ws;
    this.uid = uid;
    ws.on('message', (data) => this.onFrame(data));
    ws.on('error', () => {});
  }

  login(appId) {
    return new Promise((resolve, reject) => {
      this.loginWaiter = { reqId: this.nextReq, resolve, reject };
      this.ws.send(
        encodeRequest(Op.Login, this.nextReq++, { v: PROTOCOL_VERSION, appId, uid: this.uid, sdk: 'bench' }),
      );
    });
  }

  send(to, text) {
    const reqId = this.nextReq++;
    this.pending.set(reqId, performance.now());
    this.ws.send(encodeRequest(Op.PeerSend, reqId, { to, msg: { type: 'TEXT', text } }));
  }

  ping() {
    this.reported = this.received;
    this.ws.send(encodeEvent(Op.Ping, this.received));
  }

  close() {
    this.ws.terminate();
  }

  onFrame(data) {
    for (const v of decodeFrame(data)) {
      const m = classify(v);
      if (m.kind === 'event') {
        if (m.op !== Op.Ping && m.op !== Op.ProtocolError) this.received++;
        if (m.op === Op.PeerMessage) this.ws.send(encodeEvent(Op.PeerAck, { id: m.body.id }));
        else if (m.op === Op.SessionEnded) this.endedReason = m.body?.reason ?? 'unknown';
      } else if (m.kind === 'response') {
        this.received++;
        const t0 = this.pending.get(m.reqId);
        if (t0 !== undefined) {
          this.pending.delete(m.reqId);
          this.onDone(performance.now() - t0, m.code === 0 && m.body.received === true);
        } else if (this.loginWaiter?.reqId === m.reqId) {
          const w = this.loginWaiter;
          this.loginWaiter = null;
          if (m.code === 0) {
            this.heartbeatMs = m.body.heartbeatMs;
            w.resolve();
          } else w.reject(new Error(`login of ${this.uid} failed with code ${m.code}`));
        }
      }
    }
    if (this.received - this.reported >= ACK_EVERY) this.ping();
  }
}

const packr = new Packr({ useRecords: false });

/** Client of ws-relay-server.mjs in msgpack mode (uids are strings). */
export class MsgpackRelayClient {
  static async connect(url, uid) {
    return new MsgpackRelayClient(await open(`${url}/?id=${encodeURIComponent(uid)}`), uid);
  }

  onDone = () => {};
  heartbeatMs = 0;
  nextId = 1;
  pending = new Map();

  constructor(ws, uid) {
    this.ws = ws;
    this.uid = uid;
    ws.on('message', (data) => this.onFrame(data));
    ws.on('error', () => {});
  }

  send(to, text) {
    const id = this.nextId++;
    this.pending.set(id, performance.now());
    this.ws.send(packr.pack([1, id, to, text]));
  }

  ping() {}

  close() {
    this.ws.terminate();
  }

  onFrame(data) {
    const m = packr.unpack(data);
    if (m[0] === 2) this.ws.send(packr.pack([3, m[1], m[2]]));
    else if (m[0] === 4) {
      const t0 = this.pending.get(m[1]);
      this.pending.delete(m[1]);
      this.onDone(performance.now() - t0, m[2]);
    }
  }
}

/** Client of ws-relay-server.mjs in binary mode (uids must be decimal integers). */
export class BinaryRelayClient {
  static async connect(url, uid) {
    return new BinaryRelayClient(await open(`${url}/?id=${uid}`), uid);
  }

  onDone = () => {};
  heartbeatMs = 0;
  nextId = 1;
  pending = new Map();

  constructor(ws, uid) {
    this.ws = ws;
    this.uid = uid;
    ws.on('message', (data) => this.onFrame(data));
    ws.on('error', () => {});
  }

  send(to, text) {
    const id = this.nextId++;
    const payload = Buffer.from(text);
    const b = Buffer.allocUnsafe(9 + payload.length);
    b[0] = 1;
    b.writeUInt32BE(Number(to), 1);
    b.writeUInt32BE(id, 5);
    payload.copy(b, 9);
    this.pending.set(id, performance.now());
    this.ws.send(b);
  }

  ping() {}

  close() {
    this.ws.terminate();
  }

  onFrame(b) {
    if (b[0] === 2) {
      const ack = Buffer.allocUnsafe(10);
      ack[0] = 3;
      b.copy(ack, 1, 1, 9); // peer (the original sender) and msgId
      ack[9] = 0;
      this.ws.send(ack);
    } else if (b[0] === 4) {
      const id = b.readUInt32BE(5);
      const t0 = this.pending.get(id);
      this.pending.delete(id);
      this.onDone(performance.now() - t0, b[9] === 1);
    }
  }
}

/**
 * Client of socketio-relay-server.mjs with socket.io-client: `send` emits with an ack callback
 * (answered with `received`); a delivered `msg` is acked at once. The Socket.IO server pings, the
 * client library answers: nothing for the driver to keep alive.
 */
export class SocketIoRelayClient {
  static async connect(url, uid) {
    return new SocketIoRelayClient(await openSocketIo(url, { id: uid }), uid);
  }

  onDone = () => {};
  heartbeatMs = 0;

  constructor(socket, uid) {
    this.socket = socket;
    this.uid = uid;
    socket.on('msg', (_from, _text, ack) => ack());
  }

  send(to, text) {
    const t0 = performance.now();
    this.socket.emit('send', to, text, (received) => this.onDone(performance.now() - t0, received));
  }

  ping() {}

  close() {
    this.socket.disconnect();
  }
}
