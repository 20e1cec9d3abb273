import type { RtmMessage } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, collect, next, setup, until } from '../helpers.js';
import { agoraCall, agoraPaths, expectAgoraFailure, iso } from '../rest-client.js';
import { signalingClients } from '../signaling-client.js';

/**
 * Agora's RTM RESTful API on /dev/v2/project/{appId}/rtm (docs/rest-api.md), driven with fetch
 * against real servers, real SDK clients (RTM and Signaling) on the other side. Runs on one node
 * and, in the cluster project, on two nodes sharing Redis (clients spread over both, REST calls
 * to either).
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (m: RtmMessage) => (m as { text?: string }).text;

const call = agoraCall;
const expectFailure = expectAgoraFailure;
const { rtm, peer, chan } = agoraPaths;

describe('Agora REST API (development mode)', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let sig: ReturnType<typeof signalingClients>;
  /** REST calls go to the last node: in cluster mode, not the node of the first client */
  let base: string;
  beforeAll(async () => {
    t = await setup({ sessionGraceMs: 500 });
    sig = signalingClients(t.servers);
    base = t.servers[t.servers.length - 1]!.url;
  });
  afterAll(async () => {
    sig?.cleanup();
    await t?.cleanup();
  });

  const joined = (uid: string, ch: string) => t.joined(uid, ch);

  it('peer_messages: message_sent at once, message_delivered with wait_for_ack, delivered to the SDK', async () => {
    const bob = await t.login('ag-bob');
    const got = collect<[RtmMessage, string]>(bob, 'MessageFromPeer');
    const r = await call(base, 'POST', peer(APP_ID, 'ag-backend'), { destination: 'ag-bob', payload: 'one' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ result: 'success', request_id: expect.any(String), code: 'message_sent' });
    const acked = await call(base, 'POST', peer(APP_ID, 'ag-backend', '?wait_for_ack=true'), {
      destination: 'ag-bob',
      payload: 'two',
      enable_offline_messaging: false,
      enable_historical_messaging: false,
    });
    expect(acked.body).toEqual({
      result: 'success',
      request_id: expect.any(String),
      code: 'message_delivered',
    });
    await until(() => got.length === 2);
    expect(got.map(([m, from]) => [text(m), from])).toEqual([
      ['one', 'ag-backend'],
      ['two', 'ag-backend'],
    ]);
    const f = await call(base, 'POST', peer(APP_ID, 'ag-backend', '?wait_for_ack=false'), {
      destination: 'ag-bob',
      payload: 'three',
    });
    expect(f.body.code).toBe('message_sent');
  });

  it('peer_messages: message_offline when stored for an offline user, who gets it at login', async () => {
    const r = await call(base, 'POST', peer(APP_ID, 'ag-backend'), {
      destination: 'ag-later',
      payload: 'while you were away',
      enable_offline_messaging: true,
    });
    expect(r.body).toEqual({ result: 'success', request_id: expect.any(String), code: 'message_offline' });
    const lost = await call(base, 'POST', peer(APP_ID, 'ag-backend', '?wait_for_ack=true'), {
      destination: 'ag-nobody',
      payload: 'lost',
    });
    expect(lost.body.code).toBe('message_sent');
    const c = t.client();
    const got = next<[RtmMessage, string, { isOfflineMessage: boolean }]>(c, 'MessageFromPeer');
    await c.login({ uid: 'ag-later' });
    const [m, from, props] = await got;
    expect([text(m), from, props.isOfflineMessage]).toEqual(['while you were away', 'ag-backend', true]);
  });

  it('channel_messages: every member (RTM and Signaling) gets it, the sender need not be a member', async () => {
    const [, a] = await joined('ag-ch-a', 'ag-room');
    const [, b] = await joined('ag-ch-b', 'ag-room');
    const s = await sig.login('ag-sig');
    s.api.channelJoin('ag-room');
    await s.wait('onChannelJoined');
    const gotA = next<[RtmMessage, string]>(a, 'ChannelMessage');
    const gotB = next<[RtmMessage, string]>(b, 'ChannelMessage');
    const r = await call(base, 'POST', chan(APP_ID, 'ag-system'), {
      channel_name: 'ag-room',
      enable_historical_messaging: false,
      payload: 'to all',
    });
    expect(r.body).toEqual({ code: 'message_sent', request_id: expect.any(String), result: 'success' });
    for (const [m, from] of [await gotA, await gotB])
      expect([text(m), from]).toEqual(['to all', 'ag-system']);
    expect(await s.wait('onMessageChannelReceive')).toEqual(['ag-room', 'ag-system', 0, 'to all']);
  });

  it('a history handle made on one node is read on every node; an unknown one is 404 there too', async () => {
    const made = await call(t.server.url, 'POST', `${rtm(APP_ID)}/message/history/query`, {
      filter: { destination: 'nobody-room', start_time: iso(Date.now() - 60_000), end_time: iso(Date.now()) },
    });
    const handle = made.body.location.split('/query/')[1];
    for (const s of t.servers) {
      const r = await call(s.url, 'GET', `${rtm(APP_ID)}/message/history/query/${handle}`);
      expect(r.body).toEqual({ result: 'success', request_id: expect.any(String), code: 'ok', messages: [] });
      await expectFailure(
        call(s.url, 'GET', `${rtm(APP_ID)}/message/history/query/x${handle}`),
        404,
        'unknown_handle',
      );
    }
  });

  /** Reads `path` (destructive) until what was read, together, satisfies `done`; returns it all. */
  const readEvents = async (path: string, done: (all: Ev[]) => boolean): Promise<Ev[]> => {
    const all: Ev[] = [];
    for (let i = 0; i < 500 && !done(all); i++) {
      const r = await call(base, 'GET', path);
      expect(r.status).toBe(200);
      all.push(...r.body.events);
      if (!done(all)) await sleep(10);
    }
    return all;
  };

  it('user_events and channel_events: Login/Logout, Join/Leave in order, both spellings, destructive', async () => {
    const c = await t.login('ev-user');
    const ch = c.createChannel('ev-room');
    await ch.join();
    await ch.leave();
    await c.logout();
    const mine = (uid: string) => (all: Ev[]) => all.filter((e) => e.user_id === uid);
    for (const dir of ['vendor', 'hook']) {
      if (dir === 'hook') {
        // The same events on the older paths: a second round.
        const again = await t.login('ev-user');
        const ch2 = again.createChannel('ev-room');
        await ch2.join();
        await ch2.leave();
        await again.logout();
      }
      const users = await readEvents(
        `${rtm(APP_ID)}/${dir}/user_events`,
        (a) => mine('ev-user')(a).length >= 2,
      );
      expect(mine('ev-user')(users)).toEqual([
        { user_id: 'ev-user', type: 'Login', ms: expect.any(Number), ts: expect.any(Number) },
        { user_id: 'ev-user', type: 'Logout', ms: expect.any(Number), ts: expect.any(Number) },
      ]);
      for (const e of users) expect(e.ms).toBe(e.ts);
      const chans = await readEvents(
        `${rtm(APP_ID)}/${dir}/channel_events`,
        (a) => mine('ev-user')(a).length >= 2,
      );
      expect(mine('ev-user')(chans)).toEqual(
        ['Join', 'Leave'].map((type) => ({
          group_id: 'ev-room',
          channel_id: 'ev-room',
          user_id: 'ev-user',
          type,
          ms: expect.any(Number),
          ts: expect.any(Number),
        })),
      );
    }
    // Destructive: read once, gone (from every node).
    for (const s of t.servers) {
      const r = await call(s.url, 'GET', `${rtm(APP_ID)}/vendor/user_events`);
      expect(r.body.events.filter((e: Ev) => e.user_id === 'ev-user')).toEqual([]);
    }
  });

  it('events: at most 2,000 kept (the oldest dropped), at most 1,000 per read', async () => {
    // One embedded node of its own: its queue is written as the events happen, so the reads
    // below see every one of them.
    const one = await setup({ cluster: false, rateLimits: false });
    try {
      const app = 'evcap00000000000000000000000000a';
      const clients = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const c = one.client({}, app);
          await c.login({ uid: `cap-${i}` });
          return c;
        }),
      );
      // 10 members × 101 joins and leaves = 2,020 channel events.
      await Promise.all(
        clients.map(async (c) => {
          const ch = c.createChannel('cap-room');
          for (let k = 0; k < 101; k++) {
            await ch.join();
            await ch.leave();
          }
        }),
      );
      const path = `${rtm(app)}/vendor/channel_events`;
      const first = await call(one.server.url, 'GET', path);
      const second = await call(one.server.url, 'GET', path);
      const third = await call(one.server.url, 'GET', path);
      expect([first.body.events.length, second.body.events.length, third.body.events.length]).toEqual([
        1000, 1000, 0,
      ]);
      // Each member's last event is its last Leave; the oldest 20 events went.
      const all: Ev[] = [...first.body.events, ...second.body.events];
      for (let i = 0; i < 10; i++)
        expect(all.filter((e) => e.user_id === `cap-${i}`).at(-1)?.type).toBe('Leave');
    } finally {
      await one.cleanup();
    }
  });
});

type Ev = Record<string, unknown>;
