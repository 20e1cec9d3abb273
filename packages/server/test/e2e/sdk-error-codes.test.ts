import { InvitationOp, SignalingCode } from '@parley/protocol';
import type { RemoteInvitation } from '@parley/sdk';
import { AgoraAPIOnlySignal } from '@parley/signaling';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config.js';
import { APP_ID, setup, until } from '../helpers.js';
import { RawClient } from '../raw-client.js';
import { record, signalingClients } from '../signaling-client.js';
import { startTcpProxy, type TcpProxy } from '../tcp-proxy.js';

/**
 * Error codes of the SDKs that a real server produces but no other test checked: the Java call
 * manager's numeric failure codes, and the Signaling facade's rate-limit and lost-session codes. Cases a real server does not produce on demand
 * (no answer at all, odd answers) are in packages/sdk/test/error-codes.test.ts.
 */

const C = SignalingCode;
const F = (name: string) => `io.agora.signal.${name}`;
/** Fast reconnects, so a cut link comes back without waiting on the default backoff. */
const FAST = { reconnect: { baseMs: 30, capMs: 100, floorMs: 10 } };

describe('SDK error codes against a real server', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let sig: ReturnType<typeof signalingClients>;
  const raws: RawClient[] = [];
  let proxy: TcpProxy | null = null;
  const start = async (cfg: Partial<ServerConfig> = {}) => {
    t = await setup(cfg);
    sig = signalingClients(t.servers);
  };
  afterEach(async () => {
    for (const r of raws.splice(0)) r.close();
    await proxy?.close();
    proxy = null;
    sig?.cleanup();
    await t?.cleanup();
  });
  /** a logged-in bare protocol client: it acknowledges and confirms nothing by itself */
  const raw = async (uid: string) => {
    const r = await RawClient.connect(t.server.wsUrl);
    raws.push(r);
    expect((await r.login({ appId: APP_ID, uid })).code).toBe(0);
    return r;
  };

  describe('Java call manager: LocalInvitationError / RemoteInvitationError codes', () => {
    it('caller: PEER_NO_RESPONSE 2, INVITATION_EXPIRE 3, NOT_LOGGEDIN 4; callee: INVITATION_EXPIRE 3', async () => {
      await start({ invitationAckTimeoutMs: 1000, invitationExpireMs: 1500 });
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      await raw('silent'); // online, but never acknowledges an invitation
      const caller: string[] = [];
      const callee: string[] = [];
      const am = alice.getRtmCallManager();
      am.setEventListener({
        onLocalInvitationFailure: (i, code, reason) => caller.push(`${i.calleeId} ${code} ${reason}`),
      });
      bob.getRtmCallManager().setEventListener({
        onRemoteInvitationFailure: (i, code, reason) => callee.push(`${i.callerId} ${code} ${reason}`),
      });
      await am.sendLocalInvitation(am.createLocalInvitation('silent'));
      await am.sendLocalInvitation(am.createLocalInvitation('bob'));
      await until(() => caller.length === 2 && callee.length === 1, 8000, 'both failures');
      expect(caller.sort()).toEqual(['bob 3 INVITATION_EXPIRE', 'silent 2 PEER_NO_RESPONSE']);
      expect(callee).toEqual(['alice 3 INVITATION_EXPIRE']);

      const out = t.client();
      const om = out.getRtmCallManager();
      const offline: string[] = [];
      om.setEventListener({
        onLocalInvitationFailure: (_i, code, reason) => offline.push(`${code} ${reason}`),
      });
      await om.sendLocalInvitation(om.createLocalInvitation('bob'));
      await until(() => offline.length === 1);
      expect(offline).toEqual(['4 NOT_LOGGEDIN']);
    });

    it('caller: a send the server refuses (the 61st in 3 s) → UNKNOWN -1', async () => {
      await start({ invitationAckTimeoutMs: 10_000, invitationExpireMs: 10_000 });
      const alice = await t.login('alice');
      const am = alice.getRtmCallManager();
      const failures: string[] = [];
      am.setEventListener({
        onLocalInvitationFailure: (_i, code, reason) => failures.push(`${code} ${reason}`),
      });
      const invitations = Array.from({ length: 61 }, () => am.createLocalInvitation('nobody'));
      for (const inv of invitations) await am.sendLocalInvitation(inv);
      await until(() => failures.length === 1);
      expect(failures).toEqual(['-1 UNKNOWN']);
      expect(invitations.map((i) => i.state).filter((s) => s === 'FAILURE')).toHaveLength(1);
      expect(invitations[60]!.state).toBe('FAILURE');
    });

    it('callee: PEER_OFFLINE 1 when the caller logs out, ACCEPT_FAILURE 2 when the accept is never confirmed', async () => {
      // the accept-confirmation window is min(5 s, ack timeout)
      await start({ invitationAckTimeoutMs: 1000, invitationExpireMs: 10_000 });
      const bob = await t.login('bob');
      const received: RemoteInvitation[] = [];
      const failures: string[] = [];
      const bm = bob.getRtmCallManager();
      bm.setEventListener({
        onRemoteInvitationReceived: (i) => received.push(i),
        onRemoteInvitationFailure: (i, code, reason) => failures.push(`${i.callerId} ${code} ${reason}`),
      });
      const alice = await t.login('alice');
      alice.createLocalInvitation('bob').send();
      await until(() => received.length === 1);
      await alice.logout();
      await until(() => failures.length === 1);
      expect(failures).toEqual(['alice 1 PEER_OFFLINE']);

      const carol = await raw('carol'); // sends the invitation, never confirms an accept
      expect((await carol.request(InvitationOp.Send, { to: 'bob', content: '', channelId: '' })).code).toBe(
        0,
      );
      await until(() => received.length === 2);
      await bm.acceptRemoteInvitation(received[1]!);
      await until(() => failures.length === 2, 5000, 'ACCEPT_FAILURE');
      expect(failures[1]).toBe('carol 2 ACCEPT_FAILURE');
      expect(received[1]!.state).toBe('FAILURE');
    });
  });

  describe('Signaling facade', () => {
    it('over the server’s rates: onError(name, 1001, "too_often"), invoke "too_often" and "failed"', async () => {
      await start(); // default rate limits: 10 attribute writes / 5 s, 50 channel queries / 5 s
      const a = await sig.login('rate-a');
      for (let i = 0; i <= 10; i++) a.api.setAttr(`k${i}`, 'v');
      expect(await a.wait('onError')).toEqual(['setAttr', C.GENERAL_E_FAILED, 'too_often']);
      expect(a.calls('onError')).toHaveLength(1); // the 11th write only
      a.api.invoke(F('user_set_attr'), { name: 'k11', value: 'v' }, 'w');
      expect(await a.wait('onInvokeRet')).toEqual(['w', 'too_often', '{"result":"too_often"}']);

      for (let i = 0; i < 50; i++) a.api.channelQueryUserNum('rate-room');
      await a.waitCount('onChannelQueryUserNumResult', 50);
      expect(a.calls('onChannelQueryUserNumResult').every(([, ecode]) => ecode === 0)).toBe(true);
      a.api.invoke(F('channel_query_num'), { name: 'rate-room' }, 'q');
      expect(await a.wait('onInvokeRet', (id) => id === 'q')).toEqual(['q', 'failed', '{"result":"failed"}']);
    });

    it('a lost session fails the calls still ringing: caller onInviteFailed(702 NOT_LOGGEDIN), callee 703', async () => {
      await start({ sessionGraceMs: 200, invitationAckTimeoutMs: 10_000, invitationExpireMs: 10_000 });
      proxy = await startTcpProxy(t.server.port);
      const caller = record(
        AgoraAPIOnlySignal.createAgoraSDKInstance(APP_ID, { serverUrl: proxy.url, ...FAST }),
      );
      // wide retry limits: the cut link must not make it give up (that is onLogout(102))
      caller.api.login2(APP_ID, 'lost-caller', '_no_need_token', 0, '', 30, 1000);
      await caller.wait('onLoginSuccess');
      const callee = await sig.login('lost-callee');
      caller.api.channelInviteUser2('lost-ch', 'lost-callee', '');
      await caller.wait('onInviteReceivedByPeer');
      proxy.pause('refuse');
      proxy.dropAll();
      // the grace period ends the caller's session: the callee's call fails at once
      expect(await callee.wait('onInviteFailed')).toEqual([
        'lost-ch',
        'lost-caller',
        0,
        C.INVITE_E_PEEROFFLINE,
        '{"reason":"PEER_OFFLINE"}',
      ]);
      proxy.resume();
      // the caller logs in again as a new session: its own call is gone with the old one
      expect(await caller.wait('onInviteFailed')).toEqual([
        'lost-ch',
        'lost-callee',
        0,
        C.INVITE_E_NET,
        '{"reason":"NOT_LOGGEDIN"}',
      ]);
      expect(caller.calls('onLogout')).toEqual([]);
      caller.api.destroy();
    });
  });
});
