import type {
  InvitationMatch,
  InvitationPatch,
  InvitationRecord,
  InvitationStore,
} from '../../ports/invitation-store.js';

const key = (appId: string, x: string) => `${appId}\u0000${x}`;

function matches(r: InvitationRecord, m: InvitationMatch): boolean {
  return (
    m.phases.includes(r.phase) &&
    (m.caller === undefined || r.caller === m.caller) &&
    (m.callee === undefined || r.callee === m.callee) &&
    (m.callerSessionId === undefined || r.callerSessionId === m.callerSessionId) &&
    (m.calleeSessionId === undefined || r.calleeSessionId === m.calleeSessionId)
  );
}

/**
 * InvitationStore in process memory. Every method runs synchronously inside its promise, so each
 * compare-and-set is atomic. Records past `keepUntil` are dropped when next touched.
 */
export class MemoryInvitationStore implements InvitationStore {
  private readonly byId = new Map<string, InvitationRecord>();
  private readonly byUser = new Map<string, Set<string>>();

  async create(rec: InvitationRecord): Promise<void> {
    this.byId.set(key(rec.appId, rec.id), { ...rec });
    this.index(rec.appId, rec.caller, rec.id);
    this.index(rec.appId, rec.callee, rec.id);
  }

  async get(appId: string, id: string): Promise<InvitationRecord | null> {
    const r = this.live(appId, id);
    return r ? { ...r } : null;
  }

  async advance(
    appId: string,
    id: string,
    match: InvitationMatch,
    patch: InvitationPatch,
  ): Promise<InvitationRecord | null> {
    const r = this.live(appId, id);
    if (!r || !matches(r, match)) return null;
    Object.assign(r, patch);
    return { ...r };
  }

  async finish(appId: string, id: string, match: InvitationMatch): Promise<InvitationRecord | null> {
    const r = this.live(appId, id);
    if (!r || !matches(r, match)) return null;
    this.remove(r);
    return { ...r };
  }

  async listForUser(appId: string, uid: string): Promise<InvitationRecord[]> {
    const ids = this.byUser.get(key(appId, uid));
    if (!ids) return [];
    const out: InvitationRecord[] = [];
    for (const id of [...ids]) {
      const r = this.live(appId, id);
      if (r) out.push({ ...r });
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Number of live records (tests check nothing leaks). */
  get size(): number {
    return this.byId.size;
  }

  private live(appId: string, id: string): InvitationRecord | undefined {
    const r = this.byId.get(key(appId, id));
    if (r && r.keepUntil <= Date.now()) {
      this.remove(r);
      return undefined;
    }
    return r;
  }

  private index(appId: string, uid: string, id: string): void {
    const k = key(appId, uid);
    let s = this.byUser.get(k);
    if (!s) this.byUser.set(k, (s = new Set()));
    s.add(id);
  }

  private unindex(appId: string, uid: string, id: string): void {
    const k = key(appId, uid);
    const s = this.byUser.get(k);
    if (!s) return;
    s.delete(id);
    if (s.size === 0) this.byUser.delete(k);
  }

  private remove(r: InvitationRecord): void {
    this.byId.delete(key(r.appId, r.id));
    this.unindex(r.appId, r.caller, r.id);
    this.unindex(r.appId, r.callee, r.id);
  }
}
