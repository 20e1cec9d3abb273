import { InvitationOp } from '@parley/protocol';
import { it } from 'vitest';
import AgoraRTM from '../src/index.js';
import { FakeServer } from './fake-server.js';
import { APP_ID, sleep } from './wait.js';
it('dbg', async () => {
  const fake = await FakeServer.start();
  const c = AgoraRTM.createInstance(APP_ID, { serverUrl: fake.url });
  await c.login({ uid: 'bob' });
  c.on('RemoteInvitationReceived', (r) => console.log('got', r.content));
  c.on('ConnectionStateChanged', (s, r) => console.log('state', s, r));
  fake.event(InvitationOp.Canceled, { id: 'nope', content: '' });
  fake.event(InvitationOp.Accepted, { id: 'nope', response: '' });
  fake.event(InvitationOp.Received, { id: 'i1', from: 'alice', content: 'c', channelId: '' });
  await sleep(300);
  console.log(fake.received.map(m => JSON.stringify([m.kind, (m as any).op])).join(' '));
  c.release(); await fake.close();
});
