import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CloseCode, LoginError, MAX_FRAME_BYTES, Op, PeerMessageError } from '@parley/protocol';
import AgoraRTM, { type RtmClient, type RtmConfig } from '../src/index.js';
import { FakeServer } from './fake-server.js';
import { APP_ID, next, rejection, sleep, states, until } from './wait.js';

/** SDK connection-core edge cases against a scripted server (see fake-server.ts). */
describe('SDK core against a scripted server', () => {
  let fake: FakeServer;
  const clients: RtmClient[] = [];
  const client = (cfg: RtmConfig = {}) => {
    const c = AgoraRTM.createInstance(APP_ID, {
      serverUrl: fake.url,
      reconnect: { baseMs: 20, capMs: 50, floorMs: 10 },
      ...cfg,
    });
    clients.push(c);
    return c;
  };
  beforeEach(async () => {
    fake = await FakeServer.start();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.release();
    await fake.close();
  });

  describe('login', () => {
    it('times out with RtmTimeoutError 9 and DISCONNECTED/LOGIN_TIMEOUT when the login is never answered', async () => {
      fake.onLogin = () => null;
      const c = client({ loginTimeoutMs: 300 });
      const seen = states(c);
      const e = await rejection(c.login({ uid: 'alice' }));
      expect(e.name).toBe('RtmTimeoutError');
      expect(e.code).toBe(LoginError.TIMEOUT);
      expect(seen).toEqual(['CONNECTING/LOGIN', 'DISCONNECTED/LOGIN_TIMEOUT']);
      expect(c.connectionState).toBe('DISCONNECTED');
    });

    it('times out against a TCP listener that accepts and never speaks', async () => {
      const sockets = new Set<Socket>();
      const silent: TcpServer = createTcpServer((s) => {
        sockets.add(s);
        s.on('error', () => undefined);
      });
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      try {
        const port = (silent.address() as { port: number }).port;
        const c = client({ serverUrl: `ws://127.0.0.1:${port}/rtm`, loginTimeoutMs: 300 });
        const seen = states(c);
        const e = await rejection(c.login({ uid: 'alice' }));
        expect([e.name, e.code]).toEqual(['RtmTimeoutError', 9]);
        expect(seen).toEqual(['CONNECTING/LOGIN', 'DISCONNECTED/LOGIN_TIMEOUT']);
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => silent.close(() => r()));
      }
    });

    it.each([
      [LoginError.REJECTED, 'RtmUnavailableError'],
      [LoginError.INVALID_APP_ID, 'RtmUnauthenticatedError'],
      [LoginError.INVALID_TOKEN, 'RtmUnauthenticatedError'],
      [LoginError.TOKEN_EXPIRED, 'RtmUnauthenticatedError'],
      [LoginError.UNKNOWN, 'RtmUnknownError'],
    ])('maps a refused login (code %i) to %s and DISCONNECTED/LOGIN_FAILURE', async (code, name) => {
      fake.onLogin = () => ({ code });
      const c = client();
      const seen = states(c);
      const e = await rejection(c.login({ uid: 'alice' }));
      expect([e.name, e.code]).toEqual([name, code]);
      expect(e.message).toMatch(new RegExp(`^ Error Code ${code} - `));
      expect(seen).toEqual(['CONNECTING/LOGIN', 'DISCONNECTED/LOGIN_FAILURE']);
    });

    it('a logout while logging in aborts the login with 201', async () => {
      fake.onLogin = () => null;
      const c = client();
      const seen = states(c);
      const login = rejection(c.login({ uid: 'alice' }));
      await until(() => fake.requests(Op.Login).length === 1);
      await c.logout();
      const e = await login;
      expect([e.name, e.code]).toEqual(['RtmInvalidStatusError', LoginError.ABORTED_BY_LOGOUT]);
      expect(seen).toEqual(['CONNECTING/LOGIN', 'DISCONNECTED/LOGOUT']);
    });

    it('release() while logging in settles the login (201) instead of leaving it hanging', async () => {
      fake.onLogin = () => null;
      const c = client();
      const login = rejection(c.login({ uid: 'alice' }));
      await until(() => fake.requests(Op.Login).length === 1);
      c.release();
      const e = await login;
      expect([e.name, e.code]).toEqual(['RtmInvalidStatusError', LoginError.ABORTED_BY_LOGOUT]);
      expect(c.connectionState).toBe('DISCONNECTED');
    });

    it('retries a dropped connection within the login timeout', async () => {
      let first = true;
      fake.onLogin = () => {
        if (first) {
          first = false;
          fake.killAll();
          return null;
        }
        return { code: 0, body: fake.loginBody() };
      };
      const c = client();
      const seen = states(c);
      await c.login({ uid: 'alice' });
      expect(seen).toEqual(['CONNECTING/LOGIN', 'CONNECTED/LOGIN_SUCCESS']);
      expect(fake.requests(Op.Login)).toHaveLength(2);
    });

    it('fails over across several server URLs', async () => {
      const c = client({ serverUrl: ['ws://127.0.0.1:1/rtm', fake.url] });
      await c.login({ uid: 'alice' });
      expect(c.connectionState).toBe('CONNECTED');
    });
  });

  describe('sessions ended by the server', () => {
    it('a REMOTE_LOGIN close without SessionEnded still moves to ABORTED/REMOTE_LOGIN', async () => {
      const c = client();
      await c.login({ uid: 'alice' });
      const seen = states(c);
      fake.dropAll(CloseCode.REMOTE_LOGIN, 'REMOTE_LOGIN');
      await until(() => c.connectionState === 'ABORTED');
      expect(seen).toEqual(['ABORTED/REMOTE_LOGIN']);
      const e = await rejection(c.sendMessageToPeer({ text: 'x' }, 'bob'));
      expect([e.name, e.code]).toEqual(['RtmInvalidStatusError', 102]);
      await c.logout();
      expect(seen).toEqual(['ABORTED/REMOTE_LOGIN', 'DISCONNECTED/LOGOUT']);
    });

    it('SessionEnded TOKEN_EXPIRED → ABORTED/TOKEN_EXPIRED and TokenExpired', async () => {
      const c = client();
      await c.login({ uid: 'alice' });
      const seen = states(c);
      const expired = next(c, 'TokenExpired');
      fake.event(Op.SessionEnded, { reason: 'TOKEN_EXPIRED' });
      await expired;
      expect(seen).toEqual(['ABORTED/TOKEN_EXPIRED']);
    });

    it('SessionEnded SERVER_SHUTDOWN → RECONNECTING; a pending call survives and goes out after the re-login', async () => {
      const c = client();
      await c.login({ uid: 'alice' });
      const seen = states(c);
      const send = c.sendMessageToPeer({ text: 'survives' }, 'bob');
      await until(() => fake.requests(Op.PeerSend).length === 1);
      fake.event(Op.SessionEnded, { reason: 'SERVER_SHUTDOWN' });
      fake.dropAll(CloseCode.GOING_AWAY);
      fake.onRequest = (op) =>
        op === Op.PeerSend ? { code: 0, body: { id: 'x', ts: 1, received: true, cached: false } } : null;
      expect(await send).toEqual({ hasPeerReceived: true });
      expect(seen).toEqual(['RECONNECTING/INTERRUPTED', 'CONNECTED/LOGIN_SUCCESS']);
      const sends = fake.requests(Op.PeerSend);
      expect(sends).toHaveLength(2);
      expect(sends[1]!.conn).toBeGreaterThan(sends[0]!.conn);
      expect(fake.requests(Op.Login)).toHaveLength(2);
    });
  });

  describe('automatic re-login', () => {
    it('keeps retrying while the server refuses for a transient reason, then reconnects', async () => {
      const c = client();
      await c.login({ uid: 'alice' });
      const seen = states(c);
      let refusals = 0;
      fake.onLogin = () =>
        ++refusals <= 3 ? { code: LoginError.REJECTED } : { code: 0, body: fake.loginBody() };
      fake.killAll();
      await until(() => c.connectionState === 'CONNECTED' && refusals > 3);
      expect(seen).toEqual(['RECONNECTING/INTERRUPTED', 'CONNECTED/LOGIN_SUCCESS']);
    });

    it('stops at ABORTED/LOGIN_FAILURE when the server refuses the credentials', async () => {
      const c = client();
      await c.login({ uid: 'alice' });
      const seen = states(c);
      fake.onLogin = () => ({ code: LoginError.INVALID_TOKEN });
      fake.killAll();
      await until(() => c.connectionState === 'ABORTED');
      expect(seen).toEqual(['RECONNECTING/INTERRUPTED', 'ABORTED/LOGIN_FAILURE']);
    });

    it('an expired token while reconnecting raises TokenExpired and keeps the state', async () => {
      const c = client();
      await c.login({ uid: 'alice', token: 'old' });
      const seen = states(c);
      let expiredAnswers = 0;
      fake.onLogin = () =>
        ++expiredAnswers <= 2 ? { code: LoginError.TOKEN_EXPIRED } : { code: 0, body: fake.loginBody() };
      const expired = next(c, 'TokenExpired');
      fake.killAll();
      await expired;
      await until(() => c.connectionState === 'CONNECTED');
      expect(seen).toEqual(['RECONNECTING/INTERRUPTED', 'CONNECTED/LOGIN_SUCCESS']);
    });

    it('abandons a reconnect attempt that is never answered and tries again', async () => {
      fake.heartbeatMs = 100; // attempt timeout while reconnecting: max(1 s, 3 × heartbeat)
      const c = client();
      await c.login({ uid: 'alice' });
      const seen = states(c);
      let unanswered = 0;
      fake.onLogin = () => (unanswered++ === 0 ? null : { code: 0, body: fake.loginBody() });
      fake.killAll();
      await until(
        () => c.connectionState === 'CONNECTED' && unanswered === 2,
        5000,
        'the second re-login attempt',
      );
      const conns = fake.requests(Op.Login).map((r) => r.conn);
      expect(conns).toHaveLength(3);
      expect(new Set(conns).size).toBe(3);
      expect(seen).toEqual(['RECONNECTING/INTERRUPTED', 'CONNECTED/LOGIN_SUCCESS']);
    });
  });

  describe('resume', () => {
    it('re-sends only the requests the server had not processed', async () => {
      const c = client();
      await c.login({ uid: 'alice' });
      const a = c.sendMessageToPeer({ text: 'a' }, 'bob');
      const b = c.sendMessageToPeer({ text: 'b' }, 'bob');
      await until(() => fake.requests(Op.PeerSend).length === 2);
      const [ra, rb] = fake.requests(Op.PeerSend);
      let resumeBody: unknown;
      fake.onResume = (body) => {
        resumeBody = body;
        return { code: 0, body: { lastReqId: ra!.reqId, tokenExpiresAt: null } };
      };
      const seen = states(c);
      fake.killAll();
      await until(() => fake.requests(Op.PeerSend).length === 3);
      expect(resumeBody).toMatchObject({ sessionId: 's1', resumeToken: 't1', uid: 'alice', received: 1 });
      const resent = fake.requests(Op.PeerSend)[2]!;
      expect(resent.reqId).toBe(rb!.reqId);
      // the server answers both on the resumed socket (a's answer is part of its replay)
      fake.reply(ra!.reqId, 0, { id: 'a', ts: 1, received: true, cached: false });
      fake.reply(rb!.reqId, 0, { id: 'b', ts: 1, received: false, cached: false });
      expect(await a).toEqual({ hasPeerReceived: true });
      expect(await b).toEqual({ hasPeerReceived: false });
      expect(seen).toEqual(['RECONNECTING/INTERRUPTED', 'CONNECTED/LOGIN_SUCCESS']);
      expect(fake.requests(Op.Login)).toHaveLength(1);
    });

    it('counts the server messages it processed (what a resume skips)', async () => {
      const c = client();
      await c.login({ uid: 'alice' });
      const got: string[] = [];
      c.on('MessageFromPeer', (m) => got.push(m.text ?? ''));
      for (const [i, text] of ['x', 'y'].entries())
        fake.event(Op.PeerMessage, { id: `m${i}`, from: 'bob', msg: { type: 'TEXT', text }, ts: 1 });
      fake.event(Op.ProtocolError, { code: 1001, message: 'not counted' });
      fake.event(Op.Ping, 1);
      await until(() => got.length === 2);
      let resumed: unknown;
      fake.onResume = (body) => {
        resumed = body;
        return { code: 0, body: { lastReqId: 0, tokenExpiresAt: null } };
      };
      fake.killAll();
      await until(() => resumed !== undefined);
      // login answer + two peer messages; pings and protocol errors are outside the stream
      expect(resumed).toMatchObject({ received: 3 });
    });
  });

  describe('link health', () => {
    it('detects a silent link by heartbeats and reconnects', async () => {
      fake.heartbeatMs = 100;
      const c = client();
      await c.login({ uid: 'alice' });
      const seen = states(c);
      fake.answerPings = false;
      await until(() => c.connectionState === 'RECONNECTING', 3000);
      fake.answerPings = true;
      await until(() => c.connectionState === 'CONNECTED', 3000);
      expect(seen).toEqual(['RECONNECTING/INTERRUPTED', 'CONNECTED/LOGIN_SUCCESS']);
    });

    it('ignores junk from the server (text frames, non-MessagePack bytes, bad shapes)', async () => {
      const c = client();
      await c.login({ uid: 'alice' });
      const seen = states(c);
      fake.raw('hello');
      fake.raw(new Uint8Array([0xc1, 0xc1, 0xc1]));
      fake.raw(new Uint8Array([0x93, 0xff, 0xff, 0xff])); // [-1, -1, -1]
      fake.event(Op.PeerMessage, {
        id: 'ok',
        from: 'bob',
        msg: { type: 'TEXT', text: 'still alive' },
        ts: 1,
      });
      const [m] = await next<[{ text: string }]>(c, 'MessageFromPeer');
      expect(m.text).toBe('still alive');
      expect(seen).toEqual([]);
    });

    it('acks every peer message and emits a re-delivered id once', async () => {
      const c = client();
      await c.login({ uid: 'alice' });
      const got: string[] = [];
      c.on('MessageFromPeer', (m) => got.push(m.text ?? ''));
      const ev = { id: 'dup', from: 'bob', msg: { type: 'TEXT', text: 'once' }, ts: 1 };
      fake.event(Op.PeerMessage, ev);
      fake.event(Op.PeerMessage, ev);
      await until(() => fake.received.filter((m) => m.kind === 'event' && m.op === Op.PeerAck).length === 2);
      expect(got).toEqual(['once']);
    });
  });

  describe('default timers (Agora values), checked with fake timers', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('login times out after 12 s by default', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      fake.onLogin = () => null;
      const c = client();
      const seen = states(c);
      const login = rejection(c.login({ uid: 'alice' }));
      await vi.advanceTimersByTimeAsync(11_990);
      expect(c.connectionState).toBe('CONNECTING');
      await vi.advanceTimersByTimeAsync(20);
      const e = await login;
      expect([e.name, e.code]).toEqual(['RtmTimeoutError', LoginError.TIMEOUT]);
      expect(seen).toEqual(['CONNECTING/LOGIN', 'DISCONNECTED/LOGIN_TIMEOUT']);
    });

    it('a peer send made while RECONNECTING waits at most 10 s, then RtmTimeoutError 2', async () => {
      const c = client();
      await c.login({ uid: 'alice' });
      fake.refuse = true;
      fake.killAll();
      await until(() => c.connectionState === 'RECONNECTING');
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const send = rejection(c.sendMessageToPeer({ text: 'waits' }, 'bob'));
      await vi.advanceTimersByTimeAsync(9_990);
      expect(c.connectionState).toBe('RECONNECTING');
      await vi.advanceTimersByTimeAsync(20);
      const e = await send;
      expect([e.name, e.code]).toEqual(['RtmTimeoutError', PeerMessageError.TIMEOUT]);
      expect(fake.requests(Op.PeerSend)).toHaveLength(0);
    });
  });

  describe('reconnect backoff', () => {
    it('respects the backoff floor while the server is down: no tight loop', async () => {
      const floorMs = 100;
      const c = client({ reconnect: { baseMs: floorMs, capMs: 2 * floorMs, floorMs } });
      await c.login({ uid: 'alice' });
      fake.refuse = true;
      const before = fake.attempts;
      fake.killAll();
      await until(() => c.connectionState === 'RECONNECTING');
      const windowMs = 2000;
      await sleep(windowMs);
      const attempts = fake.attempts - before;
      // each attempt waits ≥ floorMs: at most windowMs / floorMs (+1 for the edge) in the window
      expect(attempts).toBeLessThanOrEqual(windowMs / floorMs + 1);
      // and it keeps trying (delays are < capMs)
      expect(attempts).toBeGreaterThanOrEqual(3);
      fake.refuse = false;
      await until(() => c.connectionState === 'CONNECTED', 3000);
    });
  });

  it('rejects a send that is over the limits before it reaches the wire', async () => {
    const c = client();
    await c.login({ uid: 'alice' });
    const e = await rejection(c.sendMessageToPeer({ text: 'x'.repeat(32 * 1024 + 1) }, 'bob'));
    expect([e.name, e.code]).toEqual(['RtmLimitExceededError', PeerMessageError.INVALID_MESSAGE]);
    expect(fake.requests(Op.PeerSend)).toHaveLength(0);
  });

  describe('frames', () => {
    it('sends what one turn sends as one frame', async () => {
      const c = client();
      await c.login({ uid: 'alice' });
      const before = fake.frames.length;
      for (let i = 0; i < 5; i++) void c.sendMessageToPeer({ text: `m${i}` }, 'bob').catch(() => undefined);
      await until(() => fake.requests(Op.PeerSend).length === 5, 2000);
      expect(fake.frames.slice(before)).toEqual([{ conn: 0, bytes: expect.any(Number), messages: 5 }]);
      // in send order
      expect(fake.requests(Op.PeerSend).map((r) => (r.body as { msg: { text: string } }).msg.text)).toEqual([
        'm0',
        'm1',
        'm2',
        'm3',
        'm4',
      ]);
    });

    it('splits a turn at the server frame limit: no frame over it, every message sent in order', async () => {
      const c = client();
      await c.login({ uid: 'alice' });
      const before = fake.frames.length;
      const big = 'x'.repeat(30 * 1024);
      for (let i = 0; i < 5; i++)
        void c.sendMessageToPeer({ text: `${i}${big}` }, 'bob').catch(() => undefined);
      await until(() => fake.requests(Op.PeerSend).length === 5, 2000);
      const frames = fake.frames.slice(before);
      expect(frames.map((f) => f.messages)).toEqual([2, 2, 1]);
      for (const f of frames) expect(f.bytes).toBeLessThanOrEqual(MAX_FRAME_BYTES);
      expect(
        fake.requests(Op.PeerSend).map((r) => (r.body as { msg: { text: string } }).msg.text[0]),
      ).toEqual(['0', '1', '2', '3', '4']);
    });
  });
});
