import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/adapters/embedded/index.js';
import { createRedisAdapters } from '../../src/adapters/redis/index.js';
import { resolveConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { Bus } from '../../src/ports/bus.js';
import { MeshUnreachableError, NodeMesh } from '../../src/cluster/node-mesh.js';
import { REDIS_URL, cleanPrefix, redisReachable, skipWithoutRedis, uniquePrefix } from '../cluster/nodes.js';

const log = createLogger('silent');
/** Longer than the test may take: a request that waited for it would fail the test. */
const NEVER_MS = 10 * 60_000;

/**
 * NodeMesh over each Bus: requests are answered across nodes, and a request to a node nobody
 * listens for (dead, or cut off from the bus) fails at once instead of waiting for its timeout —
 * a login that kicks a dead node's session out must not stall.
 */
describe.each(['memory', 'redis'] as const)('NodeMesh over the %s bus', (kind) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function buses(): Promise<[Bus, Bus]> {
    if (kind === 'memory') {
      const bus = new MemoryBus();
      return [bus, bus];
    }
    if (!(await redisReachable())) skipWithoutRedis();
    const prefix = uniquePrefix();
    cleanups.push(() => cleanPrefix(prefix));
    const make = async (nodeId: string) => {
      const a = await createRedisAdapters(
        resolveConfig({ redisUrl: REDIS_URL, redisPrefix: prefix, nodeId }),
        log,
      );
      cleanups.push(() => a.store.close());
      return a.bus;
    };
    return [await make('a'), await make('b')];
  }

  /** The message types of these tests. */
  type TestMessages = {
    echo: { payload: unknown; answer: unknown };
    note: { payload: unknown; answer: null };
    kick: { payload: object; answer: unknown };
  };
  async function mesh(bus: Bus, nodeId: string): Promise<NodeMesh<TestMessages>> {
    const m = new NodeMesh<TestMessages>(bus, nodeId, log);
    await m.start();
    cleanups.push(() => m.close());
    return m;
  }

  it('a request is answered by the other node; a send reports how many nodes got it', async () => {
    const [busA, busB] = await buses();
    const a = await mesh(busA, 'a');
    const b = await mesh(busB, 'b');
    const got: unknown[] = [];
    b.on('echo', (p, from) => ({ p, from }));
    b.on('note', (p) => void got.push(p));
    expect(await a.request('b', 'echo', { x: 1 }, NEVER_MS)).toEqual({ p: { x: 1 }, from: 'a' });
    expect(await a.send('b', 'note', 'hi')).toBe(1);
    await expect.poll(() => got).toEqual(['hi']);
  });

  it('a request to a node nobody listens for fails at once with MeshUnreachableError', async () => {
    const [busA, busB] = await buses();
    const a = await mesh(busA, 'a');
    const b = await mesh(busB, 'b');
    b.on('kick', () => true);
    const err = await a.request('ghost', 'kick', {}, NEVER_MS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshUnreachableError);
    expect((err as MeshUnreachableError).nodeId).toBe('ghost');
    expect(await a.send('ghost', 'kick', {})).toBe(0);
    // A node that stops listening (its process died) is unreachable from then on.
    await b.close();
    await expect(a.request('b', 'kick', {}, NEVER_MS)).rejects.toBeInstanceOf(MeshUnreachableError);
  });
});
