import type { NodeMesh } from '../cluster/node-mesh.js';
import type { RouteCache } from '../cluster/route-cache.js';
import type { ServerConfig } from '../config.js';
import type { FeatureRegistry } from '../features/registry.js';
import type { ActivityFeed } from '../kernel/activity-feed.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../ports/store.js';
import type { Authenticator } from './auth.js';
import type { SessionEnding } from './session-ending.js';
import type { SessionTable } from './session-table.js';

/** What the parts of the session layer share (built once by SessionManager). */
export interface SessionLayer {
  readonly config: ServerConfig;
  readonly auth: Authenticator;
  readonly store: Store;
  readonly mesh: NodeMesh;
  readonly routes: RouteCache;
  readonly registry: FeatureRegistry;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** logins and session ends, for webhooks, event reads and the console */
  readonly activity: ActivityFeed;
  readonly table: SessionTable;
  readonly ending: SessionEnding;
  /** the server is shutting down: logins are refused */
  closing: boolean;
}
