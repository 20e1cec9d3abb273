import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { defineScripts } from '../../src/adapters/redis/connection.js';

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
});
