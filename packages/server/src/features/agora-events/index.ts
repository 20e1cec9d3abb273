import type { EventQueueKind, QueuedEvent } from '../../ports/event-queue-store.js';
import type { Feature } from '../context.js';

/** Events kept per app and kind for Agora's pull reads (Agora keeps 2,000). */
export const EVENTS_KEPT = 2000;

/**
 * Agora's user and channel events for back-ends that pull them (`GET …/rtm/vendor/user_events`,
 * `…/channel_events`, docs/rest-api.md): logins and session ends, joins and leaves, queued per
 * app in the Store's event queues. The activity feed emits each once in the cluster, so each is
 * queued once; the REST API takes them out.
 */
export const agoraEventsFeature: Feature<'activity' | 'store' | 'log'> = {
  name: 'agora-events',
  register({ activity, store, log }) {
    const failed = (err: unknown) => log.warn({ err }, 'could not queue an event for the REST event reads');
    // Queued after the emitter's own writes of this tick (in cluster mode, e.g. the member
    // event's publish on the same Redis connection), so that the queue never delays them.
    const push = (appId: string, kind: EventQueueKind, ev: QueuedEvent) =>
      queueMicrotask(() => {
        store.events.push(appId, kind, ev, EVENTS_KEPT).catch(failed);
      });
    activity.on(['user.online', 'user.offline'], (e) => {
      push(e.appId, 'user', {
        type: e.type === 'user.online' ? 'Login' : 'Logout',
        subject: e.uid,
        ts: e.ts,
      });
    });
    activity.on(['channel.member_joined', 'channel.member_left'], (e) => {
      const type = e.type === 'channel.member_joined' ? 'Join' : 'Leave';
      push(e.appId, 'channel', { type, subject: e.channelId, uid: e.uid, ts: e.ts });
    });
  },
};
