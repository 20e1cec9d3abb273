import AgoraRTM, { type RtmClient } from '@parley/sdk';
import { startTestServer, type ParleyServer } from '@parley/server/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemoryBus, createEmbeddedStore } from '../../src/adapters/embedded/index.js';
import type { BusHandler, Unsubscribe } from '../../src/ports/bus.js';
import { APP_ID, collect, until } from '../helpers.js';

/** The real in-memory bus, counting the subscriptions that are open. */
class CountingBus extends MemoryBus {
  readonly open = new Map<string, number>();
  get total(): number {
    let n = 0;
    for (const v of this.open.values()) n += v;
    return n;
  }
  override async subscribe(topic: string, handler: BusHandler): Promise<Unsubscribe> {
    const unsub = await super.subscribe(topic, handler);
    this.open.set(topic, (this.open.get(topic) ?? 0) + 1);
    let done = false;
    return async () => {
      if (!done) {
        done = true;
        const n = (this.open.get(topic) ?? 1) - 1;
        if (n === 0) this.open.delete(topic);
        else this.open.set(topic, n);
      }
      await unsub();
    };
  }
}

/**
 * Cluster nodes subscribe to the bus per channel with local members; nothing may stay behind once
 * sessions and channels end, or a long-running node leaks a subscription per channel ever used.
 */
describe('bus subscriptions', () => {
  let servers: ParleyServer[] = [];
  const clients: RtmClient[] = [];
  const store = createEmbeddedStore({ dataDir: null });
  const bus = new CountingBus({ shared: true });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.release();
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });
  afterAll(() => store.close());

  const login = async (node: ParleyServer, uid: string): Promise<RtmClient> => {
    const c = AgoraRTM.createInstance(APP_ID, { serverUrl: node.wsUrl });
    clients.push(c);
    await c.login({ uid });
    return c;
  };

  it('return to their baseline after sessions and channels end', async () => {
    for (const nodeId of ['b1', 'b2'])
      servers.push(await startTestServer({ nodeId, rateLimits: false }, { store, bus }));
    const [n1, n2] = servers as [ParleyServer, ParleyServer];
    // Each node: its own mesh topic and the route cache's topic.
    const baseline = bus.total;
    expect(baseline).toBe(4);

    const alice = await login(n1, 'alice');
    const bob = await login(n2, 'bob');
    const carol = await login(n2, 'carol');
    const a = alice.createChannel('room');
    const b = bob.createChannel('room');
    const c = carol.createChannel('other');
    await a.join();
    await b.join();
    await c.join();
    // room on both nodes, other on n2
    expect(bus.total).toBe(baseline + 3);

    const got = collect<[{ text: string }, string]>(b, 'ChannelMessage');
    await a.sendMessage({ text: 'across nodes' });
    await until(() => got.length === 1);
    expect((await alice.sendMessageToPeer({ text: 'hi' }, 'bob')).hasPeerReceived).toBe(true);

    // One leaves, two log out while joined (their sessionEnd leaves for them).
    await a.leave();
    await bob.logout();
    await carol.logout();
    await until(() => bus.total === baseline, 5000, 'subscriptions back to the baseline');
    expect([...bus.open.keys()].filter((t) => t.startsWith('channel:'))).toEqual([]);
  });
});
