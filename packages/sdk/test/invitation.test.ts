import { InvitationOp } from '@parley/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import AgoraRTM, { type RemoteInvitation, type RtmClient } from '../src/index.js';
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
});
