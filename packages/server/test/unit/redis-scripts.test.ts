import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { defineScripts } from '../../src/adapters/redis/connection.js';
import { RedisKeys } from '../../src/adapters/redis/keys.js';
import { RedisChannelAttrsStore } from '../../src/adapters/redis/redis-channel-attrs-store.js';
import { RedisChannelHistoryStore } from '../../src/adapters/redis/redis-channel-history-store.js';
import { RedisChannelStore } from '../../src/adapters/redis/redis-channel-store.js';
import { RedisEventQueueStore } from '../../src/adapters/redis/redis-event-queue-store.js';
import { RedisInvitationStore } from '../../src/adapters/redis/redis-invitation-store.js';
import { RedisMessageHistoryStore } from '../../src/adapters/redis/redis-message-history-store.js';
import { RedisNodeRegistry } from '../../src/adapters/redis/redis-node-registry.js';
import { RedisOfflineStore } from '../../src/adapters/redis/redis-offline-store.js';
import { RedisPresenceStore } from '../../src/adapters/redis/redis-presence-store.js';
import { RedisSessionStore } from '../../src/adapters/redis/redis-session-store.js';
import { RedisUserAttrsStore } from '../../src/adapters/redis/redis-user-attrs-store.js';

/**
 * Every Redis Store part defines its Lua scripts on the one command connection, so their names
 * are one namespace: a second definition under a taken name would silently replace the first
 * (the channel history once ran the message history's append). Nothing here talks to Redis.
 */
describe('Redis scripts: one namespace per connection', () => {
  const redis = new Redis({ lazyConnect: true });
  afterAll(() => redis.disconnect());

  it('every Store part of a node defines its scripts on one connection without a clash', () => {
    const keys = new RedisKeys('scripts-test');
    const sessions = new RedisSessionStore(redis, keys, 'n1');
    expect(() => {
      new RedisPresenceStore(redis, keys);
      new RedisUserAttrsStore(redis, keys);
      new RedisChannelStore(redis, keys);
      new RedisChannelAttrsStore(redis, keys);
      new RedisChannelHistoryStore(redis, keys);
      new RedisInvitationStore(redis, keys);
      new RedisOfflineStore(redis, keys);
      new RedisEventQueueStore(redis, keys);
      new RedisMessageHistoryStore(redis, keys);
      new RedisNodeRegistry(redis, keys, sessions);
    }).not.toThrow();
  });

  it('a name defined again with other Lua throws; the same script again is fine', () => {
    const other = new Redis({ lazyConnect: true });
    try {
      defineScripts(other, { probe: { keys: 1, lua: 'return 1' } });
      expect(() => defineScripts(other, { probe: { keys: 1, lua: 'return 1' } })).not.toThrow();
      expect(() => defineScripts(other, { probe: { keys: 1, lua: 'return 2' } })).toThrow(
        /probe is defined twice/,
      );
    } finally {
      other.disconnect();
    }
  });
});
