import type { ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Bus } from '../ports/bus.js';
import type { Store } from '../ports/store.js';
import type { NodeMesh } from '../session/node-mesh.js';
import type { Router } from '../session/router.js';
import type { SessionManager } from '../session/session-manager.js';
import type { FeatureRegistry } from './registry.js';

/** Everything a feature module may use. Features never import adapters. */
export interface FeatureContext {
  config: ServerConfig;
  log: Logger;
  metrics: Metrics;
  store: Store;
  bus: Bus;
  mesh: NodeMesh;
  router: Router;
  sessions: SessionManager;
  registry: FeatureRegistry;
}

export interface Feature {
  name: string;
  register(ctx: FeatureContext): void;
}
