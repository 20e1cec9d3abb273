import { afterEach, describe, expect, it } from 'vitest';
import { WEBHOOK_EVENTS } from '../../src/config.js';
import { APP_ID, setup, until } from '../helpers.js';
import { closeAll, type Receiver, startReceiver } from '../webhook-receiver.js';

/**
 * Webhooks on several nodes sharing one endpoint: each event is sent once in the cluster, by the
 * node where it happened; channel.occupied / vacated once per transition, whichever nodes the
 * members joined and left on.
 */
const MODES = [
  ['two nodes on Redis', { cluster: 2 }],
  ['three nodes, shared memory adapters', { nodes: 3 }],
] as const;

describe.each(MODES)('webhooks once in the cluster: %s', (_name, mode) => {
  let env: Awaited<ReturnType<typeof setup>> | undefined;
  let rx: Receiver | undefined;
  afterEach(async () => {
    await closeAll(env, rx);
    env = rx = undefined;
  });

  const count = (name: string, where: Record<string, unknown> = {}) =>
    rx!.events().filter((e) => e.name === name && Object.entries(where).every(([k, v]) => e[k] === v)).length;

  it('sends every event exactly once, occupied and vacated once per transition across nodes', async () => {
    rx = await startReceiver();
    env = await setup({
      ...mode,
      webhookUrl: rx.url,
      webhookSecret: 's',
      webhookEvents: WEBHOOK_EVENTS.join(','),
      webhookBatchMs: 5,
      rateLimits: false,
    });
    const t = env;
    const users = ['alice', 'bob', 'carol', 'dave'];
    const clients = [];
    for (const uid of users) clients.push(await t.login(uid));
    // Consecutive clients are on different nodes (round-robin).
    expect(
      new Set(users.map((u) => t.servers.findIndex((s) => s.sessions.local(APP_ID, u)))).size,
    ).toBeGreaterThan(1);
    const ROUNDS = 5;
    for (let r = 0; r < ROUNDS; r++) {
      const channels = clients.map((c) => c.createChannel('room'));
      // Joins on every node at once: one of them makes the channel occupied.
      await Promise.all(channels.map((ch) => ch.join()));
      if (r === 0) {
        await channels[0]!.sendMessage({ text: 'to all nodes' });
        await clients[0]!.sendMessageToPeer({ text: 'across' }, 'bob');
        await clients[1]!.addOrUpdateChannelAttributes('room', { k: String(r) });
      }
      await Promise.all(channels.map((ch) => ch.leave()));
    }
    const total = users.length + 4 * ROUNDS * 2 + 2 * ROUNDS + 3;
    await until(() => rx!.events().length >= total, 10_000, `${total} events`);
    // Nothing more is on its way: a last event arrives after everything sent before it on its node.
    await clients[0]!.logout();
    await until(() => count('user.offline') === 1, 5000, 'alice offline');

    for (const uid of users) expect(count('user.online', { uid }), `${uid} online`).toBe(1);
    expect(count('channel.member_joined')).toBe(4 * ROUNDS);
    expect(count('channel.member_left')).toBe(4 * ROUNDS);
    expect(count('channel.occupied')).toBe(ROUNDS);
    expect(count('channel.vacated')).toBe(ROUNDS);
    expect(count('message.channel')).toBe(1);
    expect(count('message.peer')).toBe(1);
    expect(count('channel.attributes_updated')).toBe(1);
    expect(rx.events()).toHaveLength(total + 1);
    // Counts after the joins of a round run 1..4 once each, and after the leaves 3..0.
    const joinedCounts = rx
      .events()
      .filter((e) => e.name === 'channel.member_joined')
      .map((e) => e.count as number);
    const leftCounts = rx
      .events()
      .filter((e) => e.name === 'channel.member_left')
      .map((e) => e.count as number);
    const perRound = (xs: number[]) => [...xs].sort((a, b) => a - b);
    expect(perRound(joinedCounts)).toEqual(
      perRound(Array.from({ length: ROUNDS }, () => [1, 2, 3, 4]).flat()),
    );
    expect(perRound(leftCounts)).toEqual(perRound(Array.from({ length: ROUNDS }, () => [0, 1, 2, 3]).flat()));
  });

  it.runIf('nodes' in mode)(
    'a dead node: its users go offline and leave once, sent by a survivor',
    async () => {
      rx = await startReceiver();
      env = await setup({
        ...mode,
        webhookUrl: rx.url,
        webhookSecret: 's',
        webhookBatchMs: 5,
        sessionGraceMs: 300,
        nodeHeartbeatMs: 100,
      });
      const alice = await env.login('alice'); // node 1
      const bob = await env.login('bob'); // node 2
      await alice.createChannel('room').join();
      await bob.createChannel('room').join();
      // What node 1 saw is sent before it dies (a crash sends nothing more).
      await until(() => rx!.events().length === 5, 5000, 'logins and joins');
      await env.servers[0]!.crash();
      await until(
        () => count('user.offline', { uid: 'alice' }) === 1 && count('channel.member_left') === 1,
        15_000,
        'alice ended',
      );
      await bob.logout();
      await until(() => count('channel.vacated') === 1 && count('user.offline') === 2, 5000, 'bob ended');
      expect(count('user.offline', { uid: 'alice' })).toBe(1);
      expect(count('channel.member_left', { uid: 'alice', count: 1 })).toBe(1);
      expect(count('channel.occupied')).toBe(1);
      expect(rx.names()).toHaveLength(4 + 2 + 4);
    },
  );
});
