import { InvitationOp, Op, utf8Length } from '@parley/protocol';
import AgoraRTM, {
  type LocalInvitation,
  type RemoteInvitation,
  type RtmCallEventListener,
  type RtmClient,
  type RtmConfig,
} from '@parley/sdk';
import { startTestServer } from '@parley/server/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus, createEmbeddedStore } from '../../src/adapters/embedded/index.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../../src/config.js';
import type { Bus } from '../../src/ports/bus.js';
import { APP_ID, next, setup, until } from '../helpers.js';
import { startTcpProxy, type TcpProxy } from '../tcp-proxy.js';
import { RawClient } from '../raw-client.js';

/** Timers shrunk so each failure path fires within a test; windows a test must act in stay wide. */
const QUICK = {
  invitationAckTimeoutMs: 300,
  invitationExpireMs: 600,
  sessionGraceMs: 300,
} satisfies Partial<ServerConfig>;
/** Nothing times out during the test (for tests that act inside a window). */
const WIDE = {
  invitationAckTimeoutMs: 10_000,
  invitationExpireMs: 10_000,
  sessionGraceMs: 10_000,
} satisfies Partial<ServerConfig>;
/** Fast reconnects, so tests that cut a link do not wait on the default backoff. */
const FAST: RtmConfig = { reconnect: { baseMs: 50, capMs: 200, floorMs: 20 } };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Records the events of invitations (and RemoteInvitationReceived) in one ordered log. */
function recorder() {
  const log: string[] = [];
  const local = (inv: LocalInvitation, who = 'caller') => {
    inv.on('LocalInvitationReceivedByPeer', () => log.push(`${who}:ReceivedByPeer`));
    inv.on('LocalInvitationAccepted', (r) => log.push(`${who}:Accepted(${r})`));
    inv.on('LocalInvitationRefused', (r) => log.push(`${who}:Refused(${r})`));
    inv.on('LocalInvitationCanceled', () => log.push(`${who}:Canceled`));
    inv.on('LocalInvitationFailure', (reason) => log.push(`${who}:Failure(${reason})`));
    return inv;
  };
  const remote = (inv: RemoteInvitation, who = 'callee') => {
    inv.on('RemoteInvitationAccepted', () => log.push(`${who}:Accepted`));
    inv.on('RemoteInvitationRefused', () => log.push(`${who}:Refused`));
    inv.on('RemoteInvitationCanceled', (c) => log.push(`${who}:Canceled(${c})`));
    inv.on('RemoteInvitationFailure', (reason) => log.push(`${who}:Failure(${reason})`));
    return inv;
  };
  /** every RemoteInvitation `client` receives, recorded as `<who>:Received` */
  const callee = (client: RtmClient, who = 'callee') => {
    const got: RemoteInvitation[] = [];
    client.on('RemoteInvitationReceived', (inv) => {
      log.push(`${who}:Received`);
      got.push(remote(inv, who));
    });
    return got;
  };
  const has = (entry: string) => until(() => log.includes(entry), 5000, entry);
  return { log, local, remote, callee, has };
}

/** The error a synchronous call throws, as `{ name, code }`. */
function thrown(fn: () => unknown): { name: string; code: number } {
  try {
    fn();
  } catch (e) {
    const { name, code } = e as { name: string; code: number };
    return { name, code };
  }
  throw new Error('expected a throw');
}
const INVALID = (code: number) => ({ name: 'RtmInvalidArgumentError', code });
const STATUS = (code: number) => ({ name: 'RtmInvalidStatusError', code });

const eventsOf = (raw: RawClient, op: number) =>
  raw.events.filter((e) => e.op === op).map((e) => e.body as Record<string, unknown>);
const rawEvent = async (raw: RawClient, op: number, n = 1) => {
  await until(() => eventsOf(raw, op).length >= n, 5000, `raw event ${op}`);
  return eventsOf(raw, op)[n - 1]!;
};

describe('call invitations', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let proxy: TcpProxy | null = null;
  const raws: RawClient[] = [];
  afterEach(async () => {
    for (const r of raws.splice(0)) r.close();
    await proxy?.close();
    proxy = null;
    await t?.cleanup();
  });
  /** a logged-in bare protocol client (no SDK: it acknowledges nothing by itself) */
  const rawAt = async (url: string, uid: string) => {
    const r = await RawClient.connect(url);
    raws.push(r);
    expect((await r.login({ appId: APP_ID, uid })).code).toBe(0);
    return r;
  };
  const raw = (uid: string) => rawAt(t.server.wsUrl, uid);
  /** a client whose link to the server goes through a TCP proxy the test can cut */
  const viaProxy = async (uid: string) => {
    proxy ??= await startTcpProxy(t.server.port);
    return t.login(uid, { ...FAST, serverUrl: proxy.url });
  };

  describe('outcomes', () => {
    it('a successful call: exact event order, states, content, channel ID and response', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const rec = recorder();
      const received = rec.callee(bob);
      const inv = rec.local(alice.createLocalInvitation('bob'));
      expect(inv.state).toBe('IDLE');
      expect(inv.calleeId).toBe('bob');
      inv.content = 'call me';
      inv.channelId = 'room-1';
      inv.send();
      expect(inv.state).toBe('SENT_TO_REMOTE');

      await rec.has('caller:ReceivedByPeer');
      expect(inv.state).toBe('RECEIVED_BY_REMOTE');
      const remote = received[0]!;
      expect(remote.callerId).toBe('alice');
      expect(remote.content).toBe('call me');
      expect(remote.channelId).toBe('room-1');
      expect(remote.state).toBe('INVITATION_RECEIVED');

      remote.response = 'on my way';
      remote.accept();
      expect(remote.state).toBe('ACCEPT_SENT_TO_LOCAL');
      await rec.has('callee:Accepted');
      expect(rec.log).toEqual([
        'callee:Received',
        'caller:ReceivedByPeer',
        'caller:Accepted(on my way)',
        'callee:Accepted',
      ]);
      expect(inv.state).toBe('ACCEPTED_BY_REMOTE');
      expect(inv.response).toBe('on my way');
      expect(remote.state).toBe('ACCEPTED');
    });

    it('refuse: the callee hears it at once, the caller gets the response', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const rec = recorder();
      const received = rec.callee(bob);
      const inv = rec.local(alice.createLocalInvitation('bob'));
      inv.send();
      await rec.has('caller:ReceivedByPeer');
      const remote = received[0]!;
      remote.response = 'busy';
      remote.refuse();
      // emitted synchronously, locally
      expect(rec.log.at(-1)).toBe('callee:Refused');
      expect(remote.state).toBe('REFUSED');
      await rec.has('caller:Refused(busy)');
      expect(inv.state).toBe('REFUSED_BY_REMOTE');
      expect(inv.response).toBe('busy');
      expect(rec.log).toEqual([
        'callee:Received',
        'caller:ReceivedByPeer',
        'callee:Refused',
        'caller:Refused(busy)',
      ]);
    });

    it('cancel: the caller hears it at once, the callee gets the content of cancel time', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const rec = recorder();
      const received = rec.callee(bob);
      const inv = rec.local(alice.createLocalInvitation('bob'));
      inv.content = 'first';
      inv.send();
      await rec.has('caller:ReceivedByPeer');
      inv.content = 'never mind';
      inv.cancel();
      expect(rec.log.at(-1)).toBe('caller:Canceled');
      expect(inv.state).toBe('CANCELED');
      await rec.has('callee:Canceled(never mind)');
      expect(received[0]!.state).toBe('CANCELED');
      expect(received[0]!.content).toBe('first');
    });

    it('cancel right after send (before the server answered) still reaches the callee', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const rec = recorder();
      rec.callee(bob);
      const inv = rec.local(alice.createLocalInvitation('bob'));
      inv.send();
      inv.cancel();
      expect(inv.state).toBe('CANCELED');
      await rec.has('callee:Canceled()');
      expect(rec.log).toEqual(['caller:Canceled', 'callee:Received', 'callee:Canceled()']);
    });

    it('a callee who logs in within the ack window still receives it; a canceled one never arrives', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      const rec = recorder();
      const kept = rec.local(alice.createLocalInvitation('bob'), 'kept');
      kept.content = 'kept';
      kept.send();
      const dropped = rec.local(alice.createLocalInvitation('bob'), 'dropped');
      dropped.content = 'dropped';
      dropped.send();
      dropped.cancel();
      // checking that something does NOT happen: give the cancel time to reach the server
      await sleep(200);
      const bob = t.client();
      const received = rec.callee(bob);
      await bob.login({ uid: 'bob' });
      await rec.has('kept:ReceivedByPeer');
      await sleep(200);
      expect(received.map((r) => r.content)).toEqual(['kept']);
      received[0]!.accept();
      await rec.has('callee:Accepted');
      expect(kept.state).toBe('ACCEPTED_BY_REMOTE');
    });

    it('an answer that overtakes the receipt notice: the caller still emits ReceivedByPeer first', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      const bob = await raw('bob');
      const rec = recorder();
      const inv = rec.local(alice.createLocalInvitation('bob'));
      inv.send();
      const ev = await rawEvent(bob, InvitationOp.Received);
      // a client that accepts without acknowledging first
      expect((await bob.request(InvitationOp.Accept, { id: ev.id, response: 'yes' })).code).toBe(0);
      await rec.has('caller:Accepted(yes)');
      expect(rec.log).toEqual(['caller:ReceivedByPeer', 'caller:Accepted(yes)']);
      await rawEvent(bob, InvitationOp.AcceptConfirmed);
    });

    it('a cancel that overtakes the accept: the accepting callee ends CANCELED', async () => {
      t = await setup(WIDE);
      const alice = await raw('alice');
      const bob = await t.login('bob');
      const rec = recorder();
      const received = rec.callee(bob);
      const sent = await alice.request<{ id: string }>(InvitationOp.Send, { to: 'bob', content: 'hi' });
      await rec.has('callee:Received');
      received[0]!.accept();
      await rawEvent(alice, InvitationOp.Accepted);
      expect(received[0]!.state).toBe('ACCEPT_SENT_TO_LOCAL');
      // the caller cancels instead of confirming
      expect((await alice.request(InvitationOp.Cancel, { id: sent.body.id, content: 'sorry' })).code).toBe(0);
      await rec.has('callee:Canceled(sorry)');
      expect(received[0]!.state).toBe('CANCELED');
      expect((await alice.request(InvitationOp.AcceptAck, { id: sent.body.id })).code).toBe(3);
    });

    it('several invitations between the same pair, and with several peers, each keep their own state', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const carol = await t.login('carol');
      const dave = await t.login('dave');
      const rec = recorder();
      const toBob = rec.callee(bob, 'bob');
      const toCarol = rec.callee(carol, 'carol');
      const a1 = rec.local(alice.createLocalInvitation('bob'), 'a1');
      const a2 = rec.local(alice.createLocalInvitation('bob'), 'a2');
      const a3 = rec.local(alice.createLocalInvitation('carol'), 'a3');
      const d1 = rec.local(dave.createLocalInvitation('bob'), 'd1');
      a1.content = 'a1';
      a2.content = 'a2';
      a3.content = 'a3';
      d1.content = 'd1';
      for (const inv of [a1, a2, a3, d1]) inv.send();
      await until(() => [a1, a2, a3, d1].every((i) => i.state === 'RECEIVED_BY_REMOTE'));
      expect(toBob.map((r) => `${r.callerId}:${r.content}`).sort()).toEqual([
        'alice:a1',
        'alice:a2',
        'dave:d1',
      ]);
      const byContent = (c: string) => [...toBob, ...toCarol].find((r) => r.content === c)!;
      byContent('a1').accept();
      byContent('a2').refuse();
      a3.cancel();
      byContent('d1').accept();
      await until(
        () =>
          a1.state === 'ACCEPTED_BY_REMOTE' &&
          d1.state === 'ACCEPTED_BY_REMOTE' &&
          a2.state === 'REFUSED_BY_REMOTE',
      );
      // the callee's side completes after the caller's (the caller confirms the accept)
      await until(
        () =>
          byContent('a3').state === 'CANCELED' &&
          byContent('a1').state === 'ACCEPTED' &&
          byContent('d1').state === 'ACCEPTED',
      );
      expect(byContent('a2').state).toBe('REFUSED');
      expect(a3.state).toBe('CANCELED');
    });
  });

  describe('races: the caller sees ReceivedByPeer, then the outcome, whatever the wire order', () => {
    /**
     * Alice, logged in through the proxy, with what the server sends her held back: `release(n)`
     * waits until `n` more messages were written to her, then lets them reach her SDK in one
     * read (the way a busy client or network delivers them; her requests go through meanwhile).
     */
    const heldCaller = async () => {
      const alice = await viaProxy('alice');
      const session = t.sessionOf('alice')!;
      let base = 0;
      const hold = () => {
        base = session.outbox.sent;
        proxy!.stall('down');
      };
      /** waits until `n` more messages were written to alice (held by the proxy) */
      const written = async (n: number) => {
        await until(() => session.outbox.sent >= base + n, 5000, `${n} messages for alice`);
        // the server writes queued messages on the next turn of its event loop
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
      };
      const release = async (n: number) => {
        await written(n);
        proxy!.resume();
      };
      return { alice, hold, written, release };
    };

    it('the send’s answer, ReceivedByPeer and Accepted in one read: ReceivedByPeer, then Accepted', async () => {
      t = await setup(WIDE);
      const { alice, hold, release } = await heldCaller();
      const bob = await t.login('bob');
      const rec = recorder();
      const received = rec.callee(bob);
      const inv = rec.local(alice.createLocalInvitation('bob'));
      hold();
      inv.send();
      await until(() => received.length === 1);
      received[0]!.accept();
      await release(3); // the answer, ReceivedByPeer, Accepted
      await rec.has('callee:Accepted');
      expect(rec.log).toEqual([
        'callee:Received',
        'caller:ReceivedByPeer',
        'caller:Accepted()',
        'callee:Accepted',
      ]);
      expect(inv.state).toBe('ACCEPTED_BY_REMOTE');
      expect(received[0]!.state).toBe('ACCEPTED');
    });

    it('the send’s answer, ReceivedByPeer and Refused in one read: ReceivedByPeer, then Refused', async () => {
      t = await setup(WIDE);
      const { alice, hold, release } = await heldCaller();
      const bob = await t.login('bob');
      const rec = recorder();
      const received = rec.callee(bob);
      const inv = rec.local(alice.createLocalInvitation('bob'));
      hold();
      inv.send();
      await until(() => received.length === 1);
      received[0]!.response = 'busy';
      received[0]!.refuse();
      await release(3);
      await rec.has('caller:Refused(busy)');
      expect(rec.log).toEqual([
        'callee:Received',
        'callee:Refused',
        'caller:ReceivedByPeer',
        'caller:Refused(busy)',
      ]);
      expect(inv.state).toBe('REFUSED_BY_REMOTE');
    });

    it('the callee logs out right after receiving, all in one read: ReceivedByPeer, then PEER_OFFLINE', async () => {
      t = await setup(WIDE);
      const { alice, hold, release } = await heldCaller();
      const bob = await t.login('bob');
      const rec = recorder();
      const received = rec.callee(bob);
      const inv = rec.local(alice.createLocalInvitation('bob'));
      hold();
      inv.send();
      await until(() => received.length === 1);
      await bob.logout();
      await release(3); // the answer, ReceivedByPeer, LocalFailure
      await rec.has('caller:Failure(PEER_OFFLINE)');
      expect(rec.log).toEqual([
        'callee:Received',
        'callee:Failure(UNKNOWN)',
        'caller:ReceivedByPeer',
        'caller:Failure(PEER_OFFLINE)',
      ]);
      expect(inv.state).toBe('FAILURE');
    });

    it('a cancel racing the accept: the caller cancels with the Accepted on its way → both CANCELED', async () => {
      t = await setup(WIDE);
      const { alice, hold, written, release } = await heldCaller();
      const bob = await t.login('bob');
      const rec = recorder();
      const received = rec.callee(bob);
      const inv = rec.local(alice.createLocalInvitation('bob'));
      inv.send();
      await rec.has('caller:ReceivedByPeer');
      hold();
      received[0]!.accept();
      await written(1); // the Accepted, not read by alice yet
      inv.cancel();
      expect(inv.state).toBe('CANCELED');
      await rec.has('callee:Canceled()');
      await release(1);
      // a request answered after the held Accepted: once it is answered, alice has read that too
      await alice.queryPeersOnlineStatus(['bob']);
      expect(rec.log).toEqual([
        'callee:Received',
        'caller:ReceivedByPeer',
        'caller:Canceled',
        'callee:Canceled()',
      ]);
      expect(inv.state).toBe('CANCELED');
      expect(received[0]!.state).toBe('CANCELED');
    });
  });

  describe('timers and failures', () => {
    it('callee offline for the ack timeout → caller PEER_OFFLINE', async () => {
      t = await setup(QUICK);
      const alice = await t.login('alice');
      const inv = alice.createLocalInvitation('bob');
      inv.send();
      const [reason] = await next<[string]>(inv, 'LocalInvitationFailure');
      expect(reason).toBe('PEER_OFFLINE');
      expect(inv.state).toBe('FAILURE');
    });

    it('callee online but never acknowledging → caller PEER_NO_RESPONSE; the callee is told it expired', async () => {
      t = await setup(QUICK);
      const alice = await t.login('alice');
      const bob = await raw('bob');
      const inv = alice.createLocalInvitation('bob');
      inv.send();
      const [reason] = await next<[string]>(inv, 'LocalInvitationFailure');
      expect(reason).toBe('PEER_NO_RESPONSE');
      const ev = await rawEvent(bob, InvitationOp.Received);
      expect(await rawEvent(bob, InvitationOp.RemoteFailure)).toEqual({
        id: ev.id,
        reason: 'INVITATION_EXPIRE',
      });
    });

    it('received but unanswered → both sides INVITATION_EXPIRE', async () => {
      t = await setup({ ...QUICK, invitationAckTimeoutMs: 10_000 });
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const rec = recorder();
      const received = rec.callee(bob);
      const inv = rec.local(alice.createLocalInvitation('bob'));
      inv.send();
      await rec.has('caller:Failure(INVITATION_EXPIRE)');
      await rec.has('callee:Failure(INVITATION_EXPIRE)');
      expect(rec.log.slice(0, 2)).toEqual(['callee:Received', 'caller:ReceivedByPeer']);
      expect(received[0]!.state).toBe('FAILURE');
      expect(thrown(() => received[0]!.accept())).toEqual(STATUS(3));
    });

    it('an accept the caller never confirms → callee ACCEPT_FAILURE', async () => {
      // the confirmation window is min(5 s, ack timeout)
      t = await setup({ ...WIDE, invitationAckTimeoutMs: 1000 });
      const alice = await raw('alice');
      const bob = await t.login('bob');
      const rec = recorder();
      const received = rec.callee(bob);
      const sent = await alice.request(InvitationOp.Send, { to: 'bob', content: 'hi', channelId: '' });
      expect(sent.code).toBe(0);
      await rec.has('callee:Received');
      received[0]!.accept();
      expect(await rawEvent(alice, InvitationOp.Accepted)).toEqual({
        id: (sent.body as { id: string }).id,
        response: '',
      });
      await rec.has('callee:Failure(ACCEPT_FAILURE)');
      expect(received[0]!.state).toBe('FAILURE');
      // a confirmation after that is too late
      expect(
        (await alice.request(InvitationOp.AcceptAck, { id: (sent.body as { id: string }).id })).code,
      ).toBe(3);
    });

    it('the caller logs out between accept and confirm → callee ACCEPT_FAILURE', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const rec = recorder();
      const received = rec.callee(bob);
      const inv = rec.local(alice.createLocalInvitation('bob'));
      // logging out inside the listener: the logout reaches the server before the SDK's confirmation
      inv.on('LocalInvitationAccepted', () => void alice.logout());
      inv.send();
      await rec.has('caller:ReceivedByPeer');
      received[0]!.accept();
      await rec.has('callee:Failure(ACCEPT_FAILURE)');
      expect(inv.state).toBe('ACCEPTED_BY_REMOTE');
    });

    it('the callee logs out after receiving → caller PEER_OFFLINE; its own invitation fails locally', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const rec = recorder();
      rec.callee(bob);
      const inv = rec.local(alice.createLocalInvitation('bob'));
      inv.send();
      await rec.has('caller:ReceivedByPeer');
      await bob.logout();
      expect(rec.log).toContain('callee:Failure(UNKNOWN)');
      await rec.has('caller:Failure(PEER_OFFLINE)');
    });

    describe('the callee’s session ends without answering: the caller always hears PEER_OFFLINE', () => {
      // the expiry is far: a PEER_OFFLINE within the test comes from the session end or the ack timeout
      const ACK_1S = { ...WIDE, invitationAckTimeoutMs: 1000 };

      it('logout before acknowledging → PEER_OFFLINE at the ack timeout', async () => {
        t = await setup(ACK_1S);
        const alice = await t.login('alice');
        const bob = await raw('bob');
        const rec = recorder();
        const inv = rec.local(alice.createLocalInvitation('bob'));
        inv.send();
        await rawEvent(bob, InvitationOp.Received);
        expect((await bob.request(Op.Logout, null)).code).toBe(0);
        await rec.has('caller:Failure(PEER_OFFLINE)');
        expect(rec.log).toEqual(['caller:Failure(PEER_OFFLINE)']);
      });

      it('logout with its ack in flight (sent back to back) → PEER_OFFLINE at once', async () => {
        t = await setup(WIDE);
        const alice = await t.login('alice');
        const bob = await raw('bob');
        const rec = recorder();
        const inv = rec.local(alice.createLocalInvitation('bob'));
        inv.send();
        const ev = await rawEvent(bob, InvitationOp.Received);
        void bob.request(InvitationOp.ReceivedAck, { id: ev.id }).catch(() => undefined);
        void bob.request(Op.Logout, null).catch(() => undefined);
        await rec.has('caller:Failure(PEER_OFFLINE)');
        expect(rec.log).toEqual(['caller:ReceivedByPeer', 'caller:Failure(PEER_OFFLINE)']);
      });

      it('the SDK’s logout inside RemoteInvitationReceived (the app never answers) → PEER_OFFLINE', async () => {
        t = await setup(ACK_1S);
        const alice = await t.login('alice');
        const bob = await t.login('bob');
        const rec = recorder();
        rec.callee(bob);
        bob.on('RemoteInvitationReceived', () => void bob.logout());
        const inv = rec.local(alice.createLocalInvitation('bob'));
        inv.send();
        await rec.has('caller:Failure(PEER_OFFLINE)');
        expect(rec.log).toContain('callee:Failure(UNKNOWN)');
        expect(rec.log.at(-1)).toBe('caller:Failure(PEER_OFFLINE)');
        expect(inv.state).toBe('FAILURE');
      });

      it('link lost before the ack left, past the grace period → PEER_OFFLINE at the ack timeout', async () => {
        t = await setup({ ...ACK_1S, sessionGraceMs: 300 });
        const alice = await t.login('alice');
        const bob = await viaProxy('bob');
        const rec = recorder();
        rec.callee(bob);
        // cut inside the listener: the SDK writes its ack after the listener, into a dead link
        bob.on('RemoteInvitationReceived', () => {
          proxy!.pause();
          proxy!.dropAll();
        });
        const inv = rec.local(alice.createLocalInvitation('bob'));
        inv.send();
        await rec.has('caller:Failure(PEER_OFFLINE)');
        expect(rec.log).toEqual(['callee:Received', 'caller:Failure(PEER_OFFLINE)']);
      });

      it('remote login after the ack → PEER_OFFLINE; the new session does not get it', async () => {
        t = await setup(WIDE);
        const alice = await t.login('alice');
        const bob = await t.login('bob');
        const rec = recorder();
        rec.callee(bob);
        const inv = rec.local(alice.createLocalInvitation('bob'));
        inv.send();
        await rec.has('caller:ReceivedByPeer');
        const bob2 = await raw('bob');
        await rec.has('caller:Failure(PEER_OFFLINE)');
        await rec.has('callee:Failure(UNKNOWN)'); // the old client, ABORTED / REMOTE_LOGIN
        // a request answered after anything the new session got at login
        await bob2.request(InvitationOp.ReceivedAck, { id: 'none' });
        expect(eventsOf(bob2, InvitationOp.Received)).toEqual([]);
      });

      it('remote login before the ack: not offline — the new session gets it and can answer', async () => {
        t = await setup(WIDE);
        const alice = await t.login('alice');
        const oldBob = await raw('bob');
        const rec = recorder();
        const inv = rec.local(alice.createLocalInvitation('bob'));
        inv.send();
        await rawEvent(oldBob, InvitationOp.Received);
        const bob = t.client();
        const received = rec.callee(bob);
        await bob.login({ uid: 'bob' });
        await rec.has('caller:ReceivedByPeer');
        received[0]!.accept();
        await rec.has('callee:Accepted');
        expect(rec.log).toEqual([
          'callee:Received',
          'caller:ReceivedByPeer',
          'caller:Accepted()',
          'callee:Accepted',
        ]);
      });
    });

    it('the caller logs out → callee PEER_OFFLINE; its own invitation fails with NOT_LOGGEDIN', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const rec = recorder();
      rec.callee(bob);
      const inv = rec.local(alice.createLocalInvitation('bob'));
      inv.send();
      await rec.has('caller:ReceivedByPeer');
      await alice.logout();
      expect(rec.log).toContain('caller:Failure(NOT_LOGGEDIN)');
      await rec.has('callee:Failure(PEER_OFFLINE)');
      expect(inv.state).toBe('FAILURE');
    });

    it('the callee logs out while its accept is in flight → its invitation fails ACCEPT_FAILURE', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const rec = recorder();
      const received = rec.callee(bob);
      const inv = rec.local(alice.createLocalInvitation('bob'));
      inv.send();
      await rec.has('caller:ReceivedByPeer');
      received[0]!.accept();
      await bob.logout();
      expect(rec.log).toContain('callee:Failure(ACCEPT_FAILURE)');
      // the caller either saw the accept first, or hears that the callee is gone
      await until(() => inv.state === 'ACCEPTED_BY_REMOTE' || inv.state === 'FAILURE');
    });

    it("the caller's session taken by a remote login → callee PEER_OFFLINE, old caller NOT_LOGGEDIN", async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const rec = recorder();
      rec.callee(bob);
      const inv = rec.local(alice.createLocalInvitation('bob'));
      inv.send();
      await rec.has('caller:ReceivedByPeer');
      await t.login('alice');
      await rec.has('callee:Failure(PEER_OFFLINE)');
      await rec.has('caller:Failure(NOT_LOGGEDIN)');
    });

    it('the callee loses its link past the grace period → caller PEER_OFFLINE; on its return the callee fails too', async () => {
      t = await setup({ ...WIDE, sessionGraceMs: 300 });
      const alice = await t.login('alice');
      const bob = await viaProxy('bob');
      const rec = recorder();
      rec.callee(bob);
      const inv = rec.local(alice.createLocalInvitation('bob'));
      inv.send();
      await rec.has('caller:ReceivedByPeer');
      proxy!.pause();
      proxy!.dropAll();
      await rec.has('caller:Failure(PEER_OFFLINE)');
      expect(rec.log).not.toContain('callee:Failure(UNKNOWN)');
      proxy!.resume();
      // the SDK logs in again (new session) and ends what the old session held
      await rec.has('callee:Failure(UNKNOWN)');
    });

    it('the caller loses its link past the grace period → callee PEER_OFFLINE; on its return the caller fails too', async () => {
      t = await setup({ ...WIDE, sessionGraceMs: 300 });
      const alice = await viaProxy('alice');
      const bob = await t.login('bob');
      const rec = recorder();
      rec.callee(bob);
      const inv = rec.local(alice.createLocalInvitation('bob'));
      inv.send();
      await rec.has('caller:ReceivedByPeer');
      proxy!.pause();
      proxy!.dropAll();
      await rec.has('callee:Failure(PEER_OFFLINE)');
      proxy!.resume();
      await rec.has('caller:Failure(NOT_LOGGEDIN)');
    });

    it('a short drop is invisible: an invitation sent during the gap arrives on resume', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      const bob = await viaProxy('bob');
      const rec = recorder();
      const received = rec.callee(bob);
      proxy!.pause();
      proxy!.dropAll();
      await until(() => bob.connectionState === 'RECONNECTING');
      const inv = rec.local(alice.createLocalInvitation('bob'));
      inv.send();
      await sleep(100);
      expect(rec.log).toEqual([]);
      proxy!.resume();
      await rec.has('caller:ReceivedByPeer');
      received[0]!.accept();
      await rec.has('callee:Accepted');
      expect(rec.log).toEqual([
        'callee:Received',
        'caller:ReceivedByPeer',
        'caller:Accepted()',
        'callee:Accepted',
      ]);
    });

    it('sending while not logged in → LocalInvitationFailure(NOT_LOGGEDIN), asynchronously, no throw', async () => {
      t = await setup(WIDE);
      const alice = t.client();
      const inv = alice.createLocalInvitation('bob');
      inv.send();
      const failure = next<[string]>(inv, 'LocalInvitationFailure');
      expect((await failure)[0]).toBe('NOT_LOGGEDIN');
      expect(inv.state).toBe('FAILURE');
      expect(thrown(() => inv.send())).toEqual(STATUS(3));
    });

    it('the server defaults are 30 s (ack) and 60 s (expiry)', async () => {
      expect(DEFAULT_CONFIG.invitationAckTimeoutMs).toBe(30_000);
      expect(DEFAULT_CONFIG.invitationExpireMs).toBe(60_000);
      const server = await startTestServer();
      try {
        expect(server.config.invitationAckTimeoutMs).toBe(30_000);
        expect(server.config.invitationExpireMs).toBe(60_000);
      } finally {
        await server.close();
      }
    });
  });

  describe('API misuse: InvitationApiCallError codes and classes', () => {
    it('createLocalInvitation with an invalid callee ID → 1', async () => {
      t = await setup(WIDE);
      const c = t.client();
      for (const bad of ['', 'null', 'x'.repeat(65), 'a*b', 42 as unknown as string])
        expect(thrown(() => c.createLocalInvitation(bad))).toEqual(INVALID(1));
    });

    it('content over 8 KB (UTF-8 bytes) → 1 on send and on cancel; exactly 8 KB is fine', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      await t.login('bob');
      const inv = alice.createLocalInvitation('bob');
      inv.content = '€'.repeat(2731); // 8193 bytes, 2731 characters
      expect(utf8Length(inv.content)).toBe(8193);
      expect(thrown(() => inv.send())).toEqual(INVALID(1));
      expect(inv.state).toBe('IDLE');
      inv.content = 42 as unknown as string;
      expect(thrown(() => inv.send())).toEqual(INVALID(1));
      inv.content = `${'€'.repeat(2730)}ab`; // 8192 bytes
      inv.send();
      await next(inv, 'LocalInvitationReceivedByPeer');
      inv.content = 'x'.repeat(8193);
      expect(thrown(() => inv.cancel())).toEqual(INVALID(1));
      expect(inv.state).toBe('RECEIVED_BY_REMOTE');
    });

    it('channelId: invalid → 1; settable only while IDLE (later sets are ignored)', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const inv = alice.createLocalInvitation('bob');
      expect(thrown(() => (inv.channelId = 'bad/channel'))).toEqual(INVALID(1));
      expect(thrown(() => (inv.channelId = 'null'))).toEqual(INVALID(1));
      inv.channelId = 'room';
      inv.channelId = '';
      inv.channelId = 'room-2';
      const got = next<[RemoteInvitation]>(bob, 'RemoteInvitationReceived');
      inv.send();
      inv.channelId = 'other';
      expect(inv.channelId).toBe('room-2');
      expect((await got)[0].channelId).toBe('room-2');
    });

    it('read-only properties throw 1: LocalInvitation.response, RemoteInvitation.content / channelId', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const inv = alice.createLocalInvitation('bob');
      expect(thrown(() => ((inv as { response: string }).response = 'x'))).toEqual(INVALID(1));
      const got = next<[RemoteInvitation]>(bob, 'RemoteInvitationReceived');
      inv.content = 'c';
      inv.channelId = 'ch';
      inv.send();
      const [remote] = await got;
      expect(thrown(() => ((remote as { content: string }).content = 'x'))).toEqual(INVALID(1));
      expect(thrown(() => ((remote as { channelId: string }).channelId = 'x'))).toEqual(INVALID(1));
      expect(remote.content).toBe('c');
      expect(remote.channelId).toBe('ch');
    });

    it('caller: cancel while IDLE → 2; send twice → 5; after the end send/cancel → 3', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      await t.login('bob');
      const inv = alice.createLocalInvitation('bob');
      expect(thrown(() => inv.cancel())).toEqual(STATUS(2));
      inv.send();
      expect(thrown(() => inv.send())).toEqual(STATUS(5));
      await next(inv, 'LocalInvitationReceivedByPeer');
      expect(thrown(() => inv.send())).toEqual(STATUS(5));
      inv.cancel();
      expect(thrown(() => inv.send())).toEqual(STATUS(3));
      expect(thrown(() => inv.cancel())).toEqual(STATUS(3));
    });

    it('callee: accept twice / refuse while accepting → 4; after the end → 3; oversized response → 1', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const rec = recorder();
      const received = rec.callee(bob);
      const i1 = alice.createLocalInvitation('bob');
      const i2 = alice.createLocalInvitation('bob');
      const i3 = rec.local(alice.createLocalInvitation('bob'), 'i3');
      i1.content = '1';
      i2.content = '2';
      i3.content = '3';
      i1.send();
      i2.send();
      i3.send();
      await until(() => received.length === 3);
      const [r1, r2, r3] = ['1', '2', '3'].map((c) => received.find((r) => r.content === c)!) as [
        RemoteInvitation,
        RemoteInvitation,
        RemoteInvitation,
      ];
      r1.response = 'x'.repeat(8193);
      expect(thrown(() => r1.accept())).toEqual(INVALID(1));
      expect(thrown(() => r1.refuse())).toEqual(INVALID(1));
      r1.response = 7 as unknown as string;
      expect(thrown(() => r1.accept())).toEqual(INVALID(1));
      r1.response = 'ok';
      r1.accept();
      expect(thrown(() => r1.accept())).toEqual(STATUS(4));
      expect(thrown(() => r1.refuse())).toEqual(STATUS(4));
      r2.refuse();
      expect(thrown(() => r2.accept())).toEqual(STATUS(3));
      expect(thrown(() => r2.refuse())).toEqual(STATUS(3));
      i3.cancel();
      await until(() => r3.state === 'CANCELED');
      expect(thrown(() => r3.accept())).toEqual(STATUS(3));
      expect(thrown(() => r3.refuse())).toEqual(STATUS(3));
      await until(() => r1.state === 'ACCEPTED');
      expect(thrown(() => r1.accept())).toEqual(STATUS(3));
    });

    it('the server enforces the same codes for clients that skip the SDK checks', async () => {
      t = await setup(WIDE);
      const alice = await raw('alice');
      const bob = await raw('bob');
      const carol = await raw('carol');
      const send = (body: unknown) => alice.request(InvitationOp.Send, body).then((r) => r.code);
      expect(await send({ to: 'bob' })).toBe(1);
      expect(await send({ to: 'null', content: '' })).toBe(1);
      expect(await send({ to: 'bob', content: 'x'.repeat(8193) })).toBe(1);
      expect(await send({ to: 'bob', content: '', channelId: 'bad/channel' })).toBe(1);
      expect(await send('nope')).toBe(1);
      const sent = await alice.request(InvitationOp.Send, { to: 'bob', content: 'hi' });
      expect(sent.code).toBe(0);
      const id = (sent.body as { id: string }).id;
      expect(await rawEvent(bob, InvitationOp.Received)).toEqual({
        id,
        from: 'alice',
        content: 'hi',
        channelId: '',
      });
      // only the callee may answer, only the caller may cancel or confirm
      expect((await carol.request(InvitationOp.Accept, { id, response: '' })).code).toBe(3);
      expect((await carol.request(InvitationOp.Refuse, { id, response: '' })).code).toBe(3);
      expect((await bob.request(InvitationOp.Cancel, { id, content: '' })).code).toBe(3);
      expect((await bob.request(InvitationOp.Accept, { id, response: 'x'.repeat(8193) })).code).toBe(1);
      expect((await bob.request(InvitationOp.Accept, { id: 5 })).code).toBe(1);
      expect((await bob.request(InvitationOp.ReceivedAck, { id })).code).toBe(0);
      expect((await bob.request(InvitationOp.Accept, { id, response: 'yes' })).code).toBe(0);
      expect((await bob.request(InvitationOp.Accept, { id, response: 'yes' })).code).toBe(4);
      expect((await bob.request(InvitationOp.Refuse, { id, response: '' })).code).toBe(4);
      expect((await alice.request(InvitationOp.Cancel, { id, content: 'x'.repeat(8193) })).code).toBe(1);
      expect((await alice.request(InvitationOp.AcceptAck, { id })).code).toBe(0);
      expect(await rawEvent(bob, InvitationOp.AcceptConfirmed)).toEqual({ id });
      expect((await alice.request(InvitationOp.AcceptAck, { id })).code).toBe(3);
      expect((await alice.request(InvitationOp.Cancel, { id, content: '' })).code).toBe(3);
      expect((await bob.request(InvitationOp.Refuse, { id, response: '' })).code).toBe(3);
      expect(eventsOf(alice, InvitationOp.ReceivedByPeer)).toEqual([{ id }]);
      expect(eventsOf(alice, InvitationOp.Accepted)).toEqual([{ id, response: 'yes' }]);
    });
  });

  describe('Java-style call manager', () => {
    it('drives the same objects and reports every event to its listener', async () => {
      t = await setup(WIDE);
      const alice = await t.login('alice');
      const bob = await t.login('bob');
      const log: string[] = [];
      const listener = (who: string): RtmCallEventListener => ({
        onLocalInvitationReceivedByPeer: (i) =>
          log.push(`${who}:onLocalInvitationReceivedByPeer(${i.calleeId})`),
        onLocalInvitationAccepted: (_i, r) => log.push(`${who}:onLocalInvitationAccepted(${r})`),
        onLocalInvitationRefused: (_i, r) => log.push(`${who}:onLocalInvitationRefused(${r})`),
        onLocalInvitationCanceled: () => log.push(`${who}:onLocalInvitationCanceled`),
        onLocalInvitationFailure: (_i, code, reason) =>
          log.push(`${who}:onLocalInvitationFailure(${code},${reason})`),
        onRemoteInvitationReceived: (i) => log.push(`${who}:onRemoteInvitationReceived(${i.callerId})`),
        onRemoteInvitationAccepted: () => log.push(`${who}:onRemoteInvitationAccepted`),
        onRemoteInvitationRefused: () => log.push(`${who}:onRemoteInvitationRefused`),
        onRemoteInvitationCanceled: () => log.push(`${who}:onRemoteInvitationCanceled`),
        onRemoteInvitationFailure: (_i, code, reason) =>
          log.push(`${who}:onRemoteInvitationFailure(${code},${reason})`),
      });
      const am = alice.getRtmCallManager();
      const bm = bob.getRtmCallManager();
      expect(alice.getRtmCallManager()).toBe(am);
      am.setEventListener(listener('alice'));
      bm.setEventListener(listener('bob'));
      let remote: RemoteInvitation | null = null;
      bob.on('RemoteInvitationReceived', (r) => {
        remote = r;
      });

      // accepted call, with promise-style results
      const inv = am.createLocalInvitation('bob');
      await am.sendLocalInvitation(inv);
      await until(() => log.includes('alice:onLocalInvitationReceivedByPeer(bob)'));
      remote!.response = 'yes';
      await bm.acceptRemoteInvitation(remote!);
      await until(() => log.includes('bob:onRemoteInvitationAccepted'));
      expect(log).toEqual([
        'bob:onRemoteInvitationReceived(alice)',
        'alice:onLocalInvitationReceivedByPeer(bob)',
        'alice:onLocalInvitationAccepted(yes)',
        'bob:onRemoteInvitationAccepted',
      ]);

      // refused and canceled calls, with callback-style results
      log.length = 0;
      const ok = () => ({
        onSuccess: () => log.push('ok'),
        onFailure: (e: { getErrorCode(): number }) => log.push(`fail(${e.getErrorCode()})`),
      });
      const i2 = alice.createLocalInvitation('bob');
      am.sendLocalInvitation(i2, ok());
      await until(() => log.includes('alice:onLocalInvitationReceivedByPeer(bob)'));
      bm.refuseRemoteInvitation(remote!, ok());
      await until(() => log.includes('alice:onLocalInvitationRefused()'));
      const i3 = am.createLocalInvitation('bob');
      am.sendLocalInvitation(i3, ok());
      await until(() => log.filter((l) => l === 'alice:onLocalInvitationReceivedByPeer(bob)').length === 2);
      am.cancelLocalInvitation(i3, ok());
      await until(() => log.includes('bob:onRemoteInvitationCanceled'));
      expect(log.filter((l) => l === 'ok')).toHaveLength(4);
      expect(log).toContain('bob:onRemoteInvitationRefused');
      expect(log).toContain('alice:onLocalInvitationCanceled');

      // misuse: onFailure with the code, or a rejected promise with the same error
      log.length = 0;
      am.cancelLocalInvitation(am.createLocalInvitation('bob'), ok());
      await until(() => log.length === 1);
      expect(log).toEqual(['fail(2)']);
      await expect(am.sendLocalInvitation(i3)).rejects.toMatchObject(STATUS(3));
      await expect(bm.acceptRemoteInvitation(remote!)).rejects.toMatchObject(STATUS(3));
      await expect(am.sendLocalInvitation({} as LocalInvitation)).rejects.toMatchObject(INVALID(1));

      // failures carry Java's numeric codes: the callee vanishes → LocalInvitationError.PEER_OFFLINE (1),
      // the caller vanishes → RemoteInvitationError.PEER_OFFLINE (1)
      log.length = 0;
      const i4 = am.createLocalInvitation('bob');
      await am.sendLocalInvitation(i4);
      await until(() => log.includes('alice:onLocalInvitationReceivedByPeer(bob)'));
      await bob.logout();
      await until(() => log.includes('alice:onLocalInvitationFailure(1,PEER_OFFLINE)'));
      expect(log).toContain('bob:onRemoteInvitationFailure(-1,UNKNOWN)');
    });
  });

  describe('across nodes (shared store and bus)', () => {
    const nodes: Awaited<ReturnType<typeof startTestServer>>[] = [];
    const clients: RtmClient[] = [];
    afterEach(async () => {
      for (const c of clients.splice(0)) c.release();
      for (const n of nodes.splice(0)) await n.close();
    });
    const cluster = async (cfg: Partial<ServerConfig>) => {
      const store = createEmbeddedStore({ dataDir: null });
      const bus = new MemoryBus({ shared: true });
      nodes.push(
        await startTestServer({ ...cfg, nodeId: 'A' }, { store, bus }),
        await startTestServer({ ...cfg, nodeId: 'B' }, { store, bus }),
      );
      const on = (node: 0 | 1) => {
        const c = AgoraRTM.createInstance(APP_ID, { serverUrl: nodes[node]!.wsUrl });
        clients.push(c);
        return c;
      };
      return { store, on };
    };

    it('a call between nodes, and a callee who logs in on another node within the ack window', async () => {
      const { store, on } = await cluster(WIDE);
      const alice = on(0);
      await alice.login({ uid: 'alice' });
      const rec = recorder();
      const inv = rec.local(alice.createLocalInvitation('bob'));
      inv.content = 'across';
      inv.send();
      await sleep(50);
      const bob = on(1);
      const received = rec.callee(bob);
      await bob.login({ uid: 'bob' });
      await rec.has('caller:ReceivedByPeer');
      received[0]!.response = 'sure';
      received[0]!.accept();
      await rec.has('callee:Accepted');
      expect(rec.log).toEqual([
        'callee:Received',
        'caller:ReceivedByPeer',
        'caller:Accepted(sure)',
        'callee:Accepted',
      ]);
      const refused = rec.local(alice.createLocalInvitation('bob'), 'r');
      refused.send();
      await until(() => received.length === 2);
      received[1]!.refuse();
      await rec.has('r:Refused()');
      expect((store.invitations as unknown as { size: number }).size).toBe(0);
    });

    it('the send’s answer reaches the caller before any event of its invitation, even when the bus is slow to confirm the delivery', async () => {
      const store = createEmbeddedStore({ dataDir: null });
      const inner = new MemoryBus({ shared: true });
      let held: Promise<void> | null = null;
      // Delivers at once, but while `held` is set each publish resolves only when it is released:
      // the callee's ack (and its ReceivedByPeer) can then overtake the completion of the delivery.
      const bus: Bus = {
        get ready() {
          return inner.ready;
        },
        shared: true,
        publish: async (topic, payload) => {
          const n = await inner.publish(topic, payload);
          if (held) await held;
          return n;
        },
        subscribe: (topic, handler) => inner.subscribe(topic, handler),
        close: () => inner.close(),
      };
      nodes.push(
        await startTestServer({ ...WIDE, nodeId: 'A' }, { store, bus }),
        await startTestServer({ ...WIDE, nodeId: 'B' }, { store, bus }),
      );
      const alice = await rawAt(nodes[0]!.wsUrl, 'alice');
      const bob = await rawAt(nodes[1]!.wsUrl, 'bob');
      let release = () => {};
      held = new Promise<void>((r) => {
        release = r;
      });
      try {
        const sent = alice.request<{ id: string }>(InvitationOp.Send, { to: 'bob', content: 'hi' });
        const ev = await rawEvent(bob, InvitationOp.Received);
        void bob.request(InvitationOp.ReceivedAck, { id: ev.id });
        await rawEvent(alice, InvitationOp.ReceivedByPeer);
        release();
        expect((await sent).body.id).toBe(ev.id);
        // reqId 1 was the login, 2 the send
        expect(alice.wire.filter((w) => w !== `ev:${Op.Ping}`)).toEqual([
          'res:1',
          'res:2',
          `ev:${InvitationOp.ReceivedByPeer}`,
        ]);
      } finally {
        held = null;
        release();
      }
    });

    /**
     * Two nodes sharing a store whose invitation updates (`advance`) wait while `hold()` is in
     * force, and which reports each `listForUser` once it answered: a test can let a session end
     * (its sessionEnd hook lists the user's invitations) while the callee's ack or accept is still
     * being applied, the interleaving a slow store makes possible.
     */
    const gatedCluster = async (cfg: Partial<ServerConfig>) => {
      const store = createEmbeddedStore({ dataDir: null });
      const inv = store.invitations;
      const advance = inv.advance.bind(inv);
      const listForUser = inv.listForUser.bind(inv);
      let gate: Promise<void> | null = null;
      let open = () => {};
      const listed: string[] = [];
      inv.advance = async (...a) => {
        while (gate) await gate;
        return advance(...a);
      };
      inv.listForUser = async (appId, uid) => {
        const r = await listForUser(appId, uid);
        listed.push(uid);
        return r;
      };
      const bus = new MemoryBus({ shared: true });
      nodes.push(
        await startTestServer({ ...cfg, nodeId: 'A' }, { store, bus }),
        await startTestServer({ ...cfg, nodeId: 'B' }, { store, bus }),
      );
      const hold = () => {
        gate = new Promise<void>((r) => {
          open = r;
        });
      };
      const release = () => {
        gate = null;
        open();
      };
      return { store, listed, hold, release };
    };

    it.each([
      ['ack', InvitationOp.ReceivedAck],
      ['accept', InvitationOp.Accept],
    ] as const)(
      'an %s applied after the callee logged out does not count: the caller gets PEER_OFFLINE at the ack timeout',
      async (_what, op) => {
        // the expiry is far: only the ack timeout can end it within the test
        const { store, listed, hold, release } = await gatedCluster({
          ...WIDE,
          invitationAckTimeoutMs: 1500,
        });
        const alice = AgoraRTM.createInstance(APP_ID, { serverUrl: nodes[0]!.wsUrl });
        clients.push(alice);
        await alice.login({ uid: 'alice' });
        const bob = await rawAt(nodes[1]!.wsUrl, 'bob');
        const rec = recorder();
        const inv = rec.local(alice.createLocalInvitation('bob'));
        inv.send();
        const ev = await rawEvent(bob, InvitationOp.Received);
        hold();
        // (never answered: the session is gone when it completes)
        void bob.request(op, { id: ev.id }).catch(() => undefined);
        expect((await bob.request(Op.Logout, null)).code).toBe(0);
        // bob's sessionEnd hook looked at his invitations while his answer was still being applied
        await until(() => listed.filter((u) => u === 'bob').length >= 2, 5000, 'sessionEnd listing');
        release();
        await rec.has('caller:Failure(PEER_OFFLINE)');
        expect(rec.log).toEqual(['caller:Failure(PEER_OFFLINE)']);
        await until(() => (store.invitations as unknown as { size: number }).size === 0);
      },
    );

    it('an ack applied after a remote login took the callee’s session: the new session gets the invitation again and the call goes on', async () => {
      const { listed, hold, release } = await gatedCluster(WIDE);
      const alice = AgoraRTM.createInstance(APP_ID, { serverUrl: nodes[0]!.wsUrl });
      clients.push(alice);
      await alice.login({ uid: 'alice' });
      const oldBob = await rawAt(nodes[1]!.wsUrl, 'bob');
      const rec = recorder();
      const inv = rec.local(alice.createLocalInvitation('bob'));
      inv.send();
      const ev = await rawEvent(oldBob, InvitationOp.Received);
      hold();
      void oldBob.request(InvitationOp.ReceivedAck, { id: ev.id }).catch(() => undefined);
      const newBob = await rawAt(nodes[0]!.wsUrl, 'bob');
      // the new session got the (still SENT) invitation at its login
      await rawEvent(newBob, InvitationOp.Received);
      await until(() => listed.filter((u) => u === 'bob').length >= 3, 5000, 'sessionEnd listing');
      release();
      // the old session's ack was undone and the invitation sent again to the session that has it now
      expect(await rawEvent(newBob, InvitationOp.Received, 2)).toEqual(ev);
      expect((await newBob.request(InvitationOp.ReceivedAck, { id: ev.id })).code).toBe(0);
      await rec.has('caller:ReceivedByPeer');
      expect((await newBob.request(InvitationOp.Accept, { id: ev.id, response: 'here' })).code).toBe(0);
      await rec.has('caller:Accepted(here)');
      await rawEvent(newBob, InvitationOp.AcceptConfirmed);
      expect(rec.log).toEqual(['caller:ReceivedByPeer', 'caller:Accepted(here)']);
    });

    it('a timer whose store read fails checks again: the invitation still ends (nothing hangs)', async () => {
      const store = createEmbeddedStore({ dataDir: null });
      const inv = store.invitations;
      const get = inv.get.bind(inv);
      let failures = 2;
      inv.get = async (...a) => {
        if (failures > 0) {
          failures--;
          throw new Error('store unreachable (test)');
        }
        return get(...a);
      };
      const bus = new MemoryBus({ shared: true });
      nodes.push(await startTestServer({ ...QUICK, nodeId: 'A' }, { store, bus }));
      const alice = AgoraRTM.createInstance(APP_ID, { serverUrl: nodes[0]!.wsUrl });
      clients.push(alice);
      await alice.login({ uid: 'alice' });
      const i = alice.createLocalInvitation('bob');
      i.send();
      // the ack timeout's check fails twice (the timer's reads), then succeeds
      const [reason] = await next<[string]>(i, 'LocalInvitationFailure', 8000);
      expect(reason).toBe('PEER_OFFLINE');
      expect(failures).toBe(0);
    });

    it('timers stay correct when the callee is on another node: expiry and accept confirmation', async () => {
      const { store, on } = await cluster({ ...QUICK, invitationAckTimeoutMs: 1000 });
      const alice = on(0);
      const bob = on(1);
      await alice.login({ uid: 'alice' });
      await bob.login({ uid: 'bob' });
      const rec = recorder();
      const received = rec.callee(bob);
      // expiry: armed on node A after node B recorded the receipt
      const inv = rec.local(alice.createLocalInvitation('bob'));
      inv.send();
      await rec.has('caller:Failure(INVITATION_EXPIRE)');
      await rec.has('callee:Failure(INVITATION_EXPIRE)');
      // accept confirmation: a caller on A that never confirms an accept made on B
      const carol = await rawAt(nodes[0]!.wsUrl, 'carol');
      expect((await carol.request(InvitationOp.Send, { to: 'bob', content: 'c', channelId: '' })).code).toBe(
        0,
      );
      await until(() => received.length === 2);
      received[1]!.accept();
      await rawEvent(carol, InvitationOp.Accepted);
      await until(() => received[1]!.state === 'FAILURE');
      expect(rec.log.at(-1)).toBe('callee:Failure(ACCEPT_FAILURE)');
      // ack timeout with the callee offline
      await bob.logout();
      const i3 = rec.local(alice.createLocalInvitation('bob'), 'c3');
      i3.send();
      await rec.has('c3:Failure(PEER_OFFLINE)');
      await until(() => (store.invitations as unknown as { size: number }).size === 0);
    });
  });
});
