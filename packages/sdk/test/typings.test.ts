/**
 * Code written against agora-rtm-sdk 1.5.x's `index.d.ts` must compile against @parley/sdk with
 * only the import changed. This file is such code: it is type-checked by
 * `tsc -p packages/sdk/test` (against the built `dist/index.d.ts`, what users get; run
 * `npm run build` first) and run by vitest (its runtime checks make it meaningful there too).
 * The type assertions (`expectTypeOf`) only bite under tsc.
 */
import AgoraRTM, {
  type LocalInvitation,
  type RemoteInvitation,
  type RtmChannel,
  type RtmClient,
  type RtmEvents,
  type RtmMessage,
  type RtmRawMessage,
  type RtmStatusCode,
  type RtmTextMessage,
} from '@parley/sdk';
import { describe, expect, expectTypeOf, it } from 'vitest';

const APP_ID = '0123456789abcdef0123456789abcdef';

// ---- the way apps are written against agora-rtm-sdk 1.5.x ----

function onStateChanged(
  newState: RtmStatusCode.ConnectionState,
  reason: RtmStatusCode.ConnectionChangeReason,
): void {
  if (
    newState === AgoraRTM.ConnectionState.ABORTED &&
    reason === AgoraRTM.ConnectionChangeReason.REMOTE_LOGIN
  ) {
    // kicked out by another login
  }
}

function describeMessage(message: RtmMessage): string {
  // fields of the union read without narrowing, as the d.ts allows
  const { text, rawMessage, description, messageType } = message;
  if (messageType === 'RAW' || rawMessage)
    return `${rawMessage?.byteLength ?? 0} bytes: ${description ?? ''}`;
  return text ?? '';
}

class ChatApp {
  client: RtmClient;
  channel: RtmChannel | null = null;
  invitation: LocalInvitation | null = null;
  incoming: RemoteInvitation | null = null;
  statuses: { [peerId: string]: RtmStatusCode.PeerOnlineState } = {};

  constructor() {
    this.client = AgoraRTM.createInstance(APP_ID, {
      enableLogUpload: false,
      logFilter: AgoraRTM.LOG_FILTER_WARNING,
    });
    this.client.on('ConnectionStateChanged', onStateChanged);
    this.client.on('MessageFromPeer', (message, peerId, messageProps) => {
      expectTypeOf(message).toEqualTypeOf<RtmMessage>();
      expectTypeOf(peerId).toEqualTypeOf<string>();
      expectTypeOf(messageProps.serverReceivedTs).toEqualTypeOf<number>();
      console.log(peerId, describeMessage(message));
    });
    this.client.on('PeersOnlineStatusChanged', (status) => {
      for (const [peer, state] of Object.entries(status)) this.statuses[peer] = state;
    });
    this.client.on('RemoteInvitationReceived', (inv) => {
      this.incoming = inv;
      inv.on('RemoteInvitationCanceled', (content) => expectTypeOf(content).toEqualTypeOf<string>());
      inv.on('RemoteInvitationFailure', (reason) =>
        expectTypeOf(reason).toEqualTypeOf<RtmStatusCode.RemoteInvitationFailureReason>(),
      );
      inv.response = 'ok';
      console.log(inv.callerId, inv.channelId, inv.content, inv.state);
    });
    this.client.on('TokenExpired', () => undefined);
    this.client.on('TokenPrivilegeWillExpire', async () => {
      await this.client.renewToken('new-token');
    });
  }

  async start(uid: string, token?: string): Promise<void> {
    await this.client.login({ uid, token });
    await this.client.login({ uid });
    const r = await this.client.sendMessageToPeer({ text: 'hello' }, 'bob');
    expectTypeOf(r.hasPeerReceived).toEqualTypeOf<boolean>();
    const raw: RtmRawMessage = { rawMessage: new Uint8Array([1, 2]), description: 'bin', messageType: 'RAW' };
    await this.client.sendMessageToPeer(raw, 'bob');
    const text: RtmTextMessage = this.client.createMessage<RtmTextMessage>({
      text: 'typed',
      messageType: 'TEXT',
    });
    await this.client.sendMessageToPeer(text, 'bob');
    // 1.4.x offline option still compiles
    await this.client.sendMessageToPeer({ text: 'later' }, 'bob', { enableOfflineMessaging: true });

    const online = await this.client.queryPeersOnlineStatus(['bob']);
    expectTypeOf(online).toEqualTypeOf<{ [peerId: string]: boolean }>();
    await this.client.subscribePeersOnlineStatus(['bob']);
    const subscribed: string[] = await this.client.queryPeersBySubscriptionOption(
      AgoraRTM.PeerSubscriptionOption.ONLINE_STATUS,
    );
    console.log(subscribed);
    await this.client.unsubscribePeersOnlineStatus(['bob']);

    await this.client.setLocalUserAttributes({ mood: 'happy' });
    await this.client.addOrUpdateLocalUserAttributes({ mood: 'busy' });
    await this.client.deleteLocalUserAttributesByKeys(['mood']);
    await this.client.clearLocalUserAttributes();
    const attrs: { [key: string]: string } = await this.client.getUserAttributes('bob');
    const some = await this.client.getUserAttributesByKeys('bob', ['mood']);
    console.log(attrs, some);

    await this.client.setChannelAttributes(
      'room',
      { topic: 'x' },
      { enableNotificationToChannelMembers: true },
    );
    await this.client.addOrUpdateChannelAttributes('room', { topic: 'y' });
    await this.client.deleteChannelAttributesByKeys('room', ['topic']);
    await this.client.clearChannelAttributes('room');
    const cattrs = await this.client.getChannelAttributes('room');
    for (const k of Object.keys(cattrs)) {
      const { value, lastUpdateUserId, lastUpdateTs } = cattrs[k]!;
      expectTypeOf(lastUpdateTs).toEqualTypeOf<number>();
      console.log(value, lastUpdateUserId);
    }
    await this.client.getChannelAttributesByKeys('room', ['topic']);
    const counts = await this.client.getChannelMemberCount(['room']);
    expectTypeOf(counts).toEqualTypeOf<{ [channelId: string]: number }>();

    const channel = this.client.createChannel('room');
    this.channel = channel;
    channel.on('ChannelMessage', ({ text }, memberId, props) =>
      console.log(text, memberId, props.serverReceivedTs),
    );
    channel.on('MemberJoined', (memberId) => expectTypeOf(memberId).toEqualTypeOf<string>());
    channel.on('MemberLeft', (memberId) => console.log(memberId));
    channel.on('MemberCountUpdated', (n) => expectTypeOf(n).toEqualTypeOf<number>());
    channel.on('AttributesUpdated', (attributes) => console.log(attributes.topic?.value));
    await channel.join();
    await channel.sendMessage({ text: 'hi all' });
    const members: string[] = await channel.getMembers();
    console.log(channel.channelId, members);
    await channel.leave();
    channel.removeAllListeners();

    const inv = this.client.createLocalInvitation('bob');
    this.invitation = inv;
    inv.content = 'call me';
    inv.channelId = 'room';
    inv.on('LocalInvitationAccepted', (response) => expectTypeOf(response).toEqualTypeOf<string>());
    inv.on('LocalInvitationRefused', (response) => console.log(response));
    inv.on('LocalInvitationReceivedByPeer', () => undefined);
    inv.on('LocalInvitationCanceled', () => undefined);
    inv.on('LocalInvitationFailure', (reason) =>
      expectTypeOf(reason).toEqualTypeOf<RtmStatusCode.LocalInvitationFailureReason>(),
    );
    inv.send();
    inv.cancel();
    console.log(inv.calleeId, inv.response, inv.state);

    this.client.updateConfig({ logFilter: AgoraRTM.LOG_FILTER_ERROR });
    this.client.setParameters({ enableCloudProxy: false });
    await this.client.logout();
  }

  stop(): void {
    this.client.off('ConnectionStateChanged', onStateChanged);
    this.client.removeAllListeners('MessageFromPeer');
    this.client.removeAllListeners();
  }
}

// ---- assertions on the declared shapes ----

describe('typings compatible with agora-rtm-sdk 1.5.x', () => {
  it('event maps: names and payload types', () => {
    expectTypeOf<RtmEvents.RtmClientEvents['ConnectionStateChanged']>().parameters.toEqualTypeOf<
      [newState: RtmStatusCode.ConnectionState, reason: RtmStatusCode.ConnectionChangeReason]
    >();
    expectTypeOf<RtmEvents.RtmClientEvents['MessageFromPeer']>().parameter(0).toEqualTypeOf<RtmMessage>();
    expectTypeOf<RtmEvents.RtmClientEvents['MessageFromPeer']>().parameter(1).toEqualTypeOf<string>();
    expectTypeOf<RtmEvents.RtmClientEvents['MessageFromPeer']>()
      .parameter(2)
      .toMatchTypeOf<{ serverReceivedTs: number }>();
    expectTypeOf<RtmEvents.RtmClientEvents['RemoteInvitationReceived']>()
      .parameter(0)
      .toEqualTypeOf<RemoteInvitation>();
    expectTypeOf<RtmEvents.RtmClientEvents['PeersOnlineStatusChanged']>()
      .parameter(0)
      .toEqualTypeOf<{ [peerId: string]: RtmStatusCode.PeerOnlineState }>();
    expectTypeOf<RtmEvents.RtmClientEvents['TokenExpired']>().parameters.toEqualTypeOf<[]>();
    expectTypeOf<RtmEvents.RtmClientEvents['TokenPrivilegeWillExpire']>().parameters.toEqualTypeOf<[]>();
    expectTypeOf<RtmEvents.RtmClientEvents['FallbackProxyConnected']>().parameters.toEqualTypeOf<[]>();
    expectTypeOf<RtmEvents.RtmChannelEvents['ChannelMessage']>().parameter(1).toEqualTypeOf<string>();
    expectTypeOf<RtmEvents.RtmChannelEvents['MemberCountUpdated']>().parameters.toEqualTypeOf<
      [memberCount: number]
    >();
    expectTypeOf<RtmEvents.LocalInvitationEvents['LocalInvitationAccepted']>().parameters.toEqualTypeOf<
      [response: string]
    >();
    expectTypeOf<RtmEvents.RemoteInvitationEvents['RemoteInvitationCanceled']>().parameters.toEqualTypeOf<
      [content: string]
    >();
    expectTypeOf<keyof RtmEvents.RtmClientEvents>().toEqualTypeOf<
      | 'ConnectionStateChanged'
      | 'MessageFromPeer'
      | 'RemoteInvitationReceived'
      | 'PeersOnlineStatusChanged'
      | 'TokenExpired'
      | 'TokenPrivilegeWillExpire'
      | 'FallbackProxyConnected'
    >();
    expectTypeOf<keyof RtmEvents.RtmChannelEvents>().toEqualTypeOf<
      'ChannelMessage' | 'MemberJoined' | 'MemberLeft' | 'AttributesUpdated' | 'MemberCountUpdated'
    >();
  });

  it('status enums: string values equal to their keys', () => {
    // TypeScript string enums, as agora-rtm-sdk declares them, with the same values
    expectTypeOf<`${RtmStatusCode.ConnectionState}`>().toEqualTypeOf<
      'DISCONNECTED' | 'CONNECTING' | 'CONNECTED' | 'RECONNECTING' | 'ABORTED'
    >();
    const connected: RtmStatusCode.ConnectionState.CONNECTED = AgoraRTM.ConnectionState.CONNECTED;
    const idle: RtmStatusCode.LocalInvitationState.IDLE = AgoraRTM.LocalInvitationState.IDLE;
    expect([connected, idle]).toEqual(['CONNECTED', 'IDLE']);
    expectTypeOf(
      AgoraRTM.ConnectionChangeReason.TOKEN_EXPIRED,
    ).toMatchTypeOf<RtmStatusCode.ConnectionChangeReason>();
    expectTypeOf(AgoraRTM.MessageType.RAW).toMatchTypeOf<RtmStatusCode.MessageType>();
    const enums = {
      ConnectionState: ['DISCONNECTED', 'CONNECTING', 'CONNECTED', 'RECONNECTING', 'ABORTED'],
      ConnectionChangeReason: [
        'LOGIN',
        'LOGIN_SUCCESS',
        'LOGIN_FAILURE',
        'LOGIN_TIMEOUT',
        'INTERRUPTED',
        'LOGOUT',
        'BANNED_BY_SERVER',
        'REMOTE_LOGIN',
        'TOKEN_EXPIRED',
      ],
      PeerOnlineState: ['ONLINE', 'UNREACHABLE', 'OFFLINE'],
      PeerSubscriptionOption: ['ONLINE_STATUS'],
      // IMAGE and FILE: 1.4.x media messages (docs/media.md), which 1.5 removed
      MessageType: ['TEXT', 'RAW', 'IMAGE', 'FILE'],
      LocalInvitationState: [
        'IDLE',
        'SENT_TO_REMOTE',
        'RECEIVED_BY_REMOTE',
        'ACCEPTED_BY_REMOTE',
        'REFUSED_BY_REMOTE',
        'CANCELED',
        'FAILURE',
      ],
      RemoteInvitationState: [
        'INVITATION_RECEIVED',
        'ACCEPT_SENT_TO_LOCAL',
        'REFUSED',
        'ACCEPTED',
        'CANCELED',
        'FAILURE',
      ],
      LocalInvitationFailureReason: [
        'UNKNOWN',
        'PEER_NO_RESPONSE',
        'INVITATION_EXPIRE',
        'PEER_OFFLINE',
        'NOT_LOGGEDIN',
      ],
      RemoteInvitationFailureReason: ['UNKNOWN', 'PEER_OFFLINE', 'ACCEPT_FAILURE', 'INVITATION_EXPIRE'],
    } as const;
    for (const [name, keys] of Object.entries(enums)) {
      const e = (AgoraRTM as unknown as Record<string, Record<string, string>>)[name]!;
      expect(Object.keys(e), name).toEqual(keys);
      for (const k of keys) expect(e[k]).toBe(k);
    }
  });

  it('the AgoraRTM namespace: createInstance, VERSION, LOG_FILTER_*, error classes', () => {
    expectTypeOf(AgoraRTM.createInstance).toBeCallableWith(APP_ID);
    expectTypeOf(AgoraRTM.createInstance).toBeCallableWith(APP_ID, {
      enableLogUpload: false,
      logFilter: AgoraRTM.LOG_FILTER_INFO,
      enableCloudProxy: false,
    });
    expectTypeOf(AgoraRTM.createInstance).returns.toEqualTypeOf<RtmClient>();
    expectTypeOf(AgoraRTM.VERSION).toEqualTypeOf<string>();
    expectTypeOf(AgoraRTM.BUILD).toEqualTypeOf<string>();
    expectTypeOf(AgoraRTM.END_CALL_PREFIX).toEqualTypeOf<string>();
    expectTypeOf(AgoraRTM.LOG_FILTER_OFF).toEqualTypeOf<{
      error: boolean;
      warn: boolean;
      info: boolean;
      track: boolean;
      debug: boolean;
    }>();
    expect(AgoraRTM.VERSION).toMatch(/^1\.5\./);
    expect(AgoraRTM.END_CALL_PREFIX).toBe('AgoraRTMLegacyEndcallCompatibleMessagePrefix');
    expect(AgoraRTM.LOG_FILTER_OFF).toEqual({
      error: false,
      warn: false,
      info: false,
      track: false,
      debug: false,
    });
    expect(AgoraRTM.LOG_FILTER_INFO).toEqual({
      error: true,
      warn: true,
      info: true,
      track: true,
      debug: false,
    });
    for (const name of [
      'RtmInvalidArgumentError',
      'RtmInvalidStatusError',
      'RtmLimitExceededError',
      'RtmInvokeTooOftenError',
      'RtmTimeoutError',
      'RtmUnauthenticatedError',
      'RtmUnavailableError',
      'RtmUnknownError',
      'RtmInternalError',
    ] as const) {
      const E = AgoraRTM[name];
      const e = new E(102, 'The client is not logged in.');
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe(name);
      expect(e.code).toBe(102);
      expect(e.message).toBe(' Error Code 102 - The client is not logged in.');
      expectTypeOf(e.code).toEqualTypeOf<number>();
    }
    try {
      AgoraRTM.createInstance('bad');
      expect.unreachable();
    } catch (err) {
      if (!(err instanceof AgoraRTM.RtmInvalidArgumentError)) throw err;
      expectTypeOf(err.code).toEqualTypeOf<number>();
      expect(err.code).toBe(1);
    }
  });

  it('the client: EventEmitter surface and methods', () => {
    const app = new ChatApp();
    const c = app.client;
    // biome-ignore lint/complexity/noBannedTypes: the agora d.ts declares listeners(): Function[]
    expectTypeOf(c.listeners('MessageFromPeer')).toMatchTypeOf<Function[]>();
    // biome-ignore lint/complexity/noBannedTypes: the agora d.ts declares listeners(): Function[]
    expectTypeOf(c.rawListeners('MessageFromPeer')).toMatchTypeOf<Function[]>();
    expectTypeOf(c.listenerCount('MessageFromPeer')).toEqualTypeOf<number>();
    expectTypeOf(c.once('TokenExpired', () => undefined)).toEqualTypeOf<RtmClient>();
    expectTypeOf(c.login).parameter(0).toEqualTypeOf<{ uid: string; token?: string }>();
    expectTypeOf(c.logout).returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf(c.sendMessageToPeer).returns.resolves.toEqualTypeOf<{ hasPeerReceived: boolean }>();
    expect(c.listenerCount('ConnectionStateChanged')).toBe(1);
    expect(c.listeners('ConnectionStateChanged')).toEqual([onStateChanged]);
    expect(c.listenerCount('MessageFromPeer')).toBe(1);
    app.stop();
    expect(c.listenerCount('ConnectionStateChanged')).toBe(0);
    expect(c.listenerCount('MessageFromPeer')).toBe(0);
    // the rest of ChatApp needs a server: it is here to be compiled
    expect(typeof app.start).toBe('function');
    expect(describeMessage({ text: 'x' })).toBe('x');
    expect(describeMessage({ rawMessage: new Uint8Array(2), description: 'd' })).toBe('2 bytes: d');
    c.release();
  });

  it('wrong code does not compile', () => {
    const c = AgoraRTM.createInstance(APP_ID);
    // @ts-expect-error: no such event
    c.on('NoSuchEvent', () => undefined);
    // @ts-expect-error: the payload of ConnectionStateChanged is not a number
    c.on('ConnectionStateChanged', (s: number) => s);
    // @ts-expect-error: login takes an options object
    void c.login('alice').catch(() => undefined);
    // @ts-expect-error: a message needs text or rawMessage
    void c.sendMessageToPeer({ description: 'x' }, 'bob').catch(() => undefined);
    // @ts-expect-error: not an enum member
    const s: RtmStatusCode.ConnectionState = 'OPEN';
    expect(s).toBe('OPEN');
    c.release();
  });
});
