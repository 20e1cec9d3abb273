/** A user's attributes and the session that wrote them. */
export interface UserAttrsRecord {
  /** the session that owns these attributes; they are void once it is not the user's session */
  sessionId: string;
  attrs: Map<string, string>;
}

/**
 * Store part: user attributes, per app and user. Attributes live as long as the session that
 * set them (Agora semantics): the record carries its owner so a reader can tell stale ones
 * apart, and the owner's end drops them. Only the owning session writes a user's attributes
 * and it lives on one node, which serialises its writes, so whole-set writes need no locking.
 */
export interface UserAttrsStore {
  /** The user's attributes (only `keys` of them, when given), or null if none are stored. */
  get(appId: string, uid: string, keys?: readonly string[]): Promise<UserAttrsRecord | null>;
  /** Replaces the user's whole attribute set, owned by `sessionId`. An empty map removes the entry if `sessionId` owns it. */
  put(appId: string, uid: string, sessionId: string, attrs: ReadonlyMap<string, string>): Promise<void>;
  /** Removes the user's attributes if `sessionId` owns them (a newer session's stay). */
  drop(appId: string, uid: string, sessionId: string): Promise<void>;
}
