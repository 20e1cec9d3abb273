import type { Session } from './session.js';

/** The sessions of this node, by user and by id. */
export class SessionTable {
  /** appId → uid → session: two levels, so a lookup per message builds no key string */
  private readonly byUser = new Map<string, Map<string, Session>>();
  /**
   * One App ID string per app with sessions here, shared by its sessions: a decoded one is a
   * slice of a larger string (the rest of its login frame), which each session would keep alive.
   */
  private readonly appIds = new Map<string, string>();
  private readonly byId = new Map<string, Session>();

  /** The live session of a user on this node, if any. */
  local(appId: string, uid: string): Session | undefined {
    return this.byUser.get(appId)?.get(uid);
  }

  get(sessionId: string): Session | undefined {
    return this.byId.get(sessionId);
  }

  /** The App ID string this node already holds for `appId` (or `appId` itself). */
  appId(appId: string): string {
    return this.appIds.get(appId) ?? appId;
  }

  get count(): number {
    return this.byId.size;
  }

  all(): IterableIterator<Session> {
    return this.byId.values();
  }

  add(s: Session): void {
    let users = this.byUser.get(s.appId);
    if (!users) {
      this.byUser.set(s.appId, (users = new Map()));
      this.appIds.set(s.appId, s.appId);
    }
    users.set(s.uid, s);
    this.byId.set(s.id, s);
  }

  remove(s: Session): void {
    const users = this.byUser.get(s.appId);
    if (users?.get(s.uid) === s) {
      users.delete(s.uid);
      if (users.size === 0) {
        this.byUser.delete(s.appId);
        this.appIds.delete(s.appId);
      }
    }
    this.byId.delete(s.id);
  }
}
