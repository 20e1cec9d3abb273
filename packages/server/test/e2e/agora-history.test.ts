import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRtmToken007 } from '@parley/token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config.js';
import type { NodeOptions } from '../cluster/nodes.js';
import { freshPostgresSchema, postgresTestsRun, type TestSchema } from '../cluster/postgres.js';
import { setup } from '../helpers.js';
import { agoraCall, iso } from '../rest-client.js';
import { spawnServer } from '../server-process.js';

/**
 * Agora's message history over its REST API (/dev/v2/project/{appId}/rtm/message/history/...),
 * with messages sent by real SDK clients (`enableHistoricalMessaging`) and by the REST sends
 * (`enable_historical_messaging`). Runs on one node and, in the cluster project, on two nodes
 * sharing Redis (clients spread over both; queries to the other node).
 */

const call = agoraCall;

const APP = 'h1st0ry0h1st0ry0h1st0ry0h1st0ry0';
const CERT = 'fedcba9876543210fedcba9876543210';
const rtm = `/dev/v2/project/${APP}/rtm`;
const CUSTOMER = { authorization: `Basic ${Buffer.from('cust:secret').toString('base64')}` };
const tokenOf = (uid: string) => buildRtmToken007(APP, CERT, uid, 3600);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The suite on the nodes `nodes()` gives: one node (or two on Redis in the cluster project), and
 * two nodes on Redis with the history in PostgreSQL (`--postgres`).
 */
function historySuite(
  name: string,
  nodes: () => Promise<Partial<ServerConfig> & NodeOptions>,
  done = async () => {},
) {
  describe(name, () => {
    let t: Awaited<ReturnType<typeof setup>>;
    /** queries go to the last node: in cluster mode, not where the first client sent from */
    let base: string;
    beforeAll(async () => {
      t = await setup({
        apps: [{ appId: APP, appCertificate: CERT }],
        customers: [{ id: 'cust', secret: 'secret' }],
        ...(await nodes()),
      });
      base = t.servers[t.servers.length - 1]!.url;
    });
    afterAll(async () => {
      await t?.cleanup();
      await done();
    });

    const login = async (uid: string) => {
      const c = t.client({}, APP);
      await c.login({ uid, token: tokenOf(uid) });
      return c;
    };

    /** What an Agora history client does: create the query, then poll its handle until "ok". */
    const agoraClientQuery = async (uid: string, filter: Record<string, string>) => {
      const headers = { 'x-agora-token': tokenOf(uid), 'x-agora-uid': uid };
      const created = await call(
        base,
        'POST',
        `${rtm}/message/history/query`,
        { filter, offset: 0, limit: 100, order: 'desc' },
        headers,
      );
      expect(created.status).toBe(200);
      const location: string = created.body.location;
      const handle = location.slice(location.indexOf('/query/') + '/query/'.length);
      // The open-source client's waits: 500, 800, 800 ms (Parley answers "ok" at once).
      for (const wait of [0, 500, 800, 800]) {
        await sleep(wait);
        const r = await call(base, 'GET', `${rtm}/message/history/query/${handle}`, undefined, headers);
        expect(r.status).toBe(200);
        if (r.body.code === 'ok') return r.body.messages as Array<Record<string, unknown>>;
        expect(r.body.code).toBe('in progress');
      }
      throw new Error('the query never finished');
    };

    it('an Agora history client, call for call: enableHistoricalMessaging sends, token query, desc, poll until ok', async () => {
      const start = Date.now() - 1000;
      const alice = await login('hist-alice');
      const bob = await login('hist-bob');
      const room = bob.createChannel('hist-room');
      await room.join();
      const ch = alice.createChannel('hist-room');
      await ch.join();
      await alice.sendMessageToPeer({ text: 'first' }, 'hist-bob', { enableHistoricalMessaging: true });
      await alice.sendMessageToPeer({ text: 'not kept' }, 'hist-bob');
      await alice.sendMessageToPeer({ text: 'second' }, 'hist-bob', { enableHistoricalMessaging: true });
      await ch.sendMessage({ text: 'to the room' }, { enableHistoricalMessaging: true });
      const filter = {
        source: 'hist-alice',
        destination: 'hist-bob',
        start_time: iso(start),
        end_time: iso(Date.now() + 1000),
      };
      const messages = await agoraClientQuery('hist-alice', filter);
      expect(messages).toEqual([
        {
          src: 'hist-alice',
          dst: 'hist-bob',
          message_type: 'peer_message',
          ms: expect.any(Number),
          payload: 'second',
        },
        {
          src: 'hist-alice',
          dst: 'hist-bob',
          message_type: 'peer_message',
          ms: expect.any(Number),
          payload: 'first',
        },
      ]);
      expect(messages[0]!.ms as number).toBeGreaterThanOrEqual(messages[1]!.ms as number);
      // bob, the receiver, reads the same; and the channel's messages as a member.
      expect(await agoraClientQuery('hist-bob', filter)).toEqual(messages);
      const inRoom = await agoraClientQuery('hist-bob', {
        destination: 'hist-room',
        start_time: iso(start),
        end_time: iso(Date.now() + 1000),
      });
      expect(inRoom).toEqual([
        {
          src: 'hist-alice',
          dst: 'hist-room',
          message_type: 'channel_message',
          ms: expect.any(Number),
          payload: 'to the room',
        },
      ]);
    });

    it('REST sends with enable_historical_messaging; source, destination, time range, offset, limit, order, count', async () => {
      const start = Date.now() - 1000;
      for (let i = 0; i < 5; i++) {
        const r = await call(
          t.server.url,
          'POST',
          `${rtm}/users/${i % 2 ? 'odd' : 'even'}/channel_messages`,
          { channel_name: 'paged', enable_historical_messaging: true, payload: `m${i}` },
          CUSTOMER,
        );
        expect(r.body.code).toBe('message_sent');
      }
      await call(
        t.server.url,
        'POST',
        `${rtm}/users/even/channel_messages`,
        { channel_name: 'paged', payload: 'no history' },
        CUSTOMER,
      );
      const p = await call(
        t.server.url,
        'POST',
        `${rtm}/users/even/peer_messages`,
        {
          destination: 'peer-x',
          enable_historical_messaging: true,
          enable_offline_messaging: true,
          payload: 'peer kept',
        },
        CUSTOMER,
      );
      expect(p.body.code).toBe('message_offline');
      const end = Date.now() + 1000;
      const range = { start_time: iso(start), end_time: iso(end) };
      const page = async (body: Record<string, unknown>) => {
        const q = await call(base, 'POST', `${rtm}/message/history/query`, body, CUSTOMER);
        expect(q.status).toBe(200);
        const handle = q.body.location.split('/query/')[1];
        const r = await call(base, 'GET', `${rtm}/message/history/query/${handle}`, undefined, CUSTOMER);
        expect(r.body.code).toBe('ok');
        return (r.body.messages as Array<{ payload: string }>).map((m) => m.payload);
      };
      const f = { destination: 'paged', ...range };
      expect(await page({ filter: f, order: 'asc' })).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      expect(await page({ filter: f })).toEqual(['m4', 'm3', 'm2', 'm1', 'm0']);
      expect(await page({ filter: f, order: 'asc', offset: 1, limit: 2 })).toEqual(['m1', 'm2']);
      expect(await page({ filter: f, order: 'desc', offset: 4, limit: 20 })).toEqual(['m0']);
      expect(await page({ filter: { ...f, source: 'odd' }, order: 'asc' })).toEqual(['m1', 'm3']);
      expect(await page({ filter: { destination: 'peer-x', ...range } })).toEqual(['peer kept']);
      expect(
        await page({ filter: { destination: 'paged', start_time: iso(end), end_time: iso(end + 1000) } }),
      ).toEqual([]);
      const count = async (q: Record<string, string>) =>
        (
          await call(
            base,
            'GET',
            `${rtm}/message/history/count?${new URLSearchParams(q)}`,
            undefined,
            CUSTOMER,
          )
        ).body;
      expect(await count(f)).toEqual({
        result: 'success',
        request_id: expect.any(String),
        code: 'ok',
        count: 5,
      });
      expect((await count({ ...f, source: 'even' })).count).toBe(3);
      expect((await count({ source: 'even', ...range })).count).toBe(4);
    });
  });
}

historySuite('Agora message history', async () => ({}));

let schema: TestSchema | undefined;
if (await postgresTestsRun())
  historySuite(
    'Agora message history: two nodes on Redis, history in PostgreSQL',
    async () => {
      schema = await freshPostgresSchema();
      return { cluster: true, postgres: schema.url };
    },
    async () => schema?.drop(),
  );

// One embedded process of its own: once, not again in the cluster projects.
describe.skipIf(process.env.PARLEY_TEST_CLUSTER === '1')(
  'Agora message history across kill -9 (the CLI process, SQLite)',
  () => {
    it('every REST send answered before the kill is in the history after the restart', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'parley-agora-history-'));
      let server = await spawnServer(['--port', '0', '--data-dir', dir, '--rate-limits', 'off']);
      try {
        const port = server.port;
        const url = `http://127.0.0.1:${port}`;
        const dev = '/dev/v2/project/0123456789abcdef0123456789abcdef/rtm';
        const start = Date.now() - 1000;
        // Concurrent, so many share a commit; each was answered before the kill.
        const sends = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            call(url, 'POST', `${dev}/users/k9/channel_messages`, {
              channel_name: 'k9-room',
              enable_historical_messaging: true,
              payload: `m${i}`,
            }),
          ),
        );
        expect(sends.every((r) => r.body.code === 'message_sent')).toBe(true);
        await server.kill9();
        server = await spawnServer(['--port', String(port), '--data-dir', dir]);
        const range = { start_time: iso(start), end_time: iso(Date.now() + 1000) };
        const q = await call(url, 'POST', `${dev}/message/history/query`, {
          filter: { destination: 'k9-room', ...range },
          limit: 100,
          order: 'asc',
        });
        const r = await call(
          url,
          'GET',
          `${dev}/message/history/query/${q.body.location.split('/query/')[1]}`,
        );
        expect(r.body.messages.map((m: { payload: string }) => m.payload).sort()).toEqual(
          Array.from({ length: 50 }, (_, i) => `m${i}`).sort(),
        );
      } finally {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
