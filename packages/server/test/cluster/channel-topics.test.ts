import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { APP_ID, collect, setup, until } from '../helpers.js';
import { REDIS_URL } from './nodes.js';

/**
 * Cluster channel fan-out over one pub/sub topic per channel (DESIGN §6): a node listens on a
 * channel's topic exactly while it has members there — subscribed before a join is answered,
 * unsubscribed when its last member leaves — and a message reaches every node with one PUBLISH.
 */
describe('channel topics on Redis', () => {
  let t: Awaited<ReturnType<typeof setup>> | undefined;
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });
  afterAll(() => redis.disconnect());

  /** How many nodes listen on the channel's topic (Redis' own count of subscribers). */
  const listeners = async (channelId: string): Promise<number> => {
    if (redis.status === 'wait') await redis.connect();
    const [, n] = (await redis.pubsub('NUMSUB', `${t!.prefix}:bus:channel:${APP_ID}:${channelId}`)) as [
      string,
      number,
    ];
    return n;
  };

  it('a node listens while it has members in the channel; one message reaches every node', async () => {
    t = await setup({ cluster: 3, rateLimits: false });
    // round-robin: alice → n1, bob → n2, carol → n3
    const [alice, bob, carol] = [await t.login('alice'), await t.login('bob'), await t.login('carol')];
    expect(await listeners('room')).toBe(0);
    const a = alice.createChannel('room');
    await a.join();
    expect(await listeners('room')).toBe(1);
    const b = bob.createChannel('room');
    await b.join();
    expect(await listeners('room')).toBe(2);
    // carol's node has no member: it does not hear the channel
    const c = carol.createChannel('other');
    await c.join();
    expect(await listeners('room')).toBe(2);

    // a message sent right after a join was answered reaches the joiner on another node
    const got = collect<[{ text: string }, string]>(b, 'ChannelMessage');
    await a.sendMessage({ text: 'one publish' });
    await until(() => got.length === 1);
    expect(got[0]![0].text).toBe('one publish');

    await b.leave();
    await expect.poll(() => listeners('room'), { timeout: 5000 }).toBe(1);
    await a.leave();
    await expect.poll(() => listeners('room'), { timeout: 5000 }).toBe(0);
    // and a rejoin listens again
    await b.join();
    expect(await listeners('room')).toBe(1);
  });
});
