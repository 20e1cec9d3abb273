import { Op } from '@parley/protocol';

/**
 * This client's own user attributes as the server confirmed them. A new session (a re-login
 * after the old one was lost) starts without attributes: `restore` puts the set back with one
 * `SetUserAttrs`, as Agora's SDKs do. Used by both SDKs.
 */
export class OwnUserAttrs {
  private attrs = new Map<string, string>();

  get size(): number {
    return this.attrs.size;
  }

  /** A copy of the confirmed set (to check a merge against before sending it). */
  copy(): Map<string, string> {
    return new Map(this.attrs);
  }

  replace(next: Map<string, string>): void {
    this.attrs = next;
  }

  set(name: string, value: string): void {
    this.attrs.set(name, value);
  }

  delete(name: string): void {
    this.attrs.delete(name);
  }

  clear(): void {
    this.attrs = new Map();
  }

  /** Sends the set to the new session through `send`; nothing to send when there is none. */
  restore<T>(send: (op: number, body: unknown) => Promise<T>): Promise<T | undefined> {
    if (this.attrs.size === 0) return Promise.resolve(undefined);
    return send(Op.SetUserAttrs, { attrs: [...this.attrs] });
  }
}
