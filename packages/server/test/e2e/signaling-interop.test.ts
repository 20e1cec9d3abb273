import AgoraRTM, { type RemoteInvitation, type RtmChannel, type RtmMessage } from '@parley/sdk';
import { SignalingCode as C } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeOptions } from '../cluster/nodes.js';
import { collect, next, setup, until } from '../helpers.js';
import { signalingClients } from '../signaling-client.js';
import { startTcpProxy } from '../tcp-proxy.js';

/**
 * Interoperability of Signaling (@parley/signaling) and RTM (@parley/sdk) clients of one app, for
 * each capability: on one server, on two nodes sharing memory adapters, and on two nodes sharing
 * Redis (cluster mode; skipped loudly without Redis). The first RTM client and the first Signaling
 * client of a setup are on different nodes, so in the multi-node modes every pair crosses nodes.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (m: RtmMessage) => (m as { text?: string }).text;

const MODES: [string, NodeOptions][] = [
  ['one server', {}],
  ['two nodes (memory)', { nodes: 2 }],
  ['two nodes (Redis cluster)', { cluster: 2 }],
];

describe.each(MODES)('Signaling ↔ RTM interop: %s', (_mode, nodes) => {
  let t: Awaited<ReturnType<typeof setup>>;
  let sig: ReturnType<typeof signalingClients>;
  let n = 0;
  /** a fresh RTM client and a fresh Signaling client, logged in, with unique names */
  const pair = async () => {
    const id = `${++n}`;
    const rtm = await t.login(`rtm-${id}`);
    const s = await sig.login(`sig-${id}`);
    return { rtm, s, rid: `rtm-${id}`, sid: `sig-${id}`, ch: `room-${id}` };
  };

  beforeAll(async () => {
    t = await setup({ ...nodes, invitationAckTimeoutMs: 3000, invitationExpireMs: 10_000 });
    sig = signalingClients(t.servers);
  });
  afterAll(async () => {
    sig?.cleanup();
    await t?.cleanup();
  });

  it('peer messages both ways (the RTM sender sees hasPeerReceived: true)', async () => {
    const { rtm, s, rid, sid } = await pair();
    const got = next<[RtmMessage, string]>(rtm, 'MessageFromPeer');
    s.api.messageInstantSend(rid, 0, 'from signaling', 'm1');
    expect(await s.wait('onMessageSendSuccess')).toEqual(['m1']);
    const [msg, from] = await got;
    expect([text(msg), from]).toEqual(['from signaling', sid]);
    const r = await rtm.sendMessageToPeer({ text: 'from rtm' }, sid);
    expect(r.hasPeerReceived).toBe(true);
    expect(await s.wait('onMessageInstantReceive')).toEqual([rid, 0, 'from rtm']);
  });

  it('image and file messages: a Signaling receiver is shown nothing (docs/media.md), text after them arrives', async () => {
    const { rtm, s, sid, rid, ch } = await pair();
    // A rebuilt message (createMessage) needs no upload, so this runs in every mode.
    const image = rtm.createMessage({
      mediaId: 'AAAAAAAAAAAAAAAAAAAAAA',
      messageType: 'IMAGE',
      fileName: 'a.png',
    });
    expect((await rtm.sendMessageToPeer(image, sid)).hasPeerReceived).toBe(true);
    await rtm.sendMessageToPeer({ text: 'after the image' }, sid);
    expect(await s.wait('onMessageInstantReceive')).toEqual([rid, 0, 'after the image']);
    expect(s.calls('onMessageInstantReceive')).toHaveLength(1);

    const channel: RtmChannel = rtm.createChannel(ch);
    await channel.join();
    s.api.channelJoin(ch);
    await s.wait('onChannelJoined');
    await channel.sendMessage(rtm.createMessage({ mediaId: 'BBBBBBBBBBBBBBBBBBBBBB', messageType: 'FILE' }));
    await channel.sendMessage({ text: 'after the file' });
    await s.wait('onMessageChannelReceive');
    expect(s.calls('onMessageChannelReceive')).toEqual([[ch, rid, 0, 'after the file']]);
  });

  it('online status and user attributes are shared', async () => {
    const { rtm, s, rid, sid } = await pair();
    expect(await rtm.queryPeersOnlineStatus([sid])).toEqual({ [sid]: true });
    s.api.queryUserStatus(rid);
    expect(await s.wait('onQueryUserStatusResult')).toEqual([rid, '1']);
    await rtm.addOrUpdateLocalUserAttributes({ role: 'host' });
    s.api.getUserAttr(rid, 'role');
    expect(await s.wait('onUserAttrResult')).toEqual([rid, 'role', 'host']);
    s.api.getUserAttrAll(rid);
    const [, json] = await s.wait('onUserAttrAllResult');
    expect(JSON.parse(json as string)).toEqual({ role: 'host' });
    s.api.setAttr('mood', 'happy');
    s.api.getAttr('mood'); // runs after the set: the set has no callback to wait for
    await s.wait('onUserAttrResult', (_a, k) => k === 'mood');
    expect(await rtm.getUserAttributes(sid)).toEqual({ mood: 'happy' });
  });

  it('channels: member events, the user list, messages both ways; only Signaling gets its echo', async () => {
    const { rtm, s, rid, sid, ch } = await pair();
    const channel: RtmChannel = rtm.createChannel(ch);
    await channel.join();
    const rtmJoined = next<[string]>(channel, 'MemberJoined');
    s.api.channelJoin(ch);
    const [accounts] = await s.wait('onChannelUserList');
    expect([...(accounts as string[])].sort()).toEqual([rid, sid].sort());
    expect(await rtmJoined).toEqual([sid]);
    const rtmGot = collect<[RtmMessage, string]>(channel, 'ChannelMessage');
    s.api.messageChannelSend(ch, 'hello from signaling', 's1');
    await s.wait('onMessageSendSuccess', (id) => id === 's1');
    await channel.sendMessage({ text: 'hello from rtm' });
    await s.wait('onMessageChannelReceive', (_c, a) => a === rid);
    await until(() => rtmGot.length >= 1);
    await sleep(150); // nothing more arrives: RTM never gets its own message back
    expect(rtmGot.map(([m, from]) => [text(m), from])).toEqual([['hello from signaling', sid]]);
    expect(s.calls('onMessageChannelReceive')).toEqual([
      [ch, sid, 0, 'hello from signaling'],
      [ch, rid, 0, 'hello from rtm'],
    ]);
    // messageChannelSendForce from outside reaches the RTM member
    const outsider = await sig.login(`out-${n}`);
    const forced = next<[RtmMessage, string]>(channel, 'ChannelMessage');
    outsider.api.messageChannelSendForce(ch, 'forced', 'f1');
    const [fm, ffrom] = await forced;
    expect([text(fm), ffrom]).toEqual(['forced', `out-${n}`]);
    // leaving: each side sees the other go
    const rtmLeft = next<[string]>(channel, 'MemberLeft');
    s.api.channelLeave(ch);
    expect(await rtmLeft).toEqual([sid]);
    s.api.channelJoin(ch);
    await s.waitCount('onChannelJoined', 2);
    await channel.leave();
    expect(await s.wait('onChannelUserLeaved')).toEqual([rid, 0]);
    expect(s.calls('onChannelUserJoined')).toHaveLength(0); // the RTM member was there before
  });

  it('channel attributes set by either side notify both', async () => {
    const { rtm, s, sid, ch } = await pair();
    const channel = rtm.createChannel(ch);
    await channel.join();
    s.api.channelJoin(ch);
    await s.wait('onChannelJoined');
    // Signaling writes: RTM members get AttributesUpdated with the full set
    const full = collect<[Record<string, { value: string; lastUpdateUserId: string }>]>(
      channel,
      'AttributesUpdated',
    );
    s.api.channelSetAttr(ch, 'topic', 'cats');
    await until(() => full.length === 1);
    expect(full[0]![0].topic).toMatchObject({ value: 'cats', lastUpdateUserId: sid });
    s.api.channelDelAttr(ch, 'topic');
    await until(() => full.length === 2);
    expect(full[1]![0]).toEqual({});
    // RTM writes (with notification): Signaling members get typed changes
    const notify = { enableNotificationToChannelMembers: true };
    await rtm.addOrUpdateChannelAttributes(ch, { a: '1', b: '2' }, notify);
    await rtm.addOrUpdateChannelAttributes(ch, { a: '3' }, notify);
    await rtm.deleteChannelAttributesByKeys(ch, ['b'], notify);
    await rtm.clearChannelAttributes(ch, notify);
    const all = await s.waitCount('onChannelAttrUpdated', 7);
    // a and b arrive in one set: in the order the store keeps them
    expect([...all.slice(0, 2), ...all.slice(2, 4).sort(), ...all.slice(4)]).toEqual([
      [ch, 'topic', 'cats', 'update'],
      [ch, 'topic', '', 'del'],
      [ch, 'a', '1', 'update'],
      [ch, 'b', '2', 'update'],
      [ch, 'a', '3', 'update'],
      [ch, 'b', '', 'del'],
      [ch, 'a', '', 'del'], // the last key going: a 'del' (more than one at once would be a 'clear')
    ]);
    // without the notification flag RTM tells nobody, as in RTM
    await rtm.addOrUpdateChannelAttributes(ch, { quiet: 'yes' });
    s.api.channelSetAttr(ch, 'loud', 'yes');
    await s.wait('onChannelAttrUpdated', (_c, k) => k === 'loud');
    // RTM reads what Signaling wrote
    expect((await rtm.getChannelAttributes(ch)).loud?.value).toBe('yes');
  });

  it('invitations RTM → Signaling: channelId and content arrive; accept / refuse with extra; cancel', async () => {
    const { rtm, s, rid, sid, ch } = await pair();
    const inv = rtm.createLocalInvitation(sid);
    inv.channelId = ch;
    inv.content = '{"kind":"audio"}';
    const byPeer = next(inv, 'LocalInvitationReceivedByPeer');
    const accepted = next<[string]>(inv, 'LocalInvitationAccepted');
    inv.send();
    expect(await s.wait('onInviteReceived')).toEqual([ch, rid, 0, '{"kind":"audio"}']);
    await byPeer;
    s.api.channelInviteAccept(ch, rid, 0, '{"ok":true}');
    expect(await accepted).toEqual(['{"ok":true}']);

    const inv2 = rtm.createLocalInvitation(sid);
    inv2.channelId = `${ch}-2`;
    const refused = next<[string]>(inv2, 'LocalInvitationRefused');
    inv2.send();
    await s.wait('onInviteReceived', (c) => c === `${ch}-2`);
    s.api.channelInviteRefuse(`${ch}-2`, rid, 0, '{"status":1}');
    expect(await refused).toEqual(['{"status":1}']);

    const inv3 = rtm.createLocalInvitation(sid);
    inv3.channelId = `${ch}-3`;
    inv3.content = 'calling';
    inv3.send();
    await s.wait('onInviteReceived', (c) => c === `${ch}-3`);
    await until(() => inv3.state === 'RECEIVED_BY_REMOTE');
    inv3.cancel();
    expect(await s.wait('onInviteEndByPeer')).toEqual([`${ch}-3`, rid, 0, 'calling']);

    // the Signaling callee ends it before answering: the RTM caller sees a refusal with its extra
    const inv4 = rtm.createLocalInvitation(sid);
    inv4.channelId = `${ch}-4`;
    const ended = next<[string]>(inv4, 'LocalInvitationRefused');
    inv4.send();
    await s.wait('onInviteReceived', (c) => c === `${ch}-4`);
    s.api.channelInviteEnd(`${ch}-4`, rid, 0, 'busy');
    expect(await ended).toEqual(['busy']);
  });

  it('invitations Signaling → RTM: RemoteInvitation with channelId and content; answers and failures map back', async () => {
    const { rtm, s, rid, sid, ch } = await pair();
    const received: RemoteInvitation[] = [];
    rtm.on('RemoteInvitationReceived', (ri) => received.push(ri));
    s.api.channelInviteUser2(ch, rid, '{"kind":"video"}');
    await until(() => received.length === 1);
    const ri = received[0]!;
    expect([ri.callerId, ri.channelId, ri.content]).toEqual([sid, ch, '{"kind":"video"}']);
    expect(await s.wait('onInviteReceivedByPeer')).toEqual([ch, rid, 0]);
    const confirmed = next(ri, 'RemoteInvitationAccepted');
    ri.response = 'coming';
    ri.accept();
    expect(await s.wait('onInviteAcceptedByPeer')).toEqual([ch, rid, 0, 'coming']);
    await confirmed; // the Signaling caller confirmed the accept

    s.api.channelInviteUser2(`${ch}-r`, rid, '');
    await until(() => received.length === 2);
    received[1]!.response = 'no';
    received[1]!.refuse();
    expect(await s.wait('onInviteRefusedByPeer')).toEqual([`${ch}-r`, rid, 0, 'no']);

    s.api.channelInviteUser2(`${ch}-c`, rid, '');
    await until(() => received.length === 3);
    const canceled = next<[string]>(received[2]!, 'RemoteInvitationCanceled');
    await s.wait('onInviteReceivedByPeer', (c) => c === `${ch}-c`);
    s.api.channelInviteEnd(`${ch}-c`, rid, 0);
    await canceled;
    expect(s.calls('onInviteEndByMyself')).toEqual([[`${ch}-c`, rid, 0]]);

    // _require_peer_online with an RTM user who is not logged in
    s.api.channelInviteUser2(`${ch}-o`, 'rtm-nobody', '{"_require_peer_online":1}');
    const [, , , ecode] = await s.wait('onInviteFailed');
    expect(ecode).toBe(C.INVITE_E_PEEROFFLINE);
  });

  it('a Signaling caller that reads the invite’s answer, the receipt and the accept at once: ReceivedByPeer, then AcceptedByPeer', async () => {
    const id = `${++n}`;
    const [rid, sid, ch] = [`rtm-${id}`, `sig-${id}`, `room-${id}`];
    const rtm = await t.login(rid);
    // what the server sends the caller is held back, then read in one go
    const proxy = await startTcpProxy(t.servers.at(-1)!.port);
    try {
      const s = sig.create({ serverUrl: proxy.url });
      await s.login(sid);
      const session = t.sessionOf(sid)!;
      const base = session.outbox.sent;
      proxy.stall('down');
      const received: RemoteInvitation[] = [];
      rtm.on('RemoteInvitationReceived', (ri) => received.push(ri));
      s.api.channelInviteUser2(ch, rid, '');
      await until(() => received.length === 1);
      const confirmed = next(received[0]!, 'RemoteInvitationAccepted');
      received[0]!.accept();
      await until(() => session.outbox.sent >= base + 3); // the answer, ReceivedByPeer, Accepted
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      proxy.resume();
      await s.wait('onInviteAcceptedByPeer');
      const calls = s.log.filter(([name]) => name.startsWith('onInvite')).map(([name]) => name);
      expect(calls).toEqual(['onInviteReceivedByPeer', 'onInviteAcceptedByPeer']);
      await confirmed; // the Signaling caller confirmed the accept
    } finally {
      await proxy.close();
    }
  });

  it('ending an established call: RTM’s END_CALL_PREFIX message ↔ Signaling channelInviteEnd', async () => {
    const { rtm, s, rid, sid, ch } = await pair();
    rtm.on('RemoteInvitationReceived', (ri) => ri.accept());
    s.api.channelInviteUser2(ch, rid, '');
    await s.wait('onInviteAcceptedByPeer');
    // RTM hangs up the way Agora's RTM SDK does: a text message with the prefix
    await rtm.sendMessageToPeer({ text: `${AgoraRTM.END_CALL_PREFIX}_${ch}_bye` }, sid);
    expect(await s.wait('onInviteEndByPeer')).toEqual([ch, rid, 0, 'bye']);
    expect(s.calls('onMessageInstantReceive')).toHaveLength(0);
    // Signaling hangs up: the RTM user gets that same message
    s.api.channelInviteUser2(`${ch}_2`, rid, '');
    await s.wait('onInviteAcceptedByPeer', (c) => c === `${ch}_2`);
    const msg = next<[RtmMessage, string]>(rtm, 'MessageFromPeer');
    s.api.channelInviteEnd(`${ch}_2`, rid, 0);
    const [m, from] = await msg;
    expect([text(m), from]).toEqual([`${AgoraRTM.END_CALL_PREFIX}_${ch}_2_`, sid]);
  });
});
