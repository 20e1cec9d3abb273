import type { NodeMesh } from '../cluster/node-mesh.js';
import type { QuotasOf, ServerConfig } from '../config.js';
import type { MemberFanout } from '../delivery/member-fanout.js';
import type { PeerDelivery } from '../delivery/peer-delivery.js';
import type { ChannelRooms } from '../delivery/rooms.js';
import type { UserDelivery } from '../delivery/user-delivery.js';
import type { ActivityFeed } from '../kernel/activity-feed.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../ports/store.js';
import type { TicketTable } from '../kernel/ticket-table.js';
import type { ClientSession } from './client-session.js';
import type { FeatureRegistry } from './registry.js';
import type { FeatureServices } from './services.js';

/** Where features register their request and event handlers and their hooks. */
export type FeatureRegistrar = Pick<FeatureRegistry, 'request' | 'onClientEvent' | 'hook'>;

/**
 * What features may use, built once in createServer. Each feature's `register` names the part it
 * needs (a Pick of this). Features never import adapters, the session layer or each other: they
 * reach users through `users`/`peers`, channels through `rooms`, and other features' operations
 * through `services`.
 */
export interface FeatureContext {
  config: ServerConfig;
  /** the per-app quotas, resolved once in createServer */
  quotas: QuotasOf;
  log: Logger;
  metrics: Metrics;
  store: Store;
  registry: FeatureRegistrar;
  /** the one way to reach a user's session (one-way events, acked hand-offs, backlog first) */
  users: UserDelivery;
  /** the send path of peer messages (ids, offline inbox, quotas, send keys), shared with REST */
  peers: PeerDelivery;
  /** a channel's members on every node */
  rooms: ChannelRooms;
  /** channel events in two encodings (Signaling and RTM members) */
  fanout: MemberFanout;
  /** the node mesh, for features with cluster messages of their own (presence, invitations) */
  mesh: NodeMesh;
  /** what happens (logins, joins, messages), for features that report it (webhooks, event reads) */
  activity: ActivityFeed;
  /** single-use tickets that authorize a session's media transfers over HTTP (http/routes/media.ts) */
  mediaTickets: TicketTable<ClientSession>;
  /** operations features offer each other (Signaling reuses channels, attributes, invitations) */
  services: FeatureServices;
}

/** A capability: registers its handlers over the part `K` of the context it names. */
export interface Feature<K extends keyof FeatureContext = keyof FeatureContext> {
  name: string;
  register(ctx: Pick<FeatureContext, K>): void;
}
