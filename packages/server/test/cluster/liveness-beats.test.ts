import { describe, expect, it } from 'vitest';
import { MemoryNodeRegistry, MemorySessionStore } from '../../src/adapters/embedded/index.js';
import { NodeLiveness } from '../../src/cluster/node-liveness.js';
import { createLogger } from '../../src/logger.js';
import type { SessionRecord } from '../../src/ports/session-store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A node keeps beating while it cleans up after a dead one. Marking a dead node's sessions
 * UNREACHABLE takes seconds on a busy Redis; a survivor that stopped beating meanwhile was taken
 * for dead by the others, whose cleanup then ended its live sessions (npm run bench -- scale).
 * Here the session store answers one write at a time, 30 ms each: marking 100 sessions takes 3 s,
 * ten times the dead threshold.
 */
describe('node liveness: heartbeats do not wait for the cleanup', () => {
  it('the survivor beats on while it marks a dead node’s sessions UNREACHABLE', async () => {
    const store = new MemorySessionStore();
    const registry = new MemoryNodeRegistry(store);
    const heartbeatMs = 100;
    await registry.join('dead', 3 * heartbeatMs, 'dead~0', 'e0');
    for (let i = 0; i < 100; i++)
      await store.claim('app', `u${i}`, { nodeId: 'dead', sessionId: `s${i}`, state: 'ONLINE' });

    let tail: Promise<unknown> = Promise.resolve();
    let marked = 0;
    const slowStore = {
      setState: (appId: string, uid: string, sessionId: string, state: SessionRecord['state']) => {
        const done = tail.then(async () => {
          await sleep(30);
          marked++;
          return store.setState(appId, uid, sessionId, state);
        });
        tail = done;
        return done;
      },
    };
    const live = new NodeLiveness(
      registry,
      slowStore,
      { nodeId: 'live', heartbeatMs, sessionGraceMs: 60_000 },
      createLogger('silent'),
    );
    await live.start({
      endForeign: async () => undefined,
      detachForeign: async () => undefined,
      localSessions: () => [],
      evict: () => undefined,
    });
    try {
      // the cleanup starts once 'dead' is 3 periods old; watch the survivor's age during it
      const started = Date.now();
      while (marked === 0 && Date.now() - started < 5000) await sleep(10);
      expect(marked).toBeGreaterThan(0);
      let oldest = 0;
      while (marked < 100 && Date.now() - started < 10_000) {
        oldest = Math.max(oldest, await registry.age('live'));
        await sleep(20);
      }
      expect(marked).toBe(100);
      // never as old as the dead threshold: the others never take it for dead
      expect(oldest).toBeLessThan(3 * heartbeatMs);
    } finally {
      await live.stop();
    }
  });
});
