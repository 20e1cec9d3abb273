import { CallFailure, type Core } from './core.js';
import { errorFrom, type ErrorTable } from './errors.js';

/**
 * Sends a request and maps the outcome to agora-rtm-sdk's errors: the server's code through the
 * operation's table, a local timeout to `timeoutCode`, "not logged in" to 102.
 */
export async function invoke<T = unknown>(
  core: Core,
  op: number,
  body: unknown,
  table: ErrorTable,
  timeoutMs: number,
  timeoutCode: number,
): Promise<T> {
  let r: Awaited<ReturnType<Core['call']>>;
  try {
    r = await core.call(op, body, timeoutMs);
  } catch (e) {
    if (e instanceof CallFailure && e.kind === 'timeout') throw errorFrom(table, timeoutCode);
    throw errorFrom(table, 102);
  }
  if (r.code !== 0) throw errorFrom(table, r.code, (r.body as { message?: string } | null)?.message);
  return r.body as T;
}

/** Everything a feature module of the client may use. */
export interface ClientInternals {
  core: Core;
  /** emits a client event */
  emit(event: string, ...args: unknown[]): void;
  readonly appId: string;
}

/** A feature module plugged into RtmClient: gets server events and lifecycle notices. */
export interface ClientModule {
  /** returns true if it handled the event op */
  onEvent(op: number, body: unknown): boolean;
  /** the session was replaced by a new login: restore server-side state */
  onRelogged?(): void;
  /** the session resumed: nothing lost */
  onResumed?(): void;
  /** logout / ABORTED: clear local state */
  onReset?(): void;
}
