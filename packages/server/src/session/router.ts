import type { NodeMesh } from './node-mesh.js';
import type { RouteCache } from './route-cache.js';
import type { SessionManager } from './session-manager.js';

/**
 * Delivers encoded messages to users wherever their session lives: directly when it is on this
 * node, through the node mesh otherwise.
 */
export class Router {
  constructor(
    private readonly sessions: SessionManager,
    readonly routes: RouteCache,
    private readonly mesh: NodeMesh,
  ) {
    mesh.on('deliver', (p, from) => {
      const { appId, uid, msg } = p as { appId: string; uid: string; msg: Uint8Array };
      const s = sessions.local(appId, uid);
      if (!s) {
        // The sender's cached route is stale: tell it (the message itself is one-way, and lost).
        void mesh.send(from, 'route.gone', [appId, uid]).catch(() => undefined);
        return false;
      }
      s.send(msg);
      return true;
    });
    mesh.on('route.gone', (p) => {
      const [appId, uid] = p as [string, string];
      routes.forget(appId, uid);
    });
  }

  /** Sends `msg` to the user's session. Resolves false when the user has no session. */
  async toUser(appId: string, uid: string, msg: Uint8Array): Promise<boolean> {
    const s = this.sessions.local(appId, uid);
    if (s) {
      s.send(msg);
      return true;
    }
    const node = await this.routes.remoteNode(appId, uid);
    if (node === null) return false;
    // Nobody listening there: that node died; read the registry next time.
    if ((await this.mesh.send(node, 'deliver', { appId, uid, msg })) === 0) this.routes.forget(appId, uid);
    return true;
  }
}
