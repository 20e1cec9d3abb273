import { TrackedChannel } from '@parley/sdk/core';
import type { ChannelAttrEntry, SigAttrChange } from '@parley/protocol';

/** One onChannelAttrUpdated call. */
export interface AttrChange {
  name: string;
  value: string;
  type: SigAttrChange;
}

/**
 * The one channel a Signaling client is in (or joining). It keeps the channel's attributes, so
 * that RTM's AttributesUpdated (the full set after a change made by an RTM client) can be told
 * to Signaling members as onChannelAttrUpdated changes, and buffers the channel's events that
 * arrive before the join's answer, so onChannelJoined and onChannelUserList come first.
 */
export class ChannelState extends TrackedChannel {
  state: 'joining' | 'joined' = 'joining';
  /** the attribute set as this client knows it (a Map: any key, `__proto__` included, is safe) */
  attrs = new Map<string, string>();
  /** events of the channel that arrived while joining */
  held: Array<[op: number, body: unknown]> | null = [];

  constructor(readonly id: string) {
    super();
  }

  /** Applies a typed change; returns it, or null when `onlyIfChanged` and nothing changed. */
  applyTyped(c: AttrChange, onlyIfChanged: boolean): AttrChange | null {
    if (c.type === 'clear') {
      if (onlyIfChanged && this.attrs.size === 0) return null;
      this.attrs.clear();
      return { name: '', value: '', type: 'clear' };
    }
    if (c.type === 'del') {
      if (!this.attrs.delete(c.name) && onlyIfChanged) return null;
      return { name: c.name, value: '', type: 'del' };
    }
    if (onlyIfChanged && this.attrs.get(c.name) === c.value) return null;
    this.attrs.set(c.name, c.value);
    return c;
  }

  /**
   * Replaces the set with `entries` and returns the changes: new or changed keys as 'update',
   * removed keys as 'del' — or one 'clear' when the set became empty and more than one key went.
   */
  applyFullSet(entries: readonly ChannelAttrEntry[]): AttrChange[] {
    const next = new Map<string, string>();
    for (const [k, v] of entries) next.set(k, v);
    const out: AttrChange[] = [];
    if (next.size === 0 && this.attrs.size > 1) out.push({ name: '', value: '', type: 'clear' });
    else for (const k of this.attrs.keys()) if (!next.has(k)) out.push({ name: k, value: '', type: 'del' });
    for (const [k, v] of next) if (this.attrs.get(k) !== v) out.push({ name: k, value: v, type: 'update' });
    this.attrs = next;
    return out;
  }
}
