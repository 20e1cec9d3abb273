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
    mesh.on('deliver', (p) => {
      const { appId, uid, msg } = p as { appId: string; uid: string; msg: Uint8Array };
      const s = sessions.local(appId, uid);
      if (!s) return false;
      s.send(msg);
      return true;
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
