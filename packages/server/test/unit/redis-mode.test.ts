import { describe, expect, it } from 'vitest';
import { checkRedisMode, parseRedisSeeds } from '../../src/config.js';
import { createServer } from '../../src/server.js';

describe('--redis vs --redis-cluster (issue 19)', () => {
  it('reads seed nodes: host:port items, IPv6 in brackets, blanks around commas ignored', () => {
    expect(parseRedisSeeds('127.0.0.1:7000, redis-a:7001,[::1]:7002')).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: 'redis-a', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
  });

  it.each([
    ['', /expected host:port/],
    ['127.0.0.1', /"127\.0\.0\.1" is not host:port/],
    ['127.0.0.1:0', /"127\.0\.0\.1:0" is not host:port/],
    ['127.0.0.1:70000', /"127\.0\.0\.1:70000" is not host:port/],
    ['redis://127.0.0.1:7000', /"redis:\/\/127\.0\.0\.1:7000" is not host:port/],
    ['::1:7000', /"::1:7000" is not host:port/],
  ])('refuses seeds %j', (list, message) => {
    expect(() => parseRedisSeeds(list)).toThrow(message);
  });

  it('refuses both modes at once, in config as in the server API', async () => {
    expect(() =>
      checkRedisMode({ redisUrl: 'redis://127.0.0.1:6379', redisCluster: '127.0.0.1:7000' }),
    ).toThrow(/--redis and --redis-cluster exclude each other/);
    expect(() => checkRedisMode({ redisUrl: 'redis://127.0.0.1:6379', redisCluster: null })).not.toThrow();
    await expect(
      createServer({
        port: 0,
        dataDir: null,
        redisUrl: 'redis://127.0.0.1:6379',
        redisCluster: '127.0.0.1:7000',
      }),
    ).rejects.toThrow(/--redis and --redis-cluster exclude each other/);
  });
});
