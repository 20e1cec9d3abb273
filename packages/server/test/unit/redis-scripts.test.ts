import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
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

describe('defineScripts: script names are global to a connection', () => {
  it('the same script again is fine; the same name with other Lua throws instead of replacing it', () => {
    // Not connected: defining a command does not talk to Redis.
    const redis = new Redis({ lazyConnect: true });
    try {
      defineScripts(redis, { probe: { keys: 1, lua: 'return 1' } });
      // A second store of the same kind on the connection (tests make several) defines it again.
      expect(() => defineScripts(redis, { probe: { keys: 1, lua: 'return 1' } })).not.toThrow();
      expect(() => defineScripts(redis, { probe: { keys: 1, lua: 'return 2' } })).toThrow(
        'Redis script probe is defined twice with different Lua on one connection',
      );
      // another connection has names of its own
      const other = new Redis({ lazyConnect: true });
      expect(() => defineScripts(other, { probe: { keys: 1, lua: 'return 2' } })).not.toThrow();
      other.disconnect();
    } finally {
      redis.disconnect();
    }
  });

  it('every Store part of a node defines its scripts on its one command connection without a clash', () => {
    const redis = new Redis({ lazyConnect: true });
    try {
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
    } finally {
      redis.disconnect();
    }
  });
});
