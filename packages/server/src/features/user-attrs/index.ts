import {
  AttributeOperationError as AttrErr,
  checkAttrEntries,
  checkAttrKeys,
  checkAttrTotals,
  isValidUserId,
  RequestOps,
  type SetUserAttrsRequest,
  type AttrPair,
  type GetUserAttrsResponse,
} from '@parley/protocol';
import { KeyedSerialQueue } from '../../kernel/serial-queue.js';
import type { ClientSession as Session } from '../client-session.js';
import type { Feature, FeatureContext } from '../context.js';
import { takeRate } from '../rates.js';
import { fail, ok, type Reply } from '../registry.js';

/**
 * User attributes: a user's own key/value pairs, readable by anyone in the app, living as long
 * as the session that set them (Agora semantics; reading a user without a session is
 * USER_NOT_FOUND). Writes of a session run one after another, against a copy of its set kept
 * with the session, so a merge is checked against exactly what it merges into.
 */
/** What the user-attrs feature uses of the context. */
type Needs = 'store' | 'registry';

export const userAttrsFeature: Feature<Needs> = {
  name: 'user-attrs',
  register(ctx: Pick<FeatureContext, Needs>) {
    const { store } = ctx;
    /** the session's attribute set as last written (its own node is its only writer) */
    const current = new WeakMap<Session, Map<string, string>>();
    const queues = new KeyedSerialQueue<Session>(new WeakMap());
    const serial = (s: Session, fn: () => Promise<Reply>): Promise<Reply> => queues.run(s, fn);

    const takeWrite = (s: Session) => takeRate(s, 'userAttrs.write');
    const takeRead = (s: Session) => takeRate(s, 'userAttrs.read');

    /** Checks and stores the session's next attribute set. */
    const commit = async (s: Session, next: Map<string, string>): Promise<Reply> => {
      const code = checkAttrTotals(next, s.limits.userAttrs);
      if (code) return fail(code);
      await store.userAttrs.put(s.appId, s.uid, s.id, next);
      current.set(s, next);
      // Ended while the store answered: its end hook may have run already; leave nothing behind.
      if (s.phase === 'ended') await store.userAttrs.drop(s.appId, s.uid, s.id);
      return ok(null);
    };

    /** Checks decoded `attrs` pairs against the limits; returns the pairs or the error reply. */
    const pairsOf = (s: Session, body: SetUserAttrsRequest): AttrPair[] | Reply => {
      const code = checkAttrEntries(body.attrs, s.limits.userAttrs);
      return code ? fail(code) : body.attrs;
    };

    ctx.registry.request('user-attrs', RequestOps.SetUserAttrs, (s, body) => {
      const pairs = pairsOf(s, body);
      if (!Array.isArray(pairs)) return pairs;
      if (!takeWrite(s)) return fail(AttrErr.TOO_OFTEN);
      return serial(s, () => commit(s, new Map(pairs)));
    });

    ctx.registry.request('user-attrs', RequestOps.AddOrUpdateUserAttrs, (s, body) => {
      const pairs = pairsOf(s, body);
      if (!Array.isArray(pairs)) return pairs;
      if (!takeWrite(s)) return fail(AttrErr.TOO_OFTEN);
      return serial(s, () => {
        const next = new Map(current.get(s));
        for (const [k, v] of pairs) next.set(k, v);
        return commit(s, next);
      });
    });

    ctx.registry.request('user-attrs', RequestOps.DeleteUserAttrs, (s, body) => {
      const keys = body.keys;
      if (checkAttrKeys(keys, s.limits.userAttrs, Number.MAX_SAFE_INTEGER))
        return fail(AttrErr.INVALID_ARGUMENT);
      if (!takeWrite(s)) return fail(AttrErr.TOO_OFTEN);
      return serial(s, () => {
        const next = new Map(current.get(s));
        for (const k of keys) next.delete(k);
        return commit(s, next);
      });
    });

    ctx.registry.request('user-attrs', RequestOps.ClearUserAttrs, (s) => {
      if (!takeWrite(s)) return fail(AttrErr.TOO_OFTEN);
      return serial(s, () => commit(s, new Map()));
    });

    /** Reads a user's attributes (only `keys`, when given); USER_NOT_FOUND without a session. */
    const read = async (s: Session, uid: string, keys?: string[]): Promise<Reply> => {
      const rec = await store.sessions.lookup(s.appId, uid);
      if (!rec) return fail(AttrErr.USER_NOT_FOUND);
      const attrs = await store.userAttrs.get(s.appId, uid, keys);
      // Attributes left by an earlier session of the user are not this session's.
      const pairs: AttrPair[] = attrs && attrs.sessionId === rec.sessionId ? [...attrs.attrs] : [];
      return ok({ attrs: pairs } satisfies GetUserAttrsResponse);
    };

    ctx.registry.request('user-attrs', RequestOps.GetUserAttrs, (s, body) => {
      if (!isValidUserId(body.uid)) return fail(AttrErr.INVALID_ARGUMENT);
      if (!takeRead(s)) return fail(AttrErr.TOO_OFTEN);
      return read(s, body.uid);
    });

    ctx.registry.request('user-attrs', RequestOps.GetUserAttrsByKeys, (s, body) => {
      if (!isValidUserId(body.uid)) return fail(AttrErr.INVALID_ARGUMENT);
      if (checkAttrKeys(body.keys, s.limits.userAttrs, s.limits.maxKeysPerGet))
        return fail(AttrErr.INVALID_ARGUMENT);
      if (!takeRead(s)) return fail(AttrErr.TOO_OFTEN);
      return read(s, body.uid, body.keys);
    });

    ctx.registry.hook('sessionEnd', (s) => store.userAttrs.drop(s.appId, s.uid, s.id));
  },
};
