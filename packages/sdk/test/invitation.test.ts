import { InvitationOp, concatFrames, encodeEvent, encodeResponse } from '@parley/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import AgoraRTM, { type LocalInvitation, type RemoteInvitation, type RtmClient } from '../src/index.js';
import { FakeServer } from './fake-server.js';
import { APP_ID, sleep, until } from './wait.js';

/** Invitation objects against a scripted server: cases a real server does not produce on demand. */
describe('invitations against a scripted server', () => {
  let fake: FakeServer;
  let c: RtmClient;
  beforeEach(async () => {
    fake = await FakeServer.start();
    c = AgoraRTM.createInstance(APP_ID, {
      serverUrl: fake.url,
      reconnect: { baseMs: 20, capMs: 50, floorMs: 10 },
    });
    await c.login({ uid: 'bob' });
  });
  afterEach(async () => {
    c.release();
    await fake.close();
  });
  const received = () => {
    const got: RemoteInvitation[] = [];
    c.on('RemoteInvitationReceived', (r) => got.push(r));
    return got;
  };
  const invite = (id: string) =>
    fake.event(InvitationOp.Received, { id, from: 'alice', content: `c-${id}`, channelId: '' });

  it('emits RemoteInvitationReceived once per invitation id, and acknowledges every delivery', async () => {
    const got = received();
    invite('i1');
    invite('i1');
    invite('i2');
    await until(() => fake.requests(InvitationOp.ReceivedAck).length === 3);
    expect(got.map((r) => r.content)).toEqual(['c-i1', 'c-i2']);
    expect(fake.requests(InvitationOp.ReceivedAck).map((r) => r.body)).toEqual([
      { id: 'i1' },
      { id: 'i1' },
      { id: 'i2' },
    ]);
  });

  it('ignores events for unknown ids and events that do not fit the state', async () => {
    const got = received();
    fake.event(InvitationOp.Canceled, { id: 'nope', content: '' });
    fake.event(InvitationOp.Accepted, { id: 'nope', response: '' });
    invite('i1');
    await until(() => got.length === 1);
    const r = got[0]!;
    const events: string[] = [];
    r.on('RemoteInvitationAccepted', () => events.push('accepted'));
    r.on('RemoteInvitationCanceled', (content) => events.push(`canceled(${content})`));
    fake.event(InvitationOp.AcceptConfirmed, { id: 'i1' }); // no accept was sent
    fake.event(InvitationOp.Canceled, { id: 'i1', content: 'bye' });
    fake.event(InvitationOp.RemoteFailure, { id: 'i1', reason: 'INVITATION_EXPIRE' });
    await until(() => events.length > 0);
    await sleep(50);
    expect(events).toEqual(['canceled(bye)']);
    expect(r.state).toBe('CANCELED');
  });

  it('a send the server refuses fails UNKNOWN; a cancel made before the answer follows the id', async () => {
    fake.onRequest = (op, body) => {
      if (op !== InvitationOp.Send) return null;
      return (body as { to: string }).to === 'refused' ? { code: 1 } : { code: 0, body: { id: 'x1' } };
    };
    const bad = c.createLocalInvitation('refused');
    const reasons: string[] = [];
    bad.on('LocalInvitationFailure', (r) => reasons.push(r));
    bad.send();
    await until(() => reasons.length === 1);
    expect(reasons).toEqual(['UNKNOWN']);
    expect(bad.state).toBe('FAILURE');

    const inv = c.createLocalInvitation('alice');
    inv.send();
    inv.content = 'changed my mind';
    inv.cancel();
    await until(() => fake.requests(InvitationOp.Cancel).length === 1);
    expect(fake.requests(InvitationOp.Cancel)[0]!.body).toEqual({ id: 'x1', content: 'changed my mind' });
  });

  it('an accept the server refuses (the invitation is gone) fails ACCEPT_FAILURE', async () => {
    fake.onRequest = (op) => (op === InvitationOp.Accept ? { code: 3 } : null);
    const got = received();
    invite('i1');
    await until(() => got.length === 1);
    const r = got[0]!;
    const reasons: string[] = [];
    r.on('RemoteInvitationFailure', (x) => reasons.push(x));
    r.accept();
    await until(() => reasons.length === 1);
    expect(reasons).toEqual(['ACCEPT_FAILURE']);
  });

  it('after a re-login (session lost) live invitations fail, and a re-delivery shows it again', async () => {
    fake.onRequest = (op) => (op === InvitationOp.Send ? { code: 0, body: { id: 'out1' } } : null);
    const got = received();
    invite('in1');
    await until(() => got.length === 1);
    const out = c.createLocalInvitation('alice');
    out.send();
    await until(() => fake.requests(InvitationOp.Send).length === 1);
    await sleep(20);
    const log: string[] = [];
    out.on('LocalInvitationFailure', (r) => log.push(`local:${r}`));
    got[0]!.on('RemoteInvitationFailure', (r) => log.push(`remote:${r}`));
    fake.killAll(); // the fake refuses resumes: the SDK logs in as a new session
    await until(() => log.length === 2);
    expect(log.sort()).toEqual(['local:NOT_LOGGEDIN', 'remote:UNKNOWN']);
    await until(() => c.connectionState === 'CONNECTED');
    invite('in1');
    await until(() => got.length === 2);
    expect(got[1]).not.toBe(got[0]);
    expect(got[1]!.state).toBe('INVITATION_RECEIVED');
  });
  describe('caller events around the send’s answer, whatever the wire order', () => {
    /** a sent invitation whose answer the test gives; `log` records its events */
    const sent = async (n = 1) => {
      const inv = c.createLocalInvitation('alice');
      const log: string[] = [];
      track(inv, log);
      inv.send();
      await until(() => fake.requests(InvitationOp.Send).length === n);
      const reqId = fake.requests(InvitationOp.Send)[n - 1]!.reqId;
      return { inv, log, reqId };
    };
    const track = (inv: LocalInvitation, log: string[]) => {
      inv.on('LocalInvitationReceivedByPeer', () => log.push('ReceivedByPeer'));
      inv.on('LocalInvitationAccepted', (r) => log.push(`Accepted(${r})`));
      inv.on('LocalInvitationRefused', (r) => log.push(`Refused(${r})`));
      inv.on('LocalInvitationCanceled', () => log.push('Canceled'));
      inv.on('LocalInvitationFailure', (r) => log.push(`Failure(${r})`));
    };
    const RBP = (id: string) => [InvitationOp.ReceivedByPeer, { id }] as const;
    const ACC = (id: string, response = 'yes') => [InvitationOp.Accepted, { id, response }] as const;
    const REF = (id: string, response = 'no') => [InvitationOp.Refused, { id, response }] as const;
    const FAIL = (id: string, reason = 'PEER_OFFLINE') =>
      [InvitationOp.LocalFailure, { id, reason }] as const;

    it.each([
      [
        'ReceivedByPeer, Accepted',
        [RBP('e1'), ACC('e1')],
        ['ReceivedByPeer', 'Accepted(yes)'],
        'ACCEPTED_BY_REMOTE',
      ],
      ['Accepted alone', [ACC('e1')], ['ReceivedByPeer', 'Accepted(yes)'], 'ACCEPTED_BY_REMOTE'],
      [
        'ReceivedByPeer, Refused',
        [RBP('e1'), REF('e1')],
        ['ReceivedByPeer', 'Refused(no)'],
        'REFUSED_BY_REMOTE',
      ],
      ['Refused alone', [REF('e1')], ['ReceivedByPeer', 'Refused(no)'], 'REFUSED_BY_REMOTE'],
      [
        'ReceivedByPeer, PEER_OFFLINE',
        [RBP('e1'), FAIL('e1')],
        ['ReceivedByPeer', 'Failure(PEER_OFFLINE)'],
        'FAILURE',
      ],
      [
        'INVITATION_EXPIRE alone',
        [FAIL('e1', 'INVITATION_EXPIRE')],
        ['Failure(INVITATION_EXPIRE)'],
        'FAILURE',
      ],
    ] as const)(
      '%s sent before the answer: applied in order once it arrives',
      async (_name, events, expected, state) => {
        const { inv, log, reqId } = await sent();
        for (const [op, body] of events) fake.event(op, body);
        // the events were read first: nothing can apply before the answer names the id
        await sleep(30);
        expect(log).toEqual([]);
        fake.reply(reqId, 0, { id: 'e1' });
        await until(() => log.length === expected.length);
        expect(log).toEqual(expected);
        expect(inv.state).toBe(state);
        if (state === 'ACCEPTED_BY_REMOTE') {
          await until(() => fake.requests(InvitationOp.AcceptAck).length === 1);
          expect(fake.requests(InvitationOp.AcceptAck)[0]!.body).toEqual({ id: 'e1' });
        }
      },
    );

    it.each([
      ['Accepted', ACC('e1'), ['ReceivedByPeer', 'Accepted(yes)']],
      ['Refused', REF('e1'), ['ReceivedByPeer', 'Refused(no)']],
      ['PEER_OFFLINE', FAIL('e1'), ['ReceivedByPeer', 'Failure(PEER_OFFLINE)']],
    ] as const)(
      'one frame holding the answer, ReceivedByPeer and %s: ReceivedByPeer first',
      async (_n, outcome, expected) => {
        const { log, reqId } = await sent();
        fake.raw(
          concatFrames([
            encodeResponse(reqId, 0, { id: 'e1' }),
            encodeEvent(InvitationOp.ReceivedByPeer, { id: 'e1' }),
            encodeEvent(outcome[0], outcome[1]),
          ]),
        );
        await until(() => log.length === 2);
        expect(log).toEqual(expected);
      },
    );

    it('canceled before the answer, with an Accepted before it: stays CANCELED, cancels by id, no confirmation', async () => {
      const { inv, log, reqId } = await sent();
      inv.cancel();
      fake.event(...RBP('e1'));
      fake.event(...ACC('e1'));
      fake.reply(reqId, 0, { id: 'e1' });
      await until(() => fake.requests(InvitationOp.Cancel).length === 1);
      expect(fake.requests(InvitationOp.Cancel)[0]!.body).toEqual({ id: 'e1', content: '' });
      await sleep(30);
      expect(log).toEqual(['Canceled']);
      expect(inv.state).toBe('CANCELED');
      expect(fake.requests(InvitationOp.AcceptAck)).toEqual([]);
    });

    it('two sends answered out of order each get their own events; events no send claims are dropped', async () => {
      const a = await sent(1);
      const b = await sent(2);
      fake.event(...RBP('b'));
      fake.event(...RBP('stray'));
      fake.event(...RBP('a'));
      fake.event(...ACC('b'));
      fake.reply(b.reqId, 0, { id: 'b' });
      await until(() => b.log.length === 2);
      expect(a.log).toEqual([]);
      fake.reply(a.reqId, 0, { id: 'a' });
      await until(() => a.log.length === 1);
      expect(a.log).toEqual(['ReceivedByPeer']);
      expect(b.log).toEqual(['ReceivedByPeer', 'Accepted(yes)']);
      // no send was left unanswered: the stray event was dropped, a later invitation with that id never sees it
      const later = await sent(3);
      fake.reply(later.reqId, 0, { id: 'stray' });
      fake.event(...REF('b')); // an ended invitation ignores late events
      await sleep(50);
      expect(later.log).toEqual([]);
      expect(later.inv.state).toBe('SENT_TO_REMOTE');
      expect(a.inv.state).toBe('RECEIVED_BY_REMOTE');
      expect(b.inv.state).toBe('ACCEPTED_BY_REMOTE');
    });

    it('a send the server refuses drops what was held for it', async () => {
      const { inv, log, reqId } = await sent();
      fake.event(...RBP('e1'));
      fake.reply(reqId, 1, null);
      await until(() => log.length === 1);
      expect(log).toEqual(['Failure(UNKNOWN)']);
      const next = await sent(2);
      fake.reply(next.reqId, 0, { id: 'e1' });
      await sleep(50);
      expect(next.log).toEqual([]);
      expect(inv.state).toBe('FAILURE');
    });
  });
});
