import type { RedisClient } from './connection.js';
import type {
  InvitationMatch,
  InvitationPatch,
  InvitationPhase,
  InvitationRecord,
  InvitationStore,
} from '../../ports/invitation-store.js';
import { defineScripts } from './connection.js';
import type { RedisKeys } from './keys.js';

/**
 * Lua: checks the record against a match given as ARGV[1] = allowed phases (comma-separated),
 * ARGV[2] = n, then n (field, value) pairs. Returns the index of the first ARGV after the match,
 * or false when the record is gone or does not match.
 */
const MATCH = `local function match()
  local phase = redis.call('HGET', KEYS[1], 'phase')
  if not phase then return false end
  local ok = false
  for p in string.gmatch(ARGV[1], '[^,]+') do if p == phase then ok = true end end
  if not ok then return false end
  local n = tonumber(ARGV[2])
  for i = 0, n - 1 do
    if redis.call('HGET', KEYS[1], ARGV[3 + 2 * i]) ~= ARGV[4 + 2 * i] then return false end
  end
  return 3 + 2 * n
end`;

const SCRIPTS = {
  /** KEYS[1] record; ARGV: match, then patch (field, value) pairs → the record after, or nil */
  invAdvance: {
    keys: 1,
    lua: `${MATCH}
local p = match()
if not p then return false end
if #ARGV >= p then
  redis.call('HSET', KEYS[1], unpack(ARGV, p))
  for i = p, #ARGV, 2 do
    if ARGV[i] == 'keepUntil' then redis.call('PEXPIREAT', KEYS[1], ARGV[i + 1]) end
  end
end
return redis.call('HGETALL', KEYS[1])`,
  },
  /** KEYS[1] record; ARGV: match → the record as it was (now removed), or nil */
  invFinish: {
    keys: 1,
    lua: `${MATCH}
if not match() then return false end
local all = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return all`,
  },
  /** KEYS[1] a user's index; ARGV: createdAt, id, keepUntil → indexes, and keeps the index until the last keepUntil */
  invIndex: {
    keys: 1,
    lua: `redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PEXPIRETIME', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIREAT', KEYS[1], ARGV[3]) end
return 1`,
  },
};

/** Record fields as hash fields; `calleeSessionId: null` is stored as ''. Session ids are never empty. */
function toHash(r: InvitationRecord): string[] {
  return [
    'id',
    r.id,
    'appId',
    r.appId,
    'caller',
    r.caller,
    'callerSessionId',
    r.callerSessionId,
    'callee',
    r.callee,
    'calleeSessionId',
    r.calleeSessionId ?? '',
    'ownerNode',
    r.ownerNode,
    'content',
    r.content,
    'channelId',
    r.channelId,
    'phase',
    r.phase,
    'response',
    r.response,
    'createdAt',
    String(r.createdAt),
    'deadline',
    String(r.deadline),
    'keepUntil',
    String(r.keepUntil),
  ];
}

function fromFlat(flat: unknown[] | null): InvitationRecord | null {
  if (!flat || flat.length === 0) return null;
  const h: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) h[String(flat[i])] = String(flat[i + 1]);
  return {
    id: h.id!,
    appId: h.appId!,
    caller: h.caller!,
    callerSessionId: h.callerSessionId!,
    callee: h.callee!,
    calleeSessionId: h.calleeSessionId ? h.calleeSessionId : null,
    ownerNode: h.ownerNode!,
    content: h.content ?? '',
    channelId: h.channelId ?? '',
    phase: h.phase as InvitationPhase,
    response: h.response ?? '',
    createdAt: Number(h.createdAt),
    deadline: Number(h.deadline),
    keepUntil: Number(h.keepUntil),
  };
}

function matchArgs(m: InvitationMatch): string[] {
  const pairs: string[] = [];
  if (m.caller !== undefined) pairs.push('caller', m.caller);
  if (m.callee !== undefined) pairs.push('callee', m.callee);
  if (m.callerSessionId !== undefined) pairs.push('callerSessionId', m.callerSessionId);
  if (m.calleeSessionId !== undefined) pairs.push('calleeSessionId', m.calleeSessionId);
  return [m.phases.join(','), String(pairs.length / 2), ...pairs];
}

function patchArgs(p: InvitationPatch): string[] {
  const out: string[] = [];
  if (p.phase !== undefined) out.push('phase', p.phase);
  if (p.calleeSessionId !== undefined) out.push('calleeSessionId', p.calleeSessionId ?? '');
  if (p.response !== undefined) out.push('response', p.response);
  if (p.deadline !== undefined) out.push('deadline', String(p.deadline));
  if (p.keepUntil !== undefined) out.push('keepUntil', String(p.keepUntil));
  return out;
}

/**
 * InvitationStore in Redis: one hash per invitation (its own hash slot) expiring at `keepUntil`,
 * so an invitation whose owner node died cannot outlive it; every change is one compare-and-set
 * script on it. Each user has a sorted set `invs` (id by createdAt) in their slot, kept alive until
 * the last of its invitations may expire; ids of expired records are pruned when read.
 */
export class RedisInvitationStore implements InvitationStore {
  private readonly scripts;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.scripts = defineScripts(redis, SCRIPTS);
  }

  private rec(appId: string, id: string): string {
    return this.keys.invitation(appId, id, 'rec');
  }

  private idx(appId: string, uid: string): string {
    return this.keys.user(appId, uid, 'invs');
  }

  private index(
    r: Pick<InvitationRecord, 'appId' | 'id' | 'caller' | 'callee' | 'createdAt' | 'keepUntil'>,
  ): Promise<unknown>[] {
    const args = [r.createdAt, r.id, r.keepUntil];
    return [
      this.scripts.invIndex([this.idx(r.appId, r.caller)], args),
      this.scripts.invIndex([this.idx(r.appId, r.callee)], args),
    ];
  }

  async create(rec: InvitationRecord): Promise<void> {
    const k = this.rec(rec.appId, rec.id);
    await Promise.all([
      this.redis.hset(k, ...toHash(rec)),
      this.redis.pexpireat(k, rec.keepUntil),
      ...this.index(rec),
    ]);
  }

  async get(appId: string, id: string): Promise<InvitationRecord | null> {
    return fromFlat((await this.redis.call('HGETALL', this.rec(appId, id))) as unknown[]);
  }

  async advance(
    appId: string,
    id: string,
    match: InvitationMatch,
    patch: InvitationPatch,
  ): Promise<InvitationRecord | null> {
    const r = fromFlat(
      (await this.scripts.invAdvance([this.rec(appId, id)], [...matchArgs(match), ...patchArgs(patch)])) as
        | unknown[]
        | null,
    );
    if (r && patch.keepUntil !== undefined) await Promise.all(this.index(r));
    return r;
  }

  async finish(appId: string, id: string, match: InvitationMatch): Promise<InvitationRecord | null> {
    const r = fromFlat(
      (await this.scripts.invFinish([this.rec(appId, id)], matchArgs(match))) as unknown[] | null,
    );
    if (r)
      await Promise.all([
        this.redis.zrem(this.idx(appId, r.caller), id),
        this.redis.zrem(this.idx(appId, r.callee), id),
      ]);
    return r;
  }

  async listForUser(appId: string, uid: string): Promise<InvitationRecord[]> {
    const ids = await this.redis.zrange(this.idx(appId, uid), '0', '-1');
    if (ids.length === 0) return [];
    const recs = await Promise.all(ids.map((id) => this.get(appId, id)));
    const out: InvitationRecord[] = [];
    const gone: string[] = [];
    recs.forEach((r, i) => {
      if (r) out.push(r);
      else gone.push(ids[i]!);
    });
    if (gone.length) await this.redis.zrem(this.idx(appId, uid), ...gone);
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }
}
