import {
  AttributeOperationError,
  Op,
  checkAttrEntries,
  checkAttrKeys,
  checkAttrTotals,
  checkChannelAttrDeleteKeys,
  encodeEvent,
  isAttrPairs,
  CHANNEL_ATTRS_SET_SHAPE,
  type ChannelAttrsWriteBody,
  RequestOps,
  isStrArray,
  isValidChannelId,
  type AttributesUpdatedEvent,
  type ChannelAttrEntry,
  type GetChannelAttrsResponse,
} from '@parley/protocol';
import type { ChannelAttribute } from '../../ports/channel-attrs-store.js';
import type { ClientSession as Session } from '../client-session.js';
import type { Feature, FeatureContext } from '../context.js';
import { takeRate } from '../rates.js';
import { fail, malformed, ok, type Reply } from '../registry.js';
import { channelMaybeEmpty } from '../channel-attrs-expiry.js';

const { INVALID_ARGUMENT, SIZE_OVERFLOW, TOO_OFTEN } = AttributeOperationError;

/** The wire form of a stored attribute set. */
const toWire = (attrs: readonly ChannelAttribute[]): ChannelAttrEntry[] =>
  attrs.map((a) => [a.key, a.value, a.lastUpdateUserId, a.lastUpdateTs]);

/**
 * Channel attributes: set / addOrUpdate / delete / clear / get / getByKeys by any logged-in user,
 * joined or not. A write with `notify` sends every member AttributesUpdated with the full set.
 * Codes are AttributeOperationError's: 3 invalid argument, 4 size overflow, 5 too often.
 */
/** What the channel-attrs feature uses of the context. */
type Needs = 'config' | 'quotas' | 'metrics' | 'registry' | 'services' | 'store' | 'rooms' | 'activity';

export const channelAttrsFeature: Feature<Needs> = {
  name: 'channel-attrs',
  register(ctx: Pick<FeatureContext, Needs>) {
    const { rooms } = ctx;

    /** The channel id of a decoded write (RequestOps checked its shape and notify flag). */
    const writeCheck = (body: ChannelAttrsWriteBody): Reply | null =>
      isValidChannelId(body.channelId) ? null : fail(INVALID_ARGUMENT);
    const takeWrite = (s: Session) => takeRate(s, 'channelAttrsSet');
    const takeRead = (s: Session) => takeRate(s, 'channelAttrsGet');

    /**
     * The app's quota of attribute bytes on channels without members (they stay until their TTL):
     * true when a write to an empty channel must be refused (counted in /metrics).
     */
    const overEmptyQuota = async (s: Session, channelId: string): Promise<boolean> => {
      const max = ctx.quotas(s.appId).emptyChannelAttrsMaxBytes;
      if (max <= 0) return false;
      const [n] = await ctx.store.channels.counts(s.appId, [channelId]);
      if ((n ?? 0) > 0 || (await ctx.store.channelAttrs.emptyBytes(s.appId)) < max) return false;
      ctx.metrics.quotaRefusals.inc({ quota: 'empty_channel_attrs_bytes' });
      return true;
    };
    const EMPTY_FULL = { message: 'attributes held on empty channels of this app are at their quota' };

    /** After a write: notify members if asked, and start the empty-channel clock if nobody is in. */
    const written = async (
      s: Session,
      channelId: string,
      after: ChannelAttribute[],
      notify: boolean,
      change: 'update' | 'delete' | 'clear',
      keys: string[],
    ): Promise<Reply> => {
      if (ctx.activity.watched('channel.attributes_updated'))
        ctx.activity.emit({
          type: 'channel.attributes_updated',
          appId: s.appId,
          channelId,
          uid: s.uid,
          ts: Date.now(),
          change,
          keys,
        });
      if (notify) {
        const ev: AttributesUpdatedEvent = { channelId, attrs: toWire(after) };
        await rooms.broadcast(s.appId, channelId, encodeEvent(Op.AttributesUpdated, ev), null);
      }
      if (after.length > 0) {
        const [n] = await ctx.store.channels.counts(s.appId, [channelId]);
        if (n === 0) await channelMaybeEmpty(ctx.store, ctx.config, s.appId, channelId);
      }
      return ok(null);
    };

    /** Parses and checks the pairs of set/addOrUpdate into stored attributes stamped by `s`. */
    const stamped = (s: Session, pairs: unknown): ChannelAttribute[] | Reply => {
      if (!isAttrPairs(pairs))
        return malformed(INVALID_ARGUMENT, `attrs must be [key, value][]; ${CHANNEL_ATTRS_SET_SHAPE}`);
      const lim = s.limits.channelAttrs;
      const code = checkAttrEntries(pairs, lim);
      if (code) return fail(code);
      const map = new Map(pairs);
      const totals = checkAttrTotals(map, lim);
      if (totals) return fail(totals);
      const ts = Date.now();
      return [...map].map(([key, value]) => ({ key, value, lastUpdateUserId: s.uid, lastUpdateTs: ts }));
    };

    ctx.registry.request('channel-attrs', RequestOps.SetChannelAttrs, async (s, body): Promise<Reply> => {
      const bad = writeCheck(body);
      if (bad) return bad;
      const b = body;
      const attrs = stamped(s, b.attrs);
      if (!Array.isArray(attrs)) return attrs;
      if (!takeWrite(s)) return fail(TOO_OFTEN);
      if (await overEmptyQuota(s, b.channelId)) return fail(SIZE_OVERFLOW, EMPTY_FULL);
      const after = await ctx.store.channelAttrs.replace(s.appId, b.channelId, attrs);
      return written(
        s,
        b.channelId,
        after,
        b.notify === true,
        'update',
        attrs.map((a) => a.key),
      );
    });

    ctx.registry.request(
      'channel-attrs',
      RequestOps.AddOrUpdateChannelAttrs,
      async (s, body): Promise<Reply> => {
        const bad = writeCheck(body);
        if (bad) return bad;
        const b = body;
        return addOrUpdate(s, b.channelId, b.attrs, b.notify === true);
      },
    );
    async function addOrUpdate(
      s: Session,
      channelId: string,
      pairs: unknown,
      notify: boolean,
    ): Promise<Reply> {
      const attrs = stamped(s, pairs);
      if (!Array.isArray(attrs)) return attrs;
      if (!takeWrite(s)) return fail(TOO_OFTEN);
      if (await overEmptyQuota(s, channelId)) return fail(SIZE_OVERFLOW, EMPTY_FULL);
      const after = await ctx.store.channelAttrs.upsert(s.appId, channelId, attrs, s.limits.channelAttrs);
      if (after === 'overflow') return fail(SIZE_OVERFLOW);
      return written(
        s,
        channelId,
        after,
        notify,
        'update',
        attrs.map((a) => a.key),
      );
    }

    ctx.registry.request('channel-attrs', RequestOps.DeleteChannelAttrs, async (s, body): Promise<Reply> => {
      const bad = writeCheck(body);
      if (bad) return bad;
      const b = body;
      return remove(s, b.channelId, b.keys, b.notify === true);
    });
    async function remove(s: Session, channelId: string, keys: unknown, notify: boolean): Promise<Reply> {
      if (!isStrArray(keys)) return malformed(INVALID_ARGUMENT, 'DeleteChannelAttrs keys: string[]');
      if (!checkChannelAttrDeleteKeys(keys)) return fail(INVALID_ARGUMENT);
      if (!takeWrite(s)) return fail(TOO_OFTEN);
      const after = await ctx.store.channelAttrs.remove(s.appId, channelId, keys);
      return written(s, channelId, after, notify, 'delete', keys);
    }

    ctx.registry.request('channel-attrs', RequestOps.ClearChannelAttrs, async (s, body): Promise<Reply> => {
      const bad = writeCheck(body);
      if (bad) return bad;
      const b = body;
      return clear(s, b.channelId, b.notify === true);
    });
    async function clear(s: Session, channelId: string, notify: boolean): Promise<Reply> {
      if (!takeWrite(s)) return fail(TOO_OFTEN);
      const after = await ctx.store.channelAttrs.replace(s.appId, channelId, []);
      return written(s, channelId, after, notify, 'clear', []);
    }

    // Signaling's writes: the same checks, limits and rates, unnotified (it notifies itself).
    ctx.services.channelAttrs = {
      write: (s, channelId, change) =>
        change.type === 'update'
          ? addOrUpdate(s, channelId, change.attrs, false)
          : change.type === 'del'
            ? remove(s, channelId, change.keys, false)
            : clear(s, channelId, false),
    };

    ctx.registry.request('channel-attrs', RequestOps.GetChannelAttrs, async (s, body): Promise<Reply> => {
      if (!isValidChannelId(body.channelId)) return fail(INVALID_ARGUMENT);
      if (!takeRead(s)) return fail(TOO_OFTEN);
      const attrs = await ctx.store.channelAttrs.get(s.appId, body.channelId);
      return ok({ attrs: toWire(attrs) } satisfies GetChannelAttrsResponse);
    });

    ctx.registry.request(
      'channel-attrs',
      RequestOps.GetChannelAttrsByKeys,
      async (s, body): Promise<Reply> => {
        if (!isValidChannelId(body.channelId)) return fail(INVALID_ARGUMENT);
        const lim = s.limits.channelAttrs;
        const code = checkAttrKeys(body.keys, lim, s.limits.maxKeysPerGet);
        if (code) return fail(code);
        if (!takeRead(s)) return fail(TOO_OFTEN);
        const attrs = await ctx.store.channelAttrs.getByKeys(s.appId, body.channelId, body.keys);
        return ok({ attrs: toWire(attrs) } satisfies GetChannelAttrsResponse);
      },
    );
  },
};
