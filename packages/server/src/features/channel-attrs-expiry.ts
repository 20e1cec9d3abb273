import type { ServerConfig } from '../config.js';
import type { Store } from '../ports/store.js';

type AttrsAndMembers = Pick<Store, 'channelAttrs' | 'channels'>;

/**
 * Attributes of a channel that stays empty for `emptyChannelAttrsTtlMs` are dropped (Agora:
 * "cleared when the channel stays empty for a couple of minutes"). The attribute store holds the
 * drop time; these two calls keep it in step with membership from any node.
 *
 * Races between a join and an emptying are closed by re-reading the count after scheduling: a
 * join stores its member before it cancels, so either the re-read sees the member (and cancels)
 * or the join's cancel comes after the schedule.
 */
export async function channelMaybeEmpty(
  store: AttrsAndMembers,
  config: Pick<ServerConfig, 'emptyChannelAttrsTtlMs'>,
  appId: string,
  channelId: string,
): Promise<void> {
  await store.channelAttrs.scheduleDrop(appId, channelId, Date.now() + config.emptyChannelAttrsTtlMs);
  const [n] = await store.channels.counts(appId, [channelId]);
  if ((n ?? 0) > 0) await store.channelAttrs.cancelDrop(appId, channelId);
}

/** The channel has a member again: keep its attributes. */
export function channelOccupied(store: AttrsAndMembers, appId: string, channelId: string): Promise<void> {
  return store.channelAttrs.cancelDrop(appId, channelId);
}
