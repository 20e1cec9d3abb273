import {
  AttributeOperationError as AttrErr,
  Op,
  checkAttrEntries,
  checkAttrKeys,
  checkAttrTotals,
  isValidUserId,
  type AttrPair,
  type GetUserAttrsResponse,
  type Limits,
} from '@parley/protocol';
import {
  RtmInvalidArgumentError as Arg,
  RtmInvokeTooOftenError as Often,
  RtmLimitExceededError as Limit,
  RtmTimeoutError as Timeout,
  RtmUnknownError as Unknown,
  errorFrom,
  type ErrorTable,
} from './errors.js';
import { invoke, type ClientInternals, type ClientModule } from './invoke.js';
import { OwnUserAttrs } from './session/own-user-attrs.js';
import type { AttributesMap } from './types.js';

/** Error class and text per `AttributeOperationError` code (Agora's mapping). */
export const ATTRIBUTE_ERRORS: ErrorTable = {
  [AttrErr.FAILURE]: [Unknown, 'Attribute operation failure.'],
  [AttrErr.INVALID_ARGUMENT]: [Arg, 'Invalid attribute argument.'],
  [AttrErr.SIZE_OVERFLOW]: [Limit, 'The attributes exceed the size limit.'],
  [AttrErr.TOO_OFTEN]: [Often, 'Attribute operations too often.'],
  [AttrErr.USER_NOT_FOUND]: [Unknown, 'The user is offline or does not exist.'],
  [AttrErr.TIMEOUT]: [Timeout, 'Attribute operation timeout.'],
};
/** Agora's C++/Java docs: the attribute calls time out after 10 s. */
const TIMEOUT_MS = 10_000;

/**
 * Sets `obj[key] = value` as an own property, even for the key `__proto__` (a valid user id and
 * attribute key) which plain assignment would turn into a prototype change.
 */
export function setOwn<V>(obj: Record<string, V>, key: string, value: V): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

function toMap(pairs: readonly AttrPair[] | undefined): AttributesMap {
  const out: AttributesMap = {};
  for (const [k, v] of pairs ?? []) setOwn(out, k, v);
  return out;
}

/**
 * The local user's attributes and reading other users' attributes. Writes run one after
 * another, and the SDK keeps the set the server confirmed: it checks merges against it, and
 * re-applies it when the session was lost and the client logged in again (Agora does the same).
 */
export class UserAttrsApi implements ClientModule {
  /** the attributes the server confirmed for this login */
  private readonly local = new OwnUserAttrs();
  private queue: Promise<unknown> = Promise.resolve();
  /** bumped by onReset, so answers that arrive after a logout change nothing */
  private epoch = 0;

  constructor(private readonly c: ClientInternals) {}

  onEvent(_op: number, _body: unknown): boolean {
    return false;
  }

  onRelogged(): void {
    if (this.local.size === 0) return;
    // The new session starts without attributes; put back the set this client had.
    void this.write(async () => {
      await this.local.restore((op, body) => this.send(op, body));
      return () => undefined;
    }).catch(() => undefined);
  }

  onReset(): void {
    this.epoch++;
    this.local.clear();
  }

  async setLocalUserAttributes(attributes: AttributesMap): Promise<void> {
    const lim = this.limits();
    const pairs = this.pairsOf(attributes, lim);
    const next = new Map(pairs);
    this.check(checkAttrTotals(next, lim.userAttrs));
    await this.write(async () => {
      await this.send(Op.SetUserAttrs, { attrs: pairs });
      return () => {
        this.local.replace(next);
      };
    });
  }

  async addOrUpdateLocalUserAttributes(attributes: AttributesMap): Promise<void> {
    const lim = this.limits();
    const pairs = this.pairsOf(attributes, lim);
    await this.write(async () => {
      // Checked against the set as it is when this call's turn comes.
      const next = this.local.copy();
      for (const [k, v] of pairs) next.set(k, v);
      this.check(checkAttrTotals(next, lim.userAttrs));
      await this.send(Op.AddOrUpdateUserAttrs, { attrs: pairs });
      return () => {
        for (const [k, v] of pairs) this.local.set(k, v);
      };
    });
  }

  async deleteLocalUserAttributesByKeys(attributeKeys: string[]): Promise<void> {
    const lim = this.limits();
    this.check(checkAttrKeys(attributeKeys, lim.userAttrs, Number.MAX_SAFE_INTEGER));
    const keys = [...attributeKeys];
    await this.write(async () => {
      await this.send(Op.DeleteUserAttrs, { keys });
      return () => {
        for (const k of keys) this.local.delete(k);
      };
    });
  }

  async clearLocalUserAttributes(): Promise<void> {
    this.limits();
    await this.write(async () => {
      await this.send(Op.ClearUserAttrs, null);
      return () => {
        this.local.clear();
      };
    });
  }

  async getUserAttributes(userId: string): Promise<AttributesMap> {
    this.limits();
    if (!isValidUserId(userId)) throw errorFrom(ATTRIBUTE_ERRORS, AttrErr.INVALID_ARGUMENT);
    const r = await this.send<GetUserAttrsResponse>(Op.GetUserAttrs, { uid: userId });
    return toMap(r?.attrs);
  }

  async getUserAttributesByKeys(userId: string, attributeKeys: string[]): Promise<AttributesMap> {
    const lim = this.limits();
    if (!isValidUserId(userId)) throw errorFrom(ATTRIBUTE_ERRORS, AttrErr.INVALID_ARGUMENT);
    this.check(checkAttrKeys(attributeKeys, lim.userAttrs, lim.maxKeysPerGet));
    const r = await this.send<GetUserAttrsResponse>(Op.GetUserAttrsByKeys, {
      uid: userId,
      keys: [...attributeKeys],
    });
    return toMap(r?.attrs);
  }

  // ---- internals ----

  /** The limits in force; throws "not logged in" (102) when there is no session. */
  private limits(): Limits {
    const { core } = this.c;
    if (!core.loggedIn || !core.limits) throw errorFrom(ATTRIBUTE_ERRORS, 102);
    return core.limits;
  }

  private check(code: number): void {
    if (code) throw errorFrom(ATTRIBUTE_ERRORS, code);
  }

  /** The entries of an AttributesMap, checked as the server checks them. */
  private pairsOf(attributes: AttributesMap, lim: Limits): AttrPair[] {
    const proto =
      typeof attributes === 'object' && attributes !== null ? Object.getPrototypeOf(attributes) : undefined;
    // A plain object only: a Map or an array would silently read as no attributes.
    if (proto !== Object.prototype && proto !== null)
      throw errorFrom(ATTRIBUTE_ERRORS, AttrErr.INVALID_ARGUMENT);
    const pairs = Object.entries(attributes) as AttrPair[];
    this.check(checkAttrEntries(pairs, lim.userAttrs));
    return pairs;
  }

  private send<T = unknown>(op: number, body: unknown): Promise<T> {
    return invoke<T>(this.c.core, op, body, ATTRIBUTE_ERRORS, TIMEOUT_MS, AttrErr.TIMEOUT);
  }

  /**
   * Queues a write behind the earlier ones; `op` sends it and returns how to update the local
   * copy, which is applied only if no logout happened meanwhile.
   */
  private write(op: () => Promise<() => void>): Promise<void> {
    const epoch = this.epoch;
    const run = this.queue.then(async () => {
      // Logged out (and maybe in again) while this call waited: it belongs to the old login.
      if (epoch !== this.epoch) throw errorFrom(ATTRIBUTE_ERRORS, 102);
      const apply = await op();
      if (epoch === this.epoch) apply();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
