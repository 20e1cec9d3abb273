import { sendKeyIdentity } from '@parley/protocol';

/** Remembers the last N ids, to drop re-deliveries of the same message. */
export class RecentIds {
  private readonly set = new Set<string>();
  constructor(private readonly max: number) {}

  /** Adds `id`; returns false if it was already there. */
  add(id: string): boolean {
    if (this.set.has(id)) return false;
    this.set.add(id);
    if (this.set.size > this.max) this.set.delete(this.set.values().next().value as string);
    return true;
  }

  /**
   * Adds a message's id and its sender+key (sendKeyIdentity); false if either was there already:
   * a re-delivery (same id) or a re-send under the same key (new id).
   */
  addMessage(ev: { id: string; from: string; key?: unknown }): boolean {
    const byKey = sendKeyIdentity(ev);
    const newId = this.add(ev.id);
    return (byKey === null || this.add(byKey)) && newId;
  }
}
