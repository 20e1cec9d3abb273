import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/adapters/embedded/index.js';
import { NodeCensus } from '../../src/cluster/node-census.js';
import { NodeMesh } from '../../src/cluster/node-mesh.js';
import { createLogger } from '../../src/logger.js';

const log = createLogger('silent');

/** NodeCensus over one shared MemoryBus: every node's answer, gathered by the asker. */
describe('NodeCensus', () => {
  const closing: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closing.splice(0)) await c();
  });

  async function node(bus: MemoryBus, id: string): Promise<NodeCensus> {
    const mesh = new NodeMesh(bus, id, log);
    const census = new NodeCensus(mesh, log);
    await mesh.start();
    await census.start();
    closing.push(async () => {
      await census.close();
      await mesh.close();
    });
    return census;
  }

  it('gathers one answer per node, this one included, without waiting for the timeout', async () => {
    const bus = new MemoryBus({ shared: true });
    const nodes = await Promise.all(['a', 'b', 'c'].map((id) => node(bus, id)));
    for (const [i, n] of nodes.entries()) n.answer('who', (p) => ({ i, p }));
    // A timeout longer than the test's own: the receiver count says how many answers to wait for.
    const all = await nodes[1]!.ask('who', 'x', 10 * 60_000);
    expect(Object.fromEntries(all)).toEqual({
      a: { i: 0, p: 'x' },
      b: { i: 1, p: 'x' },
      c: { i: 2, p: 'x' },
    });
  });

  it('leaves out a node whose answer fails (after the timeout) and one that left', async () => {
    const bus = new MemoryBus({ shared: true });
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((id) => node(bus, id)));
    a!.answer('n', () => 1);
    b!.answer('n', () => {
      throw new Error('broken');
    });
    c!.answer('n', () => 3);
    expect(Object.fromEntries(await a!.ask('n', null, 200))).toEqual({ a: 1, c: 3 });
    await closing.pop()!();
    expect(Object.fromEntries(await a!.ask('n', null, 200))).toEqual({ a: 1 });
  });

  it('on a bus that is not shared, asks only itself', async () => {
    const solo = await node(new MemoryBus(), 'solo');
    solo.answer('n', () => 'me');
    expect(Object.fromEntries(await solo.ask('n', null, 10 * 60_000))).toEqual({ solo: 'me' });
  });
});
