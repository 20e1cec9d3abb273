import {
  PeerSubscriptionStatusError as SubErr,
  QueryPeersOnlineStatusError as QueryErr,
  isValidUserId,
  RequestOps,
  type PeerOnlineState,
  type QueryPeersOnlineResponse,
  type SubscribePeersResponse,
} from '@parley/protocol';
import type { Feature, FeatureContext } from '../context.js';
import { takeRate } from '../rates.js';
import { fail, limited, ok, overBy, type Reply } from '../registry.js';
import { StatusAnnouncer } from './announcer.js';

/**
 * Checks decoded `ids` (RequestOps): `'tooMany'` when the list is longer than `max` (the SDK
 * checks that: a strike), `'invalid'` when it is empty or holds an invalid id.
 */
function idsOf(ids: string[], max: number): string[] | 'invalid' | 'tooMany' {
  if (ids.length > max) return 'tooMany';
  if (ids.length === 0) return 'invalid';
  for (const id of ids) if (!isValidUserId(id)) return 'invalid';
  return ids;
}

/**
 * Online status: queries, subscriptions, and reports of every change to the subscribers.
 * ONLINE = socket up, UNREACHABLE = session in its grace period, OFFLINE = no session. The
 * session registry holds the state; this feature keeps who watches whom (PresenceStore) and
 * turns session hooks into reports (StatusAnnouncer). See docs/presence.md.
 */
/** What the presence feature uses of the context. */
type Needs = 'config' | 'registry' | 'store' | 'log' | 'mesh' | 'metrics' | 'users';

export const presenceFeature: Feature<Needs> = {
  name: 'presence',
  register(ctx: Pick<FeatureContext, Needs>) {
    const announcer = new StatusAnnouncer(ctx);
    const { store } = ctx;

    const statesOf = async (appId: string, ids: string[]): Promise<PeerOnlineState[]> =>
      (await store.sessions.lookupMany(appId, ids)).map((r) => (r ? r.state : 'OFFLINE'));

    ctx.registry.request('presence', RequestOps.QueryPeersOnline, async (s, body): Promise<Reply> => {
      const ids = idsOf(body.ids, s.limits.maxPeersPerQuery);
      if (ids === 'tooMany')
        return limited(QueryErr.INVALID_ARGUMENT, null, overBy(body.ids.length, s.limits.maxPeersPerQuery));
      if (ids === 'invalid') return fail(QueryErr.INVALID_ARGUMENT);
      if (!takeRate(s, 'presence.query')) return fail(QueryErr.TOO_OFTEN);
      return ok({ states: await statesOf(s.appId, ids) } satisfies QueryPeersOnlineResponse);
    });

    ctx.registry.request('presence', RequestOps.SubscribePeers, async (s, body): Promise<Reply> => {
      const max = s.limits.maxSubscribedPeers;
      // A list longer than the cap is an overflow at once, before any per-id work (the SDK sends
      // distinct ids and checks the cap itself); so is a list of more distinct ids than the cap.
      const ids = idsOf(body.ids, max);
      if (ids === 'tooMany') return limited(SubErr.OVERFLOW, null, overBy(body.ids.length, max));
      if (ids === 'invalid') return fail(SubErr.INVALID_ARGUMENT);
      const unique = [...new Set(ids)];
      if (unique.length > max) return limited(SubErr.OVERFLOW);
      if (!takeRate(s, 'presence.subscription')) return fail(SubErr.TOO_OFTEN);
      const r = await store.presence.subscribe(
        s.appId,
        { uid: s.uid, sessionId: s.id, nodeId: ctx.config.nodeId },
        unique,
        max,
      );
      if (!r.ok) return limited(SubErr.OVERFLOW);
      // The session may have ended while the store answered; leave nothing behind.
      if (s.phase === 'ended') await store.presence.dropWatcher(s.appId, s.uid, s.id);
      return ok({ states: await statesOf(s.appId, ids) } satisfies SubscribePeersResponse);
    });

    ctx.registry.request('presence', RequestOps.UnsubscribePeers, async (s, body): Promise<Reply> => {
      const ids = idsOf(body.ids, s.limits.maxSubscribedPeers);
      if (ids === 'tooMany')
        return limited(SubErr.OVERFLOW, null, overBy(body.ids.length, s.limits.maxSubscribedPeers));
      if (ids === 'invalid') return fail(SubErr.INVALID_ARGUMENT);
      if (!takeRate(s, 'presence.subscription')) return fail(SubErr.TOO_OFTEN);
      await store.presence.unsubscribe(s.appId, s.uid, s.id, ids);
      return ok(null);
    });

    // Each lifecycle step reports the state the registry holds at that moment.
    const report = (s: { appId: string; uid: string; id: string }) =>
      announcer.announce(s.appId, s.uid, s.id);
    ctx.registry.hook('sessionStart', report);
    ctx.registry.hook('sessionDetached', report);
    ctx.registry.hook('sessionResumed', report);
    ctx.registry.hook('sessionEnd', async (s) => {
      report(s);
      await store.presence.dropWatcher(s.appId, s.uid, s.id);
    });
    ctx.registry.hook('onClose', () => announcer.drain());
  },
};
