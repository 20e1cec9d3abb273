import {
  AttributeOperationError,
  Op,
  checkAttrEntries,
  checkAttrKeys,
  checkAttrTotals,
  checkChannelAttrDeleteKeys,
  isValidChannelId,
  type ChannelAttrEntry,
  type GetChannelAttrsResponse,
  RATE_LIMITS,
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
import { rateText } from './rate-texts.js';
import { invoke, type ClientInternals } from './invoke.js';
import type { AttributesMap, ChannelAttributeOptions, ChannelAttributes } from './types.js';

export const CHANNEL_ATTRIBUTE_ERRORS: ErrorTable = {
  [AttributeOperationError.FAILURE]: [Unknown, 'Channel attribute operation failure.'],
  [AttributeOperationError.INVALID_ARGUMENT]: [Arg, 'Invalid channel ID, attribute key or value.'],
  [AttributeOperationError.SIZE_OVERFLOW]: [Limit, 'Channel attributes exceed the size limits.'],
  [AttributeOperationError.TOO_OFTEN]: [
    Often,
    `Channel attribute operation too often: exceeded ${rateText(RATE_LIMITS.channelAttrsSet, 'calls')}.`,
  ],
  [AttributeOperationError.USER_NOT_FOUND]: [Arg, 'User not found.'],
  [AttributeOperationError.TIMEOUT]: [Timeout, 'Channel attribute operation timeout.'],
};

/** Agora: 10 s for the channel attribute calls. */
const ATTRS_TIMEOUT_MS = 10_000;

/** Channel attributes (RtmClient's channel attribute methods); they need no membership. */
export class ChannelAttrsApi {
  constructor(private readonly c: ClientInternals) {}

  setChannelAttributes(
    channelId: string,
    attributes: AttributesMap,
    options?: ChannelAttributeOptions,
  ): Promise<void> {
    return this.writeAttrs(Op.SetChannelAttrs, channelId, attributes, options);
  }

  addOrUpdateChannelAttributes(
    channelId: string,
    attributes: AttributesMap,
    options?: ChannelAttributeOptions,
  ): Promise<void> {
    return this.writeAttrs(Op.AddOrUpdateChannelAttrs, channelId, attributes, options);
  }

  async deleteChannelAttributesByKeys(
    channelId: string,
    attributeKeys: string[],
    options?: ChannelAttributeOptions,
  ): Promise<void> {
    this.checkAttrCall(channelId);
    if (!checkChannelAttrDeleteKeys(attributeKeys))
      throw errorFrom(CHANNEL_ATTRIBUTE_ERRORS, AttributeOperationError.INVALID_ARGUMENT);
    await this.attrsCall(Op.DeleteChannelAttrs, {
      channelId,
      keys: [...attributeKeys],
      notify: notifyOf(options),
    });
  }

  async clearChannelAttributes(channelId: string, options?: ChannelAttributeOptions): Promise<void> {
    this.checkAttrCall(channelId);
    await this.attrsCall(Op.ClearChannelAttrs, { channelId, notify: notifyOf(options) });
  }

  async getChannelAttributes(channelId: string): Promise<ChannelAttributes> {
    this.checkAttrCall(channelId);
    const r = await this.attrsCall<GetChannelAttrsResponse>(Op.GetChannelAttrs, { channelId });
    return attrsFromWire(r.attrs);
  }

  async getChannelAttributesByKeys(channelId: string, attributeKeys: string[]): Promise<ChannelAttributes> {
    this.checkAttrCall(channelId);
    const code = checkAttrKeys(
      attributeKeys,
      this.c.core.limits!.channelAttrs,
      this.c.core.limits!.maxKeysPerGet,
    );
    if (code) throw errorFrom(CHANNEL_ATTRIBUTE_ERRORS, code);
    const r = await this.attrsCall<GetChannelAttrsResponse>(Op.GetChannelAttrsByKeys, {
      channelId,
      keys: [...attributeKeys],
    });
    return attrsFromWire(r.attrs);
  }

  private async writeAttrs(
    op: number,
    channelId: string,
    attributes: AttributesMap,
    options?: ChannelAttributeOptions,
  ): Promise<void> {
    this.checkAttrCall(channelId);
    if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes))
      throw errorFrom(CHANNEL_ATTRIBUTE_ERRORS, AttributeOperationError.INVALID_ARGUMENT);
    const pairs = Object.entries(attributes) as [string, string][];
    const lim = this.c.core.limits!.channelAttrs;
    const code = checkAttrEntries(pairs, lim) || checkAttrTotals(new Map(pairs), lim);
    if (code) throw errorFrom(CHANNEL_ATTRIBUTE_ERRORS, code);
    await this.attrsCall(op, { channelId, attrs: pairs, notify: notifyOf(options) });
  }

  /** Login and channel id checks common to every attribute call (102, then 3). */
  private checkAttrCall(channelId: string): void {
    if (!this.c.core.loggedIn) throw errorFrom(CHANNEL_ATTRIBUTE_ERRORS, 102);
    if (!isValidChannelId(channelId))
      throw errorFrom(CHANNEL_ATTRIBUTE_ERRORS, AttributeOperationError.INVALID_ARGUMENT);
  }

  private attrsCall<T>(op: number, body: unknown): Promise<T> {
    return invoke<T>(
      this.c.core,
      op,
      body,
      CHANNEL_ATTRIBUTE_ERRORS,
      ATTRS_TIMEOUT_MS,
      AttributeOperationError.TIMEOUT,
    );
  }
}

const notifyOf = (o: ChannelAttributeOptions | undefined): boolean | undefined =>
  o?.enableNotificationToChannelMembers === true ? true : undefined;

/** Sets a key without ever touching the prototype (a key may be "__proto__"). */
export function define<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function attrsFromWire(entries: ChannelAttrEntry[]): ChannelAttributes {
  const out: ChannelAttributes = {};
  for (const [key, value, lastUpdateUserId, lastUpdateTs] of entries)
    define(out, key, { value, lastUpdateUserId, lastUpdateTs });
  return out;
}
