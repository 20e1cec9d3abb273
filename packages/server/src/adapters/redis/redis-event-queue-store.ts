import type { EventQueueKind, EventQueueStore, QueuedEvent } from '../../ports/event-queue-store.js';
import { defineScripts, type RedisClient } from './connection.js';
import type { RedisKeys } from './keys.js';

const SCRIPTS = {
  /** KEYS[1] the queue (a list, oldest first); ARGV: event (JSON), max kept. Returns how many were dropped. */
  evPush: {
    keys: 1,
    lua: `local n = redis.call('RPUSH', KEYS[1], ARGV[1])
local over = n - tonumber(ARGV[2])
if over > 0 then redis.call('LTRIM', KEYS[1], over, -1) else over = 0 end
return over`,
  },
  /** KEYS[1] the queue; ARGV: how many. Takes the oldest out in one step, so two readers never share one. */
  evTake: {
    keys: 1,
    lua: `local n = tonumber(ARGV[1])
local out = redis.call('LRANGE', KEYS[1], 0, n - 1)
redis.call('LTRIM', KEYS[1], n, -1)
return out`,
  },
};

/**
 * EventQueueStore in Redis: one list per app and kind under the app's hash tag
 * (`<p>:{a:<app>}:ev:user`), shared by every node. Push and take are one script each.
 */
export class RedisEventQueueStore implements EventQueueStore {
  private readonly scripts;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.scripts = defineScripts(redis, SCRIPTS);
  }

  async push(appId: string, kind: EventQueueKind, event: QueuedEvent, max: number): Promise<number> {
    const k = this.keys.app(appId, `ev:${kind}`);
    return Number(await this.scripts.evPush([k], [JSON.stringify(event), max]));
  }

  async take(appId: string, kind: EventQueueKind, count: number): Promise<QueuedEvent[]> {
    if (count <= 0) return [];
    const k = this.keys.app(appId, `ev:${kind}`);
    const raw = (await this.scripts.evTake([k], [count])) as string[];
    return raw.map((s) => JSON.parse(s) as QueuedEvent);
  }
}
