import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, consoleLogin } from '../console-client.js';
import { APP_ID, next, setup, until } from '../helpers.js';

// The console on any node shows the cluster: every node's counters and events (the census over
// the mesh), users and channels of other nodes, and ends a session held by another node.
describe.each([
  { name: '2 nodes in memory', nodes: 2 },
  { name: '3 nodes in memory', nodes: 3 },
  { name: '2 nodes on Redis', cluster: 2 },
])('web console in a cluster ($name)', ({ nodes, cluster }) => {
  let env: Awaited<ReturnType<typeof setup>>;
  afterEach(() => env?.cleanup());

  it('shows every node from any node, and ends a session on another node', async () => {
    env = await setup({ nodes, cluster, adminPassword: ADMIN_PASSWORD });
    const [first, second] = env.servers as [(typeof env.servers)[0], (typeof env.servers)[0]];
    // Clients go round-robin: alice on the first node, bob on the second.
    await env.login('alice');
    const bob = await env.login('bob');
    expect(env.sessionOf('bob')?.id).toBeDefined();
    expect(second.sessions.local(APP_ID, 'bob')).toBeDefined();
    const room = bob.createChannel('room');
    await room.join();

    const ops = await consoleLogin(first.url, 'ann');
    const overview = await ops.call('GET', 'overview?scope=cluster');
    expect(overview.body.nodes.map((n: { nodeId: string }) => n.nodeId)).toEqual(
      env.servers.map((s) => s.config.nodeId).sort(),
    );
    const bySessions = Object.fromEntries(
      overview.body.nodes.map((n: { nodeId: string; sessions: number }) => [n.nodeId, n.sessions]),
    );
    expect(bySessions[first.config.nodeId]).toBe(1);
    expect(bySessions[second.config.nodeId]).toBe(1);
    const local = await ops.call('GET', 'overview?scope=node');
    expect(local.body.nodes.map((n: { nodeId: string }) => n.nodeId)).toEqual([first.config.nodeId]);

    const apps = await ops.call('GET', 'apps');
    expect(apps.body.apps[0].sessions).toEqual({ [first.config.nodeId]: 1, [second.config.nodeId]: 1 });

    const user = await ops.call('GET', `apps/${APP_ID}/users/bob`);
    expect(user.body).toMatchObject({ state: 'ONLINE', node: second.config.nodeId, channels: ['room'] });

    // The tail of the first node holds the second node's login and join.
    const tail = await ops.call('GET', 'events?scope=cluster');
    const seen = tail.body.events.map(
      (e: { node: string; type: string; uid: string }) => `${e.node} ${e.type} ${e.uid}`,
    );
    expect(seen).toEqual(
      expect.arrayContaining([
        `${first.config.nodeId} user.online alice`,
        `${second.config.nodeId} user.online bob`,
        `${second.config.nodeId} channel.member_joined bob`,
      ]),
    );
    const nodeOnly = await ops.call('GET', 'events?scope=node');
    expect(nodeOnly.body.events.every((e: { node: string }) => e.node === first.config.nodeId)).toBe(true);

    // Ended from the first node, on the second: the client goes ABORTED.
    const state = next<[string, string]>(bob, 'ConnectionStateChanged');
    expect((await ops.call('POST', `apps/${APP_ID}/users/bob/end-session`)).body).toEqual({ ended: true });
    expect(await state).toEqual(['ABORTED', 'BANNED_BY_SERVER']);
    await until(() => second.sessions.local(APP_ID, 'bob') === undefined, 5000, 'bob ended');
    const after = await ops.call('GET', `events?scope=cluster&after=${encodeURIComponent(tail.body.after)}`);
    expect(after.body.events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          node: second.config.nodeId,
          type: 'user.offline',
          uid: 'bob',
          cause: 'OPERATOR',
        }),
      ]),
    );
    expect((await ops.call('GET', `apps/${APP_ID}/users/alice`)).body.state).toBe('ONLINE');
  });

  it('leaves out a node that crashed (it cannot answer)', async () => {
    env = await setup({ nodes, cluster, adminPassword: ADMIN_PASSWORD });
    const last = env.servers.at(-1)!;
    await last.crash();
    const ops = await consoleLogin(env.server.url);
    const overview = await ops.call('GET', 'overview');
    expect(overview.body.nodes.map((n: { nodeId: string }) => n.nodeId)).toEqual(
      env.servers
        .slice(0, -1)
        .map((s) => s.config.nodeId)
        .sort(),
    );
  });
});
