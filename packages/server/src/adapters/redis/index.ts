import { parseRedisSeeds, type ServerConfig } from '../../config.js';
import { UNAVAILABLE_MEDIA } from '../media/memory-media-store.js';
import type { Logger } from '../../logger.js';
import type { Store } from '../../ports/store.js';
import { RedisConn, type RedisConnOptions, type RedisTarget } from './connection.js';
import { RedisKeys } from './keys.js';
import { RedisBus } from './redis-bus.js';
import type { ClusterHooks } from '../../ports/cluster.js';
import { RedisNodeRegistry } from './redis-node-registry.js';
import { RedisSessionStore } from './redis-session-store.js';
import { RedisPresenceStore } from './redis-presence-store.js';
import { RedisUserAttrsStore } from './redis-user-attrs-store.js';
import { RedisChannelStore } from './redis-channel-store.js';
import { RedisChannelAttrsStore } from './redis-channel-attrs-store.js';
import { RedisChannelHistoryStore } from './redis-channel-history-store.js';
import { RedisInvitationStore } from './redis-invitation-store.js';
import { RedisOfflineStore } from './redis-offline-store.js';
import { RedisEventQueueStore } from './redis-event-queue-store.js';
import { RedisMessageHistoryStore } from './redis-message-history-store.js';

export { RedisBus, RedisKeys, RedisNodeRegistry, RedisSessionStore, type ClusterHooks };

/** The Redis adapter set of one node: Store and Bus over two connections, plus the node registry. */
export interface RedisAdapters {
  store: Store;
  bus: RedisBus;
  nodes: RedisNodeRegistry;
  /** the command connection (store commands and publishes) */
  cmd: RedisConn;
  /** the subscriber connection */
  sub: RedisConn;
}

/**
 * Connects to Redis (rejects when it cannot be reached at start) and builds the adapters. One
 * command connection serves every Store part and the Bus' publishes; one subscriber connection
 * carries all of this node's subscriptions. On a Redis Cluster (`redisCluster`) each of the two
 * is a cluster client: commands go to the master of their key's slot, and subscriptions are
 * sharded (SSUBSCRIBE on the master that owns the topic's slot).
 */
export async function createRedisAdapters(
  config: ServerConfig,
  log: Logger,
  opts: RedisConnOptions = {},
): Promise<RedisAdapters> {
  let target: RedisTarget;
  if (config.redisUrl && config.redisCluster)
    throw new Error('createRedisAdapters: config.redisUrl and config.redisCluster exclude each other');
  if (config.redisUrl) target = { url: config.redisUrl };
  else if (config.redisCluster) target = { seeds: parseRedisSeeds(config.redisCluster) };
  else throw new Error('createRedisAdapters needs config.redisUrl or config.redisCluster');
  const rlog = log.child({ layer: 'redis' });
  const keys = new RedisKeys(config.redisPrefix);
  const cmd = new RedisConn(target, 'command', opts, config.nodeId, rlog);
  const sub = new RedisConn(target, 'subscriber', opts, config.nodeId, rlog);
  // Both settle before either is closed, and the command connection's reason is told first: the
  // message does not depend on which failed first.
  const failed = (await Promise.allSettled([cmd.connect(), sub.connect()])).find(
    (r) => r.status === 'rejected',
  );
  if (failed) {
    await Promise.all([cmd.close(), sub.close()]);
    throw failed.reason;
  }
  const refuse = async (why: string) => {
    await Promise.all([cmd.close(), sub.close()]);
    throw new Error(why);
  };
  const info = await cmd.redis.info('server');
  const version = /redis_version:(\d+)\./.exec(info)?.[1];
  // The scripts use Redis 7 commands (PEXPIRETIME, PEXPIREAT … LT, ZRANGE … BYSCORE); sharded
  // pub/sub (SSUBSCRIBE) is 7.0 too.
  if (version && Number(version) < 7) await refuse(`Parley needs Redis >= 7 (found ${version})`);
  // A node of a Redis Cluster answers MOVED for most keys: say which flag it needs.
  if (!cmd.sharded && /cluster_enabled:1/.test(await cmd.redis.info('cluster')))
    await refuse(
      `${config.redisUrl} is a node of a Redis Cluster: use --redis-cluster <host:port,...> instead of --redis`,
    );

  const sessions = new RedisSessionStore(cmd.redis, keys, config.nodeId);
  const bus = new RedisBus(cmd, sub, keys, rlog);
  const nodes = new RedisNodeRegistry(cmd.redis, keys, sessions);
  const store: Store = {
    sessions,
    presence: new RedisPresenceStore(cmd.redis, keys),
    userAttrs: new RedisUserAttrsStore(cmd.redis, keys),
    channels: new RedisChannelStore(cmd.redis, keys),
    channelAttrs: new RedisChannelAttrsStore(cmd.redis, keys),
    history: new RedisChannelHistoryStore(cmd.redis, keys),
    invitations: new RedisInvitationStore(cmd.redis, keys),
    offline: new RedisOfflineStore(cmd.redis, keys),
    events: new RedisEventQueueStore(cmd.redis, keys),
    messageHistory: new RedisMessageHistoryStore(cmd.redis, keys),
    // Media bytes are not kept in Redis (memory-bound): PostgreSQL holds them (docs/media.md).
    media: UNAVAILABLE_MEDIA,
    async close() {
      await bus.close();
      await Promise.all([cmd.close(), sub.close()]);
    },
  };
  return { store, bus, nodes, cmd, sub };
}
