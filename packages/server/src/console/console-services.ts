import { scryptSync } from 'node:crypto';
import { encodeEvent, Op, type AttributesUpdatedEvent } from '@parley/protocol';
import type { NodeCensus } from '../cluster/node-census.js';
import type { ServerConfig } from '../config.js';
import type { ChannelRooms } from '../delivery/rooms.js';
import type {
  ConsoleApp,
  ConsoleChannel,
  ConsoleEvent,
  ConsoleServices,
  ConsoleUser,
  NodeStats,
  TailCursor,
} from '../http/console-services.js';
import type { ActivityFeed } from '../kernel/activity-feed.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../ports/store.js';
import { secretEqual } from '../kernel/secret-equal.js';
import type { SessionManager } from '../session/session-manager.js';
import { ActivityLog } from './activity-log.js';
import { readNodeStats } from './node-stats.js';

export interface ConsoleDeps {
  config: ServerConfig;
  metrics: Metrics;
  activity: ActivityFeed;
  sessions: SessionManager;
  store: Store;
  rooms: ChannelRooms;
  census: NodeCensus;
}

/** How long a cluster question waits for the other nodes, ms (a silent node is left out). */
const CENSUS_TIMEOUT_MS = 1500;

/**
 * The web console's view of the server (docs/console.md), for http/routes/console-api.ts:
 * cluster-wide reads go through the store (users, channels) or the census (per-node counters,
 * sessions per app, each node's event log). Built only when an admin password is set.
 */
export function consoleServices(d: ConsoleDeps): ConsoleServices & { close(): void } {
  const { config, store, census } = d;
  const log = new ActivityLog(d.activity, config.nodeId);

  census.answer('stats', () => readNodeStats(config.nodeId, d.metrics));
  census.answer('apps', () => {
    const counts: Record<string, number> = {};
    for (const s of d.sessions.all()) counts[s.appId] = (counts[s.appId] ?? 0) + 1;
    return counts;
  });
  const eventsAfter = (cursor: TailCursor) => log.after(cursor[config.nodeId] ?? 0);
  census.answer('events', (cursor) => eventsAfter((cursor ?? {}) as TailCursor));

  const retention = { maxMessages: config.historyMessages, maxAgeMs: config.historyMs };

  return {
    nodeId: config.nodeId,
    // scrypt, not a plain hash: a stolen cookie must not make guessing the password cheap offline.
    cookieSecret: scryptSync(config.adminPassword, 'parley-console-cookie', 32).toString('hex'),
    checkPassword: (given) => config.adminPassword !== '' && secretEqual(given, config.adminPassword),

    async overview(scope) {
      if (scope === 'node') return [await readNodeStats(config.nodeId, d.metrics)];
      const nodes = await census.ask('stats', null, CENSUS_TIMEOUT_MS);
      return [...nodes.values()].map((v) => v as NodeStats).sort((a, b) => a.nodeId.localeCompare(b.nodeId));
    },

    async apps() {
      const byNode = (await census.ask('apps', null, CENSUS_TIMEOUT_MS)) as Map<
        string,
        Record<string, number>
      >;
      const apps = new Map<string, ConsoleApp>();
      for (const a of config.apps)
        apps.set(a.appId, { appId: a.appId, certificate: Boolean(a.appCertificate), sessions: {} });
      for (const [node, counts] of byNode)
        for (const [appId, n] of Object.entries(counts)) {
          let app = apps.get(appId);
          if (!app) apps.set(appId, (app = { appId, certificate: false, sessions: {} }));
          app.sessions[node] = n;
        }
      return [...apps.values()].sort((a, b) => a.appId.localeCompare(b.appId));
    },

    async user(appId, uid): Promise<ConsoleUser> {
      const rec = await store.sessions.lookup(appId, uid);
      if (!rec)
        return {
          appId,
          uid,
          state: 'OFFLINE',
          node: null,
          sessionId: null,
          channels: [],
          attributes: {},
          subscriptions: 0,
        };
      const [channels, attrs, targets] = await Promise.all([
        store.channels.channelsOf(appId, uid, rec.sessionId),
        store.userAttrs.get(appId, uid),
        store.presence.targetsOf(appId, uid, rec.sessionId),
      ]);
      // Attributes of an earlier session are void (they belong to the session that set them).
      const own = attrs && attrs.sessionId === rec.sessionId ? attrs.attrs : new Map<string, string>();
      return {
        appId,
        uid,
        state: rec.state,
        node: rec.nodeId,
        sessionId: rec.sessionId,
        channels: channels.sort(),
        attributes: Object.fromEntries(own),
        subscriptions: targets.length,
      };
    },

    async channel(appId, channelId): Promise<ConsoleChannel> {
      const [members, attributes, history] = await Promise.all([
        store.channels.members(appId, channelId),
        store.channelAttrs.get(appId, channelId),
        store.history.since(appId, channelId, { id: null, ts: 0 }, retention),
      ]);
      return {
        appId,
        channelId,
        members: members.sort(),
        count: members.length,
        attributes,
        history: history.map((h) =>
          h.msg.type === 'TEXT'
            ? { id: h.id, ts: h.ts, from: h.from, text: h.msg.text }
            : { id: h.id, ts: h.ts, from: h.from, rawBytes: h.msg.raw?.byteLength ?? 0 },
        ),
      };
    },

    async events(cursor: TailCursor, scope) {
      const byNode =
        scope === 'cluster'
          ? ((await census.ask('events', cursor, CENSUS_TIMEOUT_MS)) as Map<string, ConsoleEvent[]>)
          : new Map([[config.nodeId, eventsAfter(cursor)]]);
      const events: ConsoleEvent[] = [];
      const next: TailCursor = { ...cursor };
      for (const [node, list] of byNode) {
        events.push(...list);
        const last = list.at(-1);
        if (last) next[node] = last.seq;
      }
      events.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
      return { events, cursor: next };
    },

    endSession: (appId, uid) => d.sessions.endByOperator(appId, uid),

    async deleteChannelAttributes(appId, channelId, keys, operator) {
      const after =
        keys === null
          ? await store.channelAttrs.replace(appId, channelId, [])
          : await store.channelAttrs.remove(appId, channelId, keys);
      if (d.activity.watched('channel.attributes_updated'))
        d.activity.emit({
          type: 'channel.attributes_updated',
          appId,
          channelId,
          uid: operator,
          ts: Date.now(),
          change: keys === null ? 'clear' : 'delete',
          keys: keys ?? [],
        });
      const ev: AttributesUpdatedEvent = {
        channelId,
        attrs: after.map((a) => [a.key, a.value, a.lastUpdateUserId, a.lastUpdateTs]),
      };
      await d.rooms.broadcast(appId, channelId, encodeEvent(Op.AttributesUpdated, ev), null);
      return after.map((a) => a.key);
    },

    close: () => log.close(),
  };
}
