import type { QueuedEvent } from '../../ports/event-queue-store.js';
import type { RestServices } from '../rest-services.js';
import type { Principal } from './auth.js';
import { agoraError } from './errors.js';
import type { AgoraRoute, Json } from './route.js';

/** Events answered per read at most (Agora's). */
export const EVENTS_PER_READ = 1000;

/** Both spellings of Agora's docs: `ms` and the older `ts`. */
const userEvent = (e: QueuedEvent) => ({ user_id: e.subject, type: e.type, ms: e.ts, ts: e.ts });
/** …and `group_id` with the older `channel_id`. */
const channelEvent = (e: QueuedEvent) => ({
  group_id: e.subject,
  channel_id: e.subject,
  user_id: e.uid,
  type: e.type,
  ms: e.ts,
  ts: e.ts,
});

/** Every user's events are a back-end's to read: not a token caller's. */
function backEndOnly(p: Principal): void {
  if (p.uid !== null)
    throw agoraError(403, 'forbidden', 'events are read with customer credentials (Basic), not a user token');
}

/**
 * Agora's event pulls (`GET …/vendor/user_events`, `…/vendor/channel_events`, and the older
 * `…/hook/...` paths): destructive reads of the app's queued events, oldest first, cluster-wide.
 */
export function eventRoutes(services: RestServices): AgoraRoute[] {
  const shapes: Record<'user' | 'channel', (e: QueuedEvent) => Json> = {
    user: userEvent,
    channel: channelEvent,
  };
  return ['vendor', 'hook'].flatMap((dir) =>
    (['user', 'channel'] as const).map(
      (kind): AgoraRoute => ({
        method: 'GET',
        url: `/${dir}/${kind}_events`,
        summary: `Takes out up to 1,000 of the app's oldest ${kind === 'user' ? 'Login/Logout' : 'Join/Leave'} events (destructive read${dir === 'hook' ? '; the older path' : ''})`,
        rate: 'events',
        async run({ appId, principal }) {
          backEndOnly(principal);
          return { events: (await services.takeEvents(appId, kind, EVENTS_PER_READ)).map(shapes[kind]) };
        },
      }),
    ),
  );
}
