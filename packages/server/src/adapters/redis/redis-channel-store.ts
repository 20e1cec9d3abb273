import type { RedisClient } from './connection.js';
import type { ChannelMember, ChannelStore, MembershipChange } from '../../ports/channel-store.js';
import { defineScripts } from './connection.js';
import type { RedisKeys } from './keys.js';

const SCRIPTS = {
  /**
   * KEYS: members hash; ARGV: uid, session id, node id.
   * → {changed 1|0, count, previous session id or ''}
   */
  chJoin: {
    keys: 1,
    lua: `local prev = redis.call('HGET', KEYS[1], ARGV[1])
local prevSid = ''
if prev then
  local bar = string.find(prev, '|', 1, true)
  prevSid = string.sub(prev, 1, bar - 1)
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
return {prev and 0 or 1, redis.call('HLEN', KEYS[1]), prevSid}`,
  },
  /** KEYS: members hash; ARGV: uid, session id → {changed 1|0, count} */
  chLeave: {
    keys: 1,
    lua: `local m = redis.call('HGET', KEYS[1], ARGV[1])
if not m then return {0, redis.call('HLEN', KEYS[1])} end
local bar = string.find(m, '|', 1, true)
if string.sub(m, 1, bar - 1) ~= ARGV[2] then return {0, redis.call('HLEN', KEYS[1])} end
redis.call('HDEL', KEYS[1], ARGV[1])
return {1, redis.call('HLEN', KEYS[1])}`,
  },
};

/**
 * ChannelStore in Redis. Per channel (one hash slot): `members`, a hash uid → `<sessionId>|<node>`.
 * Per session (the user's slot): `chans:<sessionId>`, the set of channels whose entry belongs to
 * that session, so a survivor can clear a dead node's sessions. (Fan-out needs no list of nodes:
 * the nodes with members listen on the channel's pub/sub topic.)
 */
export class RedisChannelStore implements ChannelStore {
  private readonly scripts;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.scripts = defineScripts(redis, SCRIPTS);
  }

  private ch(appId: string, channelId: string): string[] {
    return [this.keys.channel(appId, channelId, 'members')];
  }

  private sessionChannels(appId: string, uid: string, sessionId: string): string {
    return this.keys.user(appId, uid, `chans:${sessionId}`);
  }

  async join(appId: string, channelId: string, member: ChannelMember): Promise<MembershipChange> {
    const [[changed, count, prevSid]] = await Promise.all([
      this.scripts.chJoin(this.ch(appId, channelId), [
        member.uid,
        member.sessionId,
        member.nodeId,
      ]) as Promise<[number, number, string]>,
      this.redis.sadd(this.sessionChannels(appId, member.uid, member.sessionId), channelId),
    ]);
    if (prevSid && prevSid !== member.sessionId)
      await this.redis.srem(this.sessionChannels(appId, member.uid, prevSid), channelId);
    return { changed: changed === 1, count };
  }

  async leave(appId: string, channelId: string, uid: string, sessionId: string): Promise<MembershipChange> {
    const [changed, count] = (await this.scripts.chLeave(this.ch(appId, channelId), [uid, sessionId])) as [
      number,
      number,
    ];
    if (changed === 1) await this.redis.srem(this.sessionChannels(appId, uid, sessionId), channelId);
    return { changed: changed === 1, count };
  }

  async channelsOf(appId: string, uid: string, sessionId: string): Promise<string[]> {
    return this.redis.smembers(this.sessionChannels(appId, uid, sessionId));
  }

  async members(appId: string, channelId: string): Promise<string[]> {
    return this.redis.hkeys(this.keys.channel(appId, channelId, 'members'));
  }

  async counts(appId: string, channelIds: readonly string[]): Promise<number[]> {
    return Promise.all(channelIds.map((c) => this.redis.hlen(this.keys.channel(appId, c, 'members'))));
  }
}
