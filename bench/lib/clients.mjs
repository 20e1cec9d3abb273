/**
 * Load-generator clients: thin protocol clients over `ws`, cheap enough that one process can drive
 * hundreds of them. Each peer client exposes the same surface to the benchmark drivers:
 *   `static connect(url, uid)`, `send(peerUid, text)`, `onDone(latencyMs, received)`, `ping()`, `close()`.
 * The channel clients (fanout-clients.mjs) build on the connection helpers and base classes here.
 */
import { performance } from 'node:perf_hooks';
import {
  classify,
  concatFrames,
  decodeFrame,
  encodeEvent,
  encodeRequest,
  MAX_FRAME_BYTES,
  Op,
  PROTOCOL_VERSION,
} from '@parley/protocol';
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

/**
 * Connects `n` clients, `connect(i)` for i in 0…n-1, `batch` at a time (a burst of thousands of
 * handshakes would only measure accept()).
 */
export async function connectInBatches(n, connect, batch = 100) {
  const out = [];
  for (let i = 0; i < n; i += batch) {
    const part = [];
    for (let j = i; j < Math.min(n, i + batch); j++) part.push(connect(j));
    out.push(...(await Promise.all(part)));
  }
  return out;
}

/** A client on one WebSocket: its messages go to `onFrame`; socket errors are ignored (the socket closes). */
export class WsClient {
  constructor(ws) {
    this.ws = ws;
    ws.on('message', (data) => this.onFrame(data));
    ws.on('error', () => {});
  }

  close() {
    this.ws.terminate();
  }
}

/** As the SDK does: what a Parley client sends in one turn goes as one frame (PARLEY_BENCH_BATCH=0: one frame each). */
const BATCH_SENDS = process.env.PARLEY_BENCH_BATCH !== '0';

/** As the SDK's core: a Ping tells the server the count of processed messages at least this often. */
export const ACK_EVERY = Number(process.env.PARLEY_BENCH_ACK_EVERY ?? 64);

/**
 * Speaks Parley's wire protocol like the SDK does (one frame per request; counts the session's
 * messages and reports the count on a Ping every ACK_EVERY of them), without the SDK's state
 * machine, timers and emitters. Subclasses handle events (`onEvent`) and the responses that
 * `request` is not waiting for (`onResponse`).
 */
export class ParleyWireClient extends WsClient {
  nextReq = 1;
  waiting = new Map();
  /** session messages processed (docs/protocol.md, "Resume and the numbered stream") */
  received = 0;
  reported = 0;

  /** messages queued this turn (BATCH_SENDS): one frame at the end of the turn */
  queued = [];

  constructor(ws, uid) {
    super(ws);
    this.uid = uid;
  }

  /** Sends an encoded message: at once, or with BATCH_SENDS in one frame with the turn's others. */
  out(bytes) {
    if (!BATCH_SENDS) return this.ws.send(bytes);
    if (this.queued.push(bytes) === 1) setImmediate(this.flush);
  }

  flush = () => {
    const q = this.queued;
    this.queued = [];
    if (this.ws.readyState !== 1) return;
    // As the SDK: no frame over the server's limit (a message over it alone goes on its own).
    let from = 0;
    let bytes = 0;
    for (let i = 0; i < q.length; i++) {
      if (i > from && bytes + q[i].byteLength > MAX_FRAME_BYTES) {
        this.ws.send(concatFrames(q.slice(from, i)));
        from = i;
        bytes = 0;
      }
      bytes += q[i].byteLength;
    }
    this.ws.send(concatFrames(q.slice(from)));
  };

  /** Sends a request; resolves with its response (`{ code, body }`). */
  request(op, body) {
    const reqId = this.nextReq++;
    return new Promise((resolve) => {
      this.waiting.set(reqId, resolve);
      this.out(encodeRequest(op, reqId, body));
    });
  }

  /** Logs in as `uid`; resolves with the Login response body. */
  async login(appId = BENCH_APP_ID) {
    const r = await this.request(Op.Login, { v: PROTOCOL_VERSION, appId, uid: this.uid, sdk: 'bench' });
    if (r.code !== 0) throw new Error(`login of ${this.uid} failed with code ${r.code}`);
    return r.body;
  }

  ping() {
    this.reported = this.received;
    this.out(encodeEvent(Op.Ping, this.received));
  }

  onFrame(data) {
    for (const v of decodeFrame(data)) {
      const m = classify(v);
      if (m.kind === 'event') {
        if (m.op !== Op.Ping && m.op !== Op.ProtocolError) this.received++;
        this.onEvent(m);
      } else if (m.kind === 'response') {
        this.received++;
        this.onResponse(m);
      }
    }
    if (this.received - this.reported >= ACK_EVERY) this.ping();
  }

  onEvent() {}

  /** Settles a `request` waiting for this response; false if none was. */
  onResponse(m) {
    const resolve = this.waiting.get(m.reqId);
    if (!resolve) return false;
    this.waiting.delete(m.reqId);
    resolve({ code: m.code, body: m.body });
    return true;
  }
}

/** A Parley peer: acks a PeerMessage as soon as it arrives, as the SDK does. */
export class ParleyRawClient extends ParleyWireClient {
  static async connect(wsUrl, uid, appId = BENCH_APP_ID) {
    const c = new ParleyRawClient(await open(wsUrl), uid);
    c.heartbeatMs = (await c.login(appId)).heartbeatMs;
    return c;
  }

  /** called with (latencyMs, received) when a send is answered */
  onDone = () => {};
  heartbeatMs = 5000;
  endedReason = null;
  /** send time by reqId of the sends not answered yet */
  pending = new Map();

  send(to, text) {
    const reqId = this.nextReq++;
    this.pending.set(reqId, performance.now());
    // With an idempotency key, as the SDK sends every message (`<instance prefix>.<counter>`).
    this.out(
      encodeRequest(Op.PeerSend, reqId, { to, msg: { type: 'TEXT', text }, key: this.keyPrefix + reqId }),
    );
  }
  keyPrefix = `${Math.random().toString(36).slice(2, 14)}.`;

  onEvent(m) {
    if (m.op === Op.PeerMessage) this.out(encodeEvent(Op.PeerAck, { id: m.body.id }));
    else if (m.op === Op.SessionEnded) this.endedReason = m.body?.reason ?? 'unknown';
  }

  onResponse(m) {
    const t0 = this.pending.get(m.reqId);
    if (t0 === undefined) return super.onResponse(m);
    this.pending.delete(m.reqId);
    this.onDone(performance.now() - t0, m.code === 0 && m.body.received === true);
    return true;
  }
}

const packr = new Packr({ useRecords: false });

/**
 * A client of ws-relay-server.mjs: `stamp` a message id when sending, `settle` it when answered.
 * The relay has no sessions: nothing to keep alive.
 */
class RelayClient extends WsClient {
  onDone = () => {};
  heartbeatMs = 0;
  nextId = 1;
  /** send time by message id of the sends not answered yet */
  pending = new Map();

  constructor(ws, uid) {
    super(ws);
    this.uid = uid;
  }

  stamp(id) {
    this.pending.set(id, performance.now());
  }

  settle(id, received) {
    const t0 = this.pending.get(id);
    this.pending.delete(id);
    this.onDone(performance.now() - t0, received);
  }

  ping() {}
}

/** Client of ws-relay-server.mjs in msgpack mode (uids are strings). */
export class MsgpackRelayClient extends RelayClient {
  static async connect(url, uid) {
    return new MsgpackRelayClient(await open(`${url}/?id=${encodeURIComponent(uid)}`), uid);
  }

  send(to, text) {
    const id = this.nextId++;
    this.stamp(id);
    this.ws.send(packr.pack([1, id, to, text]));
  }

  onFrame(data) {
    const m = packr.unpack(data);
    if (m[0] === 2) this.ws.send(packr.pack([3, m[1], m[2]]));
    else if (m[0] === 4) this.settle(m[1], m[2]);
  }
}

/** Client of ws-relay-server.mjs in binary mode (uids must be decimal integers). */
export class BinaryRelayClient extends RelayClient {
  static async connect(url, uid) {
    return new BinaryRelayClient(await open(`${url}/?id=${uid}`), uid);
  }

  send(to, text) {
    const id = this.nextId++;
    const payload = Buffer.from(text);
    const b = Buffer.allocUnsafe(9 + payload.length);
    b[0] = 1;
    b.writeUInt32BE(Number(to), 1);
    b.writeUInt32BE(id, 5);
    payload.copy(b, 9);
    this.stamp(id);
    this.ws.send(b);
  }

  onFrame(b) {
    if (b[0] === 2) {
      const ack = Buffer.allocUnsafe(10);
      ack[0] = 3;
      b.copy(ack, 1, 1, 9); // peer (the original sender) and msgId
      ack[9] = 0;
      this.ws.send(ack);
    } else if (b[0] === 4) this.settle(b.readUInt32BE(5), b[9] === 1);
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
