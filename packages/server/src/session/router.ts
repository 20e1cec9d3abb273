import type { Store } from '../ports/store.js';
import type { NodeMesh } from './node-mesh.js';
import type { SessionManager } from './session-manager.js';

/**
 * Delivers encoded messages to users wherever their session lives: directly when it is on this
 * node, through the node mesh otherwise.
 */
export class Router {
  constructor(
    private readonly sessions: SessionManager,
    private readonly store: Store,
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
    const rec = await this.store.sessions.lookup(appId, uid);
    if (!rec || rec.nodeId === this.mesh.nodeId) return false;
    await this.mesh.send(rec.nodeId, 'deliver', { appId, uid, msg });
    return true;
  }
}
