import {
  InvitationOp,
  JoinChannelError,
  LoginError,
  Op,
  PeerMessageError,
  ProtocolErrorCode,
  SignalingCode,
  SignalingOp,
} from '@parley/protocol';
import { AgoraAPIOnlySignal, type ICallBack } from '@parley/signaling';
import { describe, expect, it, onTestFinished } from 'vitest';
import AgoraRTM, { type RemoteInvitation, type RtmClient, type RtmConfig } from '../src/index.js';
import { FakeServer } from './fake-server.js';
import { APP_ID, next, rejection, states, until } from './wait.js';

/**
 * Error codes of both client SDKs (the RTM SDK and the Signaling facade) that only a server that
 * does not answer, or answers something unusual, produces: each is provoked against the scripted
 * server (fake-server.ts) and checked exactly. Codes a real server produces on demand are tested
 * end to end (packages/server/test/e2e, sdk-error-codes.test.ts for those found untested).
 *
 * The timeouts are the SDKs' real ones (5–20 s); those tests run concurrently, so the file takes
 * about as long as the longest (renewToken, 20 s). Vitest runs at most 5 concurrent tests at once,
 * so each of them provokes a whole group of codes in parallel.
 */

const FAST: RtmConfig['reconnect'] = { baseMs: 20, capMs: 50, floorMs: 10 };
/** Reconnect attempts against a server that refuses them: a few a second, not hundreds. */
const SLOW: RtmConfig['reconnect'] = { baseMs: 300, capMs: 600, floorMs: 200 };
const F = (name: string) => `io.agora.signal.${name}`;

type Outcome = [name: string, code: number] | 'ok';
/** How a call ended: `[error class name, code]`, or 'ok'. */
async function outcome(p: Promise<unknown>): Promise<Outcome> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    const { name, code } = e as { name: string; code: number };
    return [name, code];
  }
}
/** The outcome of every call of a record, by name. */
async function outcomes<K extends string>(calls: Record<K, Promise<unknown>>): Promise<Record<K, Outcome>> {
  const names = Object.keys(calls) as K[];
  const got = await Promise.all(names.map((k) => outcome(calls[k])));
  return Object.fromEntries(names.map((k, i) => [k, got[i]])) as Record<K, Outcome>;
}

/** A Signaling instance whose callbacks are recorded, in order. */
interface Sig {
  api: AgoraAPIOnlySignal;
  /** the arguments of every call of callback `name` so far */
  calls(name: keyof ICallBack): unknown[][];
  /** waits until `name` was called `n` times; returns all its calls */
  wait(name: keyof ICallBack, n?: number, ms?: number): Promise<unknown[][]>;
}

/**
 * A scripted server of its own (so tests can run concurrently) and clients on it. It answers
 * Login (and remembers each uid's connection, for `fake.event(..., conn)`), refuses Resume and
 * Ping-pongs; every other request waits for `fake.onRequest`, which by default answers nothing.
 */
async function scripted(onFinished: (fn: () => Promise<void>) => void) {
  const fake = await FakeServer.start();
  const connOf = new Map<string, number>();
  fake.onLogin = (body, conn) => {
    connOf.set((body as { uid: string }).uid, conn);
    return { code: 0, body: fake.loginBody() };
  };
  const releases: Array<() => void> = [];
  onFinished(async () => {
    for (const r of releases) r();
    await fake.close();
  });
  /** an RTM client, logged in */
  const rtm = async (uid: string, cfg: RtmConfig = {}): Promise<RtmClient> => {
    const c = AgoraRTM.createInstance(APP_ID, { serverUrl: fake.url, reconnect: FAST, ...cfg });
    releases.push(() => c.release());
    await c.login({ uid });
    return c;
  };
  /** a Signaling instance, not logged in */
  const sigInstance = (): Sig => {
    const api = AgoraAPIOnlySignal.createAgoraSDKInstance(APP_ID, { serverUrl: fake.url, reconnect: FAST });
    releases.push(() => api.destroy());
    const log: Array<[keyof ICallBack, ...unknown[]]> = [];
    api.callbackSet(
      new Proxy({} as ICallBack, {
        get: (_t, name) =>
          typeof name === 'string'
            ? (...args: unknown[]) => log.push([name as keyof ICallBack, ...args])
            : undefined,
      }),
    );
    const calls = (name: keyof ICallBack) => log.filter((e) => e[0] === name).map((e) => e.slice(1));
    return {
      api,
      calls,
      async wait(name, n = 1, ms = 15_000) {
        await until(() => calls(name).length >= n, ms, `${n} × ${name}`);
        return calls(name);
      },
    };
  };
  /** a Signaling instance, logged in (retry limits wide: a test's link cuts never exhaust them) */
  const sig = async (account: string): Promise<Sig> => {
    const s = sigInstance();
    s.api.login2(APP_ID, account, '_no_need_token', 0, '', 30, 1000);
    await s.wait('onLoginSuccess', 1, 5000);
    return s;
  };
  return { fake, connOf, rtm, sig, sigInstance };
}

/** Answers Join for channel `room` only (a joined channel to work with); nothing else. */
const joinRoomOnly = (op: number, body: unknown) =>
  op === Op.Join && (body as { channelId: string }).channelId === 'room'
    ? { code: 0, body: { ts: Date.now() } }
    : null;

describe('requests nobody answers: the SDKs give up with their timeout codes', () => {
  it.concurrent('renewToken: RtmTimeoutError 1 after 20 s', async ({ expect, onTestFinished }) => {
    const s = await scripted(onTestFinished);
    const c = await s.rtm('renewer');
    expect(await outcome(c.renewToken('new-token'))).toEqual(['RtmTimeoutError', 1]);
    expect(s.fake.requests(Op.RenewToken)).toHaveLength(1);
  }, 40_000);

  it.concurrent('peer messages, online status and user attributes: RtmTimeoutError 2 / 4 / 7 after 10 s', async ({
    expect,
    onTestFinished,
  }) => {
    const s = await scripted(onTestFinished);
    const c = await s.rtm('alice');
    // Subscription calls run one after another per client, and so do attribute writes: one
    // client each, so that every call times out at the same time.
    const [sub, unsub, w1, w2, w3, w4] = await Promise.all(
      ['sub', 'unsub', 'w1', 'w2', 'w3', 'w4'].map((uid) => s.rtm(uid)),
    );
    const got = await outcomes({
      sendMessageToPeer: c.sendMessageToPeer({ text: 'x' }, 'bob'),
      queryPeersOnlineStatus: c.queryPeersOnlineStatus(['bob']),
      subscribePeersOnlineStatus: sub!.subscribePeersOnlineStatus(['bob']),
      unsubscribePeersOnlineStatus: unsub!.unsubscribePeersOnlineStatus(['bob']),
      setLocalUserAttributes: w1!.setLocalUserAttributes({ k: 'v' }),
      addOrUpdateLocalUserAttributes: w2!.addOrUpdateLocalUserAttributes({ k: 'v' }),
      deleteLocalUserAttributesByKeys: w3!.deleteLocalUserAttributesByKeys(['k']),
      clearLocalUserAttributes: w4!.clearLocalUserAttributes(),
      getUserAttributes: c.getUserAttributes('bob'),
      getUserAttributesByKeys: c.getUserAttributesByKeys('bob', ['k']),
    });
    const timeout = (code: number): Outcome => ['RtmTimeoutError', code];
    expect(got).toEqual({
      sendMessageToPeer: timeout(PeerMessageError.TIMEOUT),
      queryPeersOnlineStatus: timeout(4),
      subscribePeersOnlineStatus: timeout(4),
      unsubscribePeersOnlineStatus: timeout(4),
      setLocalUserAttributes: timeout(7),
      addOrUpdateLocalUserAttributes: timeout(7),
      deleteLocalUserAttributesByKeys: timeout(7),
      clearLocalUserAttributes: timeout(7),
      getUserAttributes: timeout(7),
      getUserAttributesByKeys: timeout(7),
    });
    // Each request reached the server: the SDK gave up waiting, it refused nothing itself.
    for (const op of [
      Op.PeerSend,
      Op.QueryPeersOnline,
      Op.SubscribePeers,
      Op.UnsubscribePeers,
      Op.SetUserAttrs,
      Op.AddOrUpdateUserAttrs,
      Op.DeleteUserAttrs,
      Op.ClearUserAttrs,
      Op.GetUserAttrs,
      Op.GetUserAttrsByKeys,
    ])
      expect(s.fake.requests(op), `op ${op}`).toHaveLength(1);
  });

  it.concurrent('channels and channel attributes: join 4 / leave 1 / sendMessage 2 / getMembers 3 / count 4 / attributes 7', async ({
    expect,
    onTestFinished,
  }) => {
    const s = await scripted(onTestFinished);
    s.fake.onRequest = joinRoomOnly;
    const c = await s.rtm('alice');
    const room = c.createChannel('room');
    await room.join();
    const silent = c.createChannel('silent');
    const got = await outcomes({
      join: silent.join(),
      leave: room.leave(),
      sendMessage: room.sendMessage({ text: 'x' }),
      getMembers: room.getMembers(),
      getChannelMemberCount: c.getChannelMemberCount(['room']),
      setChannelAttributes: c.setChannelAttributes('room', { k: 'v' }),
      addOrUpdateChannelAttributes: c.addOrUpdateChannelAttributes('room', { k: 'v' }),
      deleteChannelAttributesByKeys: c.deleteChannelAttributesByKeys('room', ['k']),
      clearChannelAttributes: c.clearChannelAttributes('room'),
      getChannelAttributes: c.getChannelAttributes('room'),
      getChannelAttributesByKeys: c.getChannelAttributesByKeys('room', ['k']),
    });
    expect(got).toEqual({
      join: ['RtmTimeoutError', JoinChannelError.TIMEOUT],
      // leave has no timeout code of its own: LEAVE_CHANNEL_ERR_FAILURE
      leave: ['RtmUnknownError', 1],
      sendMessage: ['RtmTimeoutError', 2],
      getMembers: ['RtmTimeoutError', 3],
      getChannelMemberCount: ['RtmTimeoutError', 4],
      setChannelAttributes: ['RtmTimeoutError', 7],
      addOrUpdateChannelAttributes: ['RtmTimeoutError', 7],
      deleteChannelAttributesByKeys: ['RtmTimeoutError', 7],
      clearChannelAttributes: ['RtmTimeoutError', 7],
      getChannelAttributes: ['RtmTimeoutError', 7],
      getChannelAttributesByKeys: ['RtmTimeoutError', 7],
    });
    expect(s.fake.requests(Op.Join)).toHaveLength(2);
    for (const op of [Op.Leave, Op.ChannelSend, Op.GetMembers, Op.GetMemberCount])
      expect(s.fake.requests(op), `op ${op}`).toHaveLength(1);
    // a join that timed out leaves the instance free to join again
    expect(await outcome(silent.join())).toEqual(['RtmTimeoutError', JoinChannelError.TIMEOUT]);
  }, 25_000);

  it.concurrent('while RECONNECTING: channel sendMessage gives up after 9 s (2), getMembers after 5 s (3)', async ({
    expect,
    onTestFinished,
  }) => {
    const s = await scripted(onTestFinished);
    s.fake.onRequest = joinRoomOnly;
    const c = await s.rtm('alice', { reconnect: SLOW });
    const room = c.createChannel('room');
    await room.join();
    s.fake.refuse = true;
    s.fake.killAll();
    await until(() => c.connectionState === 'RECONNECTING');
    const got = await outcomes({
      sendMessage: room.sendMessage({ text: 'x' }),
      getMembers: room.getMembers(),
    });
    expect(got).toEqual({ sendMessage: ['RtmTimeoutError', 2], getMembers: ['RtmTimeoutError', 3] });
    expect(c.connectionState).toBe('RECONNECTING');
    expect(s.fake.requests(Op.ChannelSend)).toHaveLength(0);
    expect(s.fake.requests(Op.GetMembers)).toHaveLength(0);
  });

  it.concurrent('invitations: a send nobody answers fails UNKNOWN (Java -1), an accept ACCEPT_FAILURE (Java 2)', async ({
    expect,
    onTestFinished,
  }) => {
    const s = await scripted(onTestFinished);
    const c = await s.rtm('alice');
    const java: string[] = [];
    c.getRtmCallManager().setEventListener({
      onLocalInvitationFailure: (_i, code, reason) => java.push(`local ${code} ${reason}`),
      onRemoteInvitationFailure: (_i, code, reason) => java.push(`remote ${code} ${reason}`),
    });
    const inv = c.createLocalInvitation('bob');
    const localFailure = next<[string]>(inv, 'LocalInvitationFailure', 15_000);
    inv.send();
    const received = next<[RemoteInvitation]>(c, 'RemoteInvitationReceived');
    s.fake.event(InvitationOp.Received, { id: 'i1', from: 'carol', content: '', channelId: '' });
    const [remote] = await received;
    const remoteFailure = next<[string]>(remote, 'RemoteInvitationFailure', 15_000);
    remote.accept();
    expect(await localFailure).toEqual(['UNKNOWN']);
    expect(await remoteFailure).toEqual(['ACCEPT_FAILURE']);
    expect([inv.state, remote.state]).toEqual(['FAILURE', 'FAILURE']);
    expect(java.sort()).toEqual(['local -1 UNKNOWN', 'remote 2 ACCEPT_FAILURE']);
    expect(s.fake.requests(InvitationOp.Send)).toHaveLength(1);
    expect(s.fake.requests(InvitationOp.Accept)).toHaveLength(1);
  });

  it.concurrent('Signaling: 401, 501, 300, 702, 700, onError(…, 1001, "timeout") and invoke "timeout"', async ({
    expect,
    onTestFinished,
  }) => {
    const s = await scripted(onTestFinished);
    // The join queues the channel calls behind it: the channel work of `b` runs without one.
    const a = await s.sig('sig-a');
    const b = await s.sig('sig-b');
    a.api.channelJoin('room');
    b.api.messageInstantSend('bob', 0, 'x', 'm1');
    b.api.messageChannelSend('room', 'x', 'm2');
    b.api.messageChannelSendForce('room', 'x', 'm3');
    b.api.channelQueryUserNum('room');
    b.api.queryUserStatus('bob');
    b.api.setAttr('k', 'v');
    b.api.channelLeave('room');
    b.api.invoke(F('channel_query_num'), { name: 'room' }, 'q1');
    b.api.channelInviteUser2('call', 'bob', '');
    b.api.channelInviteDTMF('call', 'bob', '1');
    s.fake.event(
      InvitationOp.Received,
      { id: 'i1', from: 'carol', content: '', channelId: 'ring' },
      s.connOf.get('sig-b'),
    );
    await b.wait('onInviteReceived');
    b.api.channelInviteAccept('ring', 'carol', 0, '');

    expect(await a.wait('onChannelJoinFailed')).toEqual([['room', SignalingCode.JOINCHANNEL_E_OTHER]]);
    const C = SignalingCode;
    expect((await b.wait('onMessageSendError', 3)).sort()).toEqual([
      ['m1', C.SENDMESSAGE_E_TIMEOUT],
      ['m2', C.SENDMESSAGE_E_TIMEOUT],
      ['m3', C.SENDMESSAGE_E_TIMEOUT],
    ]);
    expect(await b.wait('onChannelQueryUserNumResult')).toEqual([['room', C.QUERYUSERNUM_E_TIMEOUT, 0]]);
    expect((await b.wait('onError', 4)).sort()).toEqual([
      ['channelInviteDTMF', C.GENERAL_E_FAILED, 'timeout'],
      ['channelLeave', C.GENERAL_E_FAILED, 'timeout'],
      ['queryUserStatus', C.GENERAL_E_FAILED, 'timeout'],
      ['setAttr', C.GENERAL_E_FAILED, 'timeout'],
    ]);
    expect(await b.wait('onInvokeRet')).toEqual([['q1', 'timeout', '{"result":"timeout"}']]);
    expect((await b.wait('onInviteFailed', 2)).sort()).toEqual([
      ['call', 'bob', 0, C.INVITE_E_NET, '{"reason":"TIMEOUT"}'],
      ['ring', 'carol', 0, C.INVITE_E_OTHER, '{"reason":"ACCEPT_FAILURE"}'],
    ]);
    for (const op of [
      SignalingOp.Join,
      SignalingOp.PeerSend,
      Op.ChannelSend,
      SignalingOp.ChannelSendForce,
      Op.QueryPeersOnline,
      Op.AddOrUpdateUserAttrs,
      Op.Leave,
      SignalingOp.Invite,
      SignalingOp.InviteMsg,
      InvitationOp.Accept,
    ])
      expect(s.fake.requests(op), `op ${op}`).toHaveLength(1);
    expect(s.fake.requests(SignalingOp.QueryUserNum)).toHaveLength(2);
  });
});

describe('answers no table row covers: RtmUnknownError with the server’s own code', () => {
  it.each([
    ['INTERNAL', ProtocolErrorCode.INTERNAL],
    ['TOO_MANY_PENDING', ProtocolErrorCode.TOO_MANY_PENDING],
    ['FAILURE (an offline message it could not store)', PeerMessageError.FAILURE],
  ])('a peer send answered %s → RtmUnknownError %i', async (_, code) => {
    const s = await scripted(onTestFinished);
    s.fake.onRequest = (op) => (op === Op.PeerSend ? { code, body: { message: 'scripted' } } : null);
    const c = await s.rtm('alice');
    const e = await rejection(c.sendMessageToPeer({ text: 'x' }, 'bob'));
    expect([e.name, e.code]).toEqual(['RtmUnknownError', code]);
    expect(e.message).toMatch(new RegExp(`^ Error Code ${code} - `));
    expect(c.connectionState).toBe('CONNECTED');
  });

  it.each([
    ['BAD_VERSION (a server speaking another protocol version)', ProtocolErrorCode.BAD_VERSION],
    ['INTERNAL', ProtocolErrorCode.INTERNAL],
  ])('a login answered %s → RtmUnknownError %i and DISCONNECTED/LOGIN_FAILURE', async (_, code) => {
    const s = await scripted(onTestFinished);
    s.fake.onLogin = () => ({ code });
    const c = AgoraRTM.createInstance(APP_ID, { serverUrl: s.fake.url });
    onTestFinished(() => c.release());
    const seen = states(c);
    const e = await rejection(c.login({ uid: 'alice' }));
    expect([e.name, e.code]).toEqual(['RtmUnknownError', code]);
    expect(seen).toEqual(['CONNECTING/LOGIN', 'DISCONNECTED/LOGIN_FAILURE']);
  });
});

describe('aborted calls', () => {
  it('a logout while renewToken waits rejects the renewal with ABORTED_BY_LOGOUT 201', async () => {
    const s = await scripted(onTestFinished);
    s.fake.onRequest = (op) => (op === Op.Logout ? { code: 0 } : null);
    const c = await s.rtm('alice');
    const renewal = rejection(c.renewToken('new-token'));
    await until(() => s.fake.requests(Op.RenewToken).length === 1);
    await c.logout();
    const e = await renewal;
    expect([e.name, e.code]).toEqual(['RtmInvalidStatusError', 201]);
    // once logged out, a renewal is refused at once with 102, as before
    const after = await rejection(c.renewToken('new-token'));
    expect([after.name, after.code]).toEqual(['RtmInvalidStatusError', 102]);
  });
});

describe('Signaling facade: what the server refuses', () => {
  const C = SignalingCode;

  it.each([
    ['BAD_VERSION', ProtocolErrorCode.BAD_VERSION, C.LOGIN_E_OLDVERSION],
    ['INTERNAL (no code of its own)', ProtocolErrorCode.INTERNAL, C.LOGIN_E_FAILED],
  ])('a login answered %s (%i) → onLoginFailed(%i)', async (_, code, ecode) => {
    const s = await scripted(onTestFinished);
    s.fake.onLogin = () => ({ code });
    const a = s.sigInstance();
    a.api.login2(APP_ID, 'sig', '_no_need_token', 0, '', 30, 3);
    expect(await a.wait('onLoginFailed')).toEqual([[ecode]]);
    expect(a.api.getStatus()).toBe(0);
  });

  it.each([
    ['INVALID_TOKEN', LoginError.INVALID_TOKEN, C.LOGOUT_E_OTHER],
    ['TOKEN_EXPIRED', LoginError.TOKEN_EXPIRED, C.LOGOUT_E_TOKENEXPIRED],
  ])('a re-login after a lost session refused with %s (%i) → onLogout(%i)', async (_, code, ecode) => {
    const s = await scripted(onTestFinished);
    const a = await s.sig('sig');
    s.fake.onLogin = () => ({ code });
    s.fake.killAll(); // the fake refuses the resume: the facade logs in again
    expect(await a.wait('onLogout')).toEqual([[ecode]]);
    expect(a.api.getStatus()).toBe(0);
    expect(a.calls('onReconnected')).toEqual([]);
  });

  it('a rejoin refused after a re-login → onChannelLeaved(ch, 604)', async () => {
    const s = await scripted(onTestFinished);
    let joins = 0;
    s.fake.onRequest = (op) => {
      if (op !== SignalingOp.Join) return null;
      return ++joins === 1
        ? { code: 0, body: { ts: 1, left: null, members: ['sig'], attrs: [] } }
        : { code: C.JOINCHANNEL_E_OTHER, body: { left: null, reason: JoinChannelError.TOO_OFTEN } };
    };
    const a = await s.sig('sig');
    a.api.channelJoin('room');
    await a.wait('onChannelJoined');
    s.fake.killAll(); // the fake refuses the resume: the facade logs in again and rejoins
    expect(await a.wait('onChannelLeaved')).toEqual([['room', C.LEAVECHANNEL_E_DISCONN]]);
    expect(joins).toBe(2);
    expect(a.calls('onReconnected')).toEqual([[0]]);
  });
});
