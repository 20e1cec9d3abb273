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
    activity.on(['user.online', 'user.offline'], (e) => {
      const type = e.type === 'user.online' ? 'Login' : 'Logout';
      store.events.push(e.appId, 'user', { type, subject: e.uid, ts: e.ts }, EVENTS_KEPT).catch(failed);
    });
    activity.on(['channel.member_joined', 'channel.member_left'], (e) => {
      const type = e.type === 'channel.member_joined' ? 'Join' : 'Leave';
      const ev = { type, subject: e.channelId, uid: e.uid, ts: e.ts };
      store.events.push(e.appId, 'channel', ev, EVENTS_KEPT).catch(failed);
    });
  },
};
