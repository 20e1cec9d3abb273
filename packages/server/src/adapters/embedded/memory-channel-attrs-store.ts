import { utf8Length } from '@parley/protocol';
import type {
  ChannelAttribute,
  ChannelAttrTotals,
  ChannelAttrsStore,
} from '../../ports/channel-attrs-store.js';

const key = (appId: string, channelId: string) => `${appId}\u0000${channelId}`;

interface Entry {
  appId: string;
  attrs: Map<string, ChannelAttribute>;
  /** Σ UTF-8 bytes of keys and values */
  bytes: number;
  /** when the attributes are dropped (ms), or null while the channel has members */
  dropAt: number | null;
}

const sizeOf = (m: ReadonlyMap<string, ChannelAttribute>) => {
  let n = 0;
  for (const a of m.values()) n += utf8Length(a.key) + utf8Length(a.value);
  return n;
};

/**
 * ChannelAttrsStore in process memory. Scheduled drops are applied lazily when a channel is
 * read or written, and by a sweep at most once a second, so no timer is needed.
 */
export class MemoryChannelAttrsStore implements ChannelAttrsStore {
  private readonly channels = new Map<string, Entry>();
  private readonly scheduled = new Set<string>();
  /** per app: bytes of the entries with a drop scheduled (channels without members) */
  private readonly emptyByApp = new Map<string, number>();
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
    this.store(k, e, appId, map);
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
    const total = sizeOf(merged);
    if (total > limits.maxTotalBytes) return 'overflow';
    if (merged.size === 0) return [];
    this.store(k, e, appId, merged, total);
    return copy(merged);
  }

  async remove(appId: string, channelId: string, keys: readonly string[]): Promise<ChannelAttribute[]> {
    const k = key(appId, channelId);
    const e = this.entry(k);
    if (!e) return [];
    for (const x of keys) e.attrs.delete(x);
    if (e.attrs.size === 0) this.delete(k);
    else this.store(k, e, appId, e.attrs);
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
    // Due already: dropped now (as a Redis key given an expiry in the past).
    if (at <= Date.now()) return this.delete(k);
    if (e.dropAt === null) this.addEmpty(e.appId, e.bytes);
    e.dropAt = at;
    this.scheduled.add(k);
  }

  async cancelDrop(appId: string, channelId: string): Promise<void> {
    const k = key(appId, channelId);
    const e = this.entry(k);
    if (!e) return;
    if (e.dropAt !== null) this.addEmpty(e.appId, -e.bytes);
    e.dropAt = null;
    this.scheduled.delete(k);
  }

  async emptyBytes(appId: string): Promise<number> {
    const now = Date.now();
    if (now - this.lastSweep >= 1000) this.sweep(now);
    return this.emptyByApp.get(appId) ?? 0;
  }

  /** Sets an entry's attributes (a new entry has no drop scheduled), keeping the empty bytes in step. */
  private store(
    k: string,
    e: Entry | undefined,
    appId: string,
    attrs: Map<string, ChannelAttribute>,
    bytes = sizeOf(attrs),
  ): void {
    if (!e) {
      this.channels.set(k, { appId, attrs, bytes, dropAt: null });
      return;
    }
    if (e.dropAt !== null) this.addEmpty(appId, bytes - e.bytes);
    e.attrs = attrs;
    e.bytes = bytes;
  }

  private addEmpty(appId: string, delta: number): void {
    const n = (this.emptyByApp.get(appId) ?? 0) + delta;
    if (n > 0) this.emptyByApp.set(appId, n);
    else this.emptyByApp.delete(appId);
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
    const e = this.channels.get(k);
    if (e?.dropAt != null) this.addEmpty(e.appId, -e.bytes);
    this.channels.delete(k);
    this.scheduled.delete(k);
  }
}

const copy = (m: ReadonlyMap<string, ChannelAttribute>): ChannelAttribute[] =>
  [...m.values()].map((a) => ({ ...a }));
