import type { RedisClient } from './connection.js';
import { Packr } from 'msgpackr';
import {
  entriesAfter,
  type ChannelHistoryEntry,
  type ChannelHistoryStore,
  type HistoryCursor,
  type HistoryRetention,
} from '../../ports/channel-history-store.js';
import { defineScripts } from './connection.js';
import type { RedisKeys } from './keys.js';

const packr = new Packr({ useRecords: false });

const SCRIPTS = {
  /**
   * KEYS[1] the channel's stream; ARGV: max messages, max age ms, packed entry. Appends, trims by
   * count (exact) and by age (stream ids are Redis time), and lets an idle stream expire.
   */
  histAppend: {
    keys: 1,
    lua: `redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 'e', ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('XTRIM', KEYS[1], 'MINID', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`,
  },
};

/**
 * ChannelHistoryStore in Redis: one capped stream per channel (`hist`), each entry one msgpack
 * field. Appends are one script each, and go out on one connection in call order, so a channel's
 * history keeps append order. Reads take the whole (short) stream and filter like the memory store.
 */
export class RedisChannelHistoryStore implements ChannelHistoryStore {
  private readonly scripts;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.scripts = defineScripts(redis, SCRIPTS);
  }

  private k(appId: string, channelId: string): string {
    return this.keys.channel(appId, channelId, 'hist');
  }

  async append(
    appId: string,
    channelId: string,
    entry: ChannelHistoryEntry,
    keep: HistoryRetention,
  ): Promise<void> {
    if (keep.maxMessages <= 0) return;
    const packed = packr.pack(
      entry.key === undefined
        ? [entry.id, entry.ts, entry.from, entry.msg]
        : [entry.id, entry.ts, entry.from, entry.msg, entry.key],
    );
    await this.scripts.histAppend(
      [this.k(appId, channelId)],
      [keep.maxMessages, Math.max(1, keep.maxAgeMs), packed],
    );
  }

  async since(
    appId: string,
    channelId: string,
    after: HistoryCursor,
    keep: HistoryRetention,
  ): Promise<ChannelHistoryEntry[]> {
    const raw = await this.redis.xrangeBuffer(this.k(appId, channelId), '-', '+');
    if (raw.length === 0) return [];
    const list: ChannelHistoryEntry[] = [];
    for (const [, fields] of raw) {
      const [id, ts, from, msg, key] = packr.unpack(fields[1]!) as [
        string,
        number,
        string,
        ChannelHistoryEntry['msg'],
        string | undefined,
      ];
      list.push(key === undefined ? { id, ts, from, msg } : { id, ts, from, msg, key });
    }
    return entriesAfter(list, after, keep);
  }
}
