import {
  AttributeOperationError,
  Op,
  QueryPeersOnlineStatusError,
  SIG_USER_LIST_MAX,
  SignalingCode as Code,
  SignalingOp,
  isValidChannelId,
  isValidUserId,
  type AttrPair,
  type GetUserAttrsResponse,
  type QueryPeersOnlineResponse,
  type SigAttrChange,
  type SigQueryUserIsInResponse,
  type SigQueryUserListResponse,
} from '@parley/protocol';
import type { OwnUserAttrs } from '@parley/sdk/core';
import { NOT_LOGGED_IN, TIMEOUT, type Reply } from './request.js';

/** The outcome of one Signaling operation: a value, or a GENERAL_E_* code and invoke's `err` string. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; ecode: number; err: string };

const done = <T>(value: T): Outcome<T> => ({ ok: true, value });
const failed = (ecode: number, err: string): Outcome<never> => ({ ok: false, ecode, err });
const WRONG_PARAM = failed(Code.GENERAL_E_WRONG_PARAM, 'wrong_param');
const LARGE_PARAM = failed(Code.GENERAL_E_LARGE_PARAM, 'large_param');

/** A failed reply as an outcome; `invalid`/`tooLarge`/`tooOften` are the op group's codes for those. */
function fromReply(
  r: Reply,
  codes: { invalid?: number; tooLarge?: number; tooOften?: number } = {},
): Outcome<never> {
  if (r.code === NOT_LOGGED_IN || r.code === AttributeOperationError.USER_NOT_LOGGED_IN)
    return failed(Code.GENERAL_E_NOT_LOGIN, 'not_logged_in');
  if (r.code === TIMEOUT) return failed(Code.GENERAL_E_FAILED, 'timeout');
  if (r.code === Code.GENERAL_E_WRONG_PARAM || r.code === codes.invalid) return WRONG_PARAM;
  if (r.code === Code.GENERAL_E_LARGE_PARAM || r.code === codes.tooLarge) return LARGE_PARAM;
  if (r.code === codes.tooOften) return failed(Code.GENERAL_E_FAILED, 'too_often');
  return failed(Code.GENERAL_E_FAILED, 'failed');
}
const ATTR_CODES = {
  invalid: AttributeOperationError.INVALID_ARGUMENT,
  tooLarge: AttributeOperationError.SIZE_OVERFLOW,
  tooOften: AttributeOperationError.TOO_OFTEN,
};

/** Sets a key of a plain object without touching the prototype (a key may be "__proto__"). */
export function attrsJson(pairs: readonly AttrPair[]): string {
  const o: Record<string, string> = {};
  for (const [k, v] of pairs)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return JSON.stringify(o);
}

/**
 * The operations behind both the Java-style methods (queryUserStatus, setAttr, getAttr…,
 * channelQueryUserNum, channelSetAttr…) and `invoke('io.agora.signal.*')`, so the two answer alike.
 * User status and user attributes are RTM's (shared with RTM users); channel queries and typed
 * channel-attribute writes are the Signaling ops.
 */
export class Operations {
  /**
   * Attribute writes have no result callback in Signaling, so an app cannot wait for one before
   * reading: attribute requests of this client run one after another, in call order.
   */
  private attrChain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly req: (op: number, body: unknown) => Promise<Reply>,
    /** this client's own attributes as it set them (restored after a re-login) */
    readonly ownAttrs: OwnUserAttrs,
  ) {}

  async userStatus(account: unknown): Promise<Outcome<boolean>> {
    if (!isValidUserId(account)) return WRONG_PARAM;
    const r = await this.req(Op.QueryPeersOnline, { ids: [account] });
    if (r.code !== 0)
      return fromReply(r, {
        invalid: QueryPeersOnlineStatusError.INVALID_ARGUMENT,
        tooOften: QueryPeersOnlineStatusError.TOO_OFTEN,
      });
    // UNREACHABLE (reconnecting within the grace period) still counts as logged in.
    return done((r.body as QueryPeersOnlineResponse).states[0] !== 'OFFLINE');
  }

  /** Sets one attribute of the logged-in user; an empty value deletes it (RTM has no empty values). */
  async setUserAttr(name: unknown, value: unknown): Promise<Outcome<null>> {
    if (typeof name !== 'string' || name === '' || typeof value !== 'string') return WRONG_PARAM;
    const r = await this.serially(() =>
      value === ''
        ? this.req(Op.DeleteUserAttrs, { keys: [name] })
        : this.req(Op.AddOrUpdateUserAttrs, { attrs: [[name, value]] }),
    );
    if (r.code !== 0) return fromReply(r, ATTR_CODES);
    if (value === '') this.ownAttrs.delete(name);
    else this.ownAttrs.set(name, value);
    return done(null);
  }

  /** One attribute of `account` ('' when it has none, or has no session). */
  async getUserAttr(account: unknown, name: unknown): Promise<Outcome<string>> {
    if (!isValidUserId(account) || typeof name !== 'string' || name === '') return WRONG_PARAM;
    const r = await this.serially(() => this.req(Op.GetUserAttrsByKeys, { uid: account, keys: [name] }));
    if (r.code === AttributeOperationError.USER_NOT_FOUND) return done('');
    if (r.code !== 0) return fromReply(r, ATTR_CODES);
    const pair = (r.body as GetUserAttrsResponse).attrs.find(([k]) => k === name);
    return done(pair ? pair[1] : '');
  }

  /** Every attribute of `account`, as a JSON object string ('{}' when it has no session). */
  async getUserAttrAll(account: unknown): Promise<Outcome<string>> {
    if (!isValidUserId(account)) return WRONG_PARAM;
    const r = await this.serially(() => this.req(Op.GetUserAttrs, { uid: account }));
    if (r.code === AttributeOperationError.USER_NOT_FOUND) return done('{}');
    if (r.code !== 0) return fromReply(r, ATTR_CODES);
    return done(attrsJson((r.body as GetUserAttrsResponse).attrs));
  }

  private serially<T>(op: () => Promise<T>): Promise<T> {
    const p = this.attrChain.then(op);
    this.attrChain = p.catch(() => undefined);
    return p;
  }

  async channelNum(channelId: unknown): Promise<Outcome<number>> {
    if (!isValidChannelId(channelId)) return WRONG_PARAM;
    const r = await this.req(SignalingOp.QueryUserNum, { channelId });
    if (r.code !== 0) return fromReply(r);
    return done((r.body as { num: number }).num);
  }

  async channelIsIn(channelId: unknown, account: unknown): Promise<Outcome<boolean>> {
    if (!isValidChannelId(channelId) || !isValidUserId(account)) return WRONG_PARAM;
    const r = await this.req(SignalingOp.QueryUserIsIn, { channelId, account });
    if (r.code !== 0) return fromReply(r);
    return done((r.body as SigQueryUserIsInResponse).isIn);
  }

  async channelUserList(
    channelId: unknown,
    max: number = SIG_USER_LIST_MAX,
  ): Promise<Outcome<SigQueryUserListResponse>> {
    if (!isValidChannelId(channelId) || !Number.isInteger(max) || max < 0) return WRONG_PARAM;
    const r = await this.req(SignalingOp.QueryUserList, { channelId, max });
    if (r.code !== 0) return fromReply(r);
    return done(r.body as SigQueryUserListResponse);
  }

  /** channelSetAttr / channelDelAttr / channelClearAttr; setting '' deletes (RTM has no empty values). */
  async channelAttr(
    channelId: unknown,
    type: SigAttrChange,
    name?: unknown,
    value?: unknown,
  ): Promise<Outcome<null>> {
    if (!isValidChannelId(channelId)) return WRONG_PARAM;
    if (type !== 'clear' && (typeof name !== 'string' || name === '')) return WRONG_PARAM;
    if (type === 'update' && typeof value !== 'string') return WRONG_PARAM;
    const t: SigAttrChange = type === 'update' && value === '' ? 'del' : type;
    const r = await this.serially(() =>
      this.req(SignalingOp.ChannelAttr, {
        channelId,
        type: t,
        name,
        value: t === 'update' ? value : undefined,
      }),
    );
    if (r.code !== 0) return fromReply(r);
    return done(null);
  }
}
