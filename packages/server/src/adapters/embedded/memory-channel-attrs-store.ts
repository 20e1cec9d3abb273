import { utf8Length } from '@parley/protocol';
import type {
  ChannelAttribute,
  ChannelAttrTotals,
  ChannelAttrsStore,
} from '../../ports/channel-attrs-store.js';

const key = (appId: string, channelId: string) => `${appId}\u0000${channelId}`;

interface Entry {
  attrs: Map<string, ChannelAttribute>;
  /** when the attributes are dropped (ms), or null while the channel has members */
  dropAt: number | null;
}

/**
 * ChannelAttrsStore in process memory. Scheduled drops are applied lazily when a channel is
 * read or written, and by a sweep at most once a second, so no timer is needed.
 */
export class MemoryChannelAttrsStore implements ChannelAttrsStore {
  private readonly channels = new Map<string, Entry>();
  private readonly scheduled = new Set<string>();
  private lastSweep = 0;

  async replace(appId: string, channelId: string, attrs: ChannelAttribute[]): Promise<ChannelAttribute[]> {
    const k = key(appId, channelId);
    const e = this.entry(k);
    if (attrs.length === 0) {
      this.delete(k);
      return [];
    }
    const map = new Map<string, ChannelAttribute>();
    for (const a of attrs) map.set(a.key, { ...a });
    if (e) e.attrs = map;
    else this.channels.set(k, { attrs: map, dropAt: null });
    return copy(map);
  }

  async upsert(
    appId: string,
    channelId: string,
    attrs: ChannelAttribute[],
    limits: ChannelAttrTotals,
  ): Promise<ChannelAttribute[] | 'overflow'> {
    const k = key(appId, channelId);
    const e = this.entry(k);
    const merged = new Map(e?.attrs);
    for (const a of attrs) merged.set(a.key, { ...a });
    if (merged.size > limits.maxPairs) return 'overflow';
    let total = 0;
    for (const a of merged.values()) total += utf8Length(a.key) + utf8Length(a.value);
    if (total > limits.maxTotalBytes) return 'overflow';
    if (merged.size === 0) return [];
    if (e) e.attrs = merged;
    else this.channels.set(k, { attrs: merged, dropAt: null });
    return copy(merged);
  }

  async remove(appId: string, channelId: string, keys: readonly string[]): Promise<ChannelAttribute[]> {
    const k = key(appId, channelId);
    const e = this.entry(k);
    if (!e) return [];
    for (const x of keys) e.attrs.delete(x);
    if (e.attrs.size === 0) this.delete(k);
    return copy(e.attrs);
  }

  async get(appId: string, channelId: string): Promise<ChannelAttribute[]> {
    const e = this.entry(key(appId, channelId));
    return e ? copy(e.attrs) : [];
  }

  async getByKeys(appId: string, channelId: string, keys: readonly string[]): Promise<ChannelAttribute[]> {
    const e = this.entry(key(appId, channelId));
    if (!e) return [];
    const out: ChannelAttribute[] = [];
    for (const x of new Set(keys)) {
      const a = e.attrs.get(x);
      if (a) out.push({ ...a });
    }
    return out;
  }

  async scheduleDrop(appId: string, channelId: string, at: number): Promise<void> {
    const k = key(appId, channelId);
    const e = this.entry(k);
    if (!e || (e.dropAt !== null && e.dropAt <= at)) return;
    e.dropAt = at;
    this.scheduled.add(k);
  }

  async cancelDrop(appId: string, channelId: string): Promise<void> {
    const k = key(appId, channelId);
    const e = this.entry(k);
    if (!e) return;
    e.dropAt = null;
    this.scheduled.delete(k);
  }

  /** The live entry of a channel, after applying due drops. */
  private entry(k: string): Entry | undefined {
    const now = Date.now();
    if (now - this.lastSweep >= 1000) this.sweep(now);
    const e = this.channels.get(k);
    if (e && e.dropAt !== null && e.dropAt <= now) {
      this.delete(k);
      return undefined;
    }
    return e;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const k of this.scheduled) {
      const e = this.channels.get(k);
      if (!e || e.dropAt === null) this.scheduled.delete(k);
      else if (e.dropAt <= now) this.delete(k);
    }
  }

  private delete(k: string): void {
    this.channels.delete(k);
    this.scheduled.delete(k);
  }
}

const copy = (m: ReadonlyMap<string, ChannelAttribute>): ChannelAttribute[] =>
  [...m.values()].map((a) => ({ ...a }));
