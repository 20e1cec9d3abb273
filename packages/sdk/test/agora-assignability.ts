/**
 * Libraries and app modules typed against agora-rtm-sdk 1.5.1 (wrappers, React hooks, helpers
 * taking an `RtmClient`) must accept Parley's objects. This file is such code. It is only
 * type-checked, by `npm run typecheck` (`tsc -p packages/sdk/test`, against the built typings an
 * app gets), and never run: agora-rtm-sdk is a devDependency for its `index.d.ts` alone, imported
 * here with `import type`, so its runtime is never loaded.
 */
import type * as Agora from 'agora-rtm-sdk';
import AgoraRTM from '@parley/sdk';

const APP_ID = '0123456789abcdef0123456789abcdef';

// A helper from a library written for agora-rtm-sdk.
function watchCalls(client: Agora.RtmClient, onCall: (inv: Agora.RemoteInvitation) => void): void {
  client.on('RemoteInvitationReceived', (inv) => {
    if (inv.state === AgoraRTM.RemoteInvitationState.INVITATION_RECEIVED) onCall(inv);
  });
  client.on('ConnectionStateChanged', (state: Agora.RtmStatusCode.ConnectionState, reason) => {
    console.log(state, reason);
  });
}

export function assignments(): void {
  const parley = AgoraRTM.createInstance(APP_ID, { serverUrl: 'ws://127.0.0.1:8080/rtm' });

  // The four assignments of the issue, as written by an app.
  const c: import('agora-rtm-sdk').RtmClient = AgoraRTM.createInstance(APP_ID);
  const ch: import('agora-rtm-sdk').RtmChannel = parley.createChannel('room');
  const li: import('agora-rtm-sdk').LocalInvitation = parley.createLocalInvitation('bob');
  parley.on('RemoteInvitationReceived', (inv) => {
    const ri: import('agora-rtm-sdk').RemoteInvitation = inv;
    ri.accept();
  });

  watchCalls(parley, (inv) => inv.refuse());
  // 1.4.x media messages narrow on messageType, and the client above is still Agora's RtmClient.
  parley.on('MessageFromPeer', (m) => {
    if (m.messageType === 'IMAGE') console.log(m.mediaId, m.width, m.thumbnail);
  });
  const states: Agora.RtmStatusCode.LocalInvitationState[] = [li.state];
  console.log(c, ch, states);

  // Not vacuous: what agora-rtm-sdk's types refuse is still refused.
  // @ts-expect-error: a channel is not a client
  const notClient: Agora.RtmClient = ch;
  // @ts-expect-error: a local invitation is not a remote one
  const notRemote: Agora.RemoteInvitation = li;
  console.log(notClient, notRemote);
}
