import type { RequestOp } from '@parley/protocol';
import type { ClientSession as Session, SessionEndCause } from './client-session.js';

/** What a request handler answers: the op's Agora code (0 = ok) and an optional body. */
export interface Reply {
  code: number;
  body?: unknown;
  /** set when the body had the wrong shape: also reported as a BAD_BODY protocol error (metric, abuse) */
  malformed?: string;
  /**
   * set when a limit refused the request (a list too long, a cap): strikes against the socket,
   * this many (a list 10 times too long weighs 10 refusals)
   */
  limited?: number;
  /**
   * Runs once the answer is queued on the session, so whatever it causes reaches the client after
   * the answer (an invitation's events name the id its send's answer carries).
   */
  after?: () => void | Promise<void>;
}
export const ok = (body?: unknown): Reply => ({ code: 0, body });
export const fail = (code: number, body?: unknown): Reply => ({ code, body });
/** The body has the wrong shape/types (no SDK sends that): answer `code` and count a protocol error. */
export const malformed = (code: number, why: string): Reply => ({ code, malformed: why });
/**
 * Refused by a limit the SDK checks itself (more ids than allowed, a cap): answer `code` and
 * count a strike against the socket. Rate limits (Session.rates) count their refusals themselves.
 */
export const limited = (code: number, body?: unknown, strikes = 1): Reply => ({
  code,
  body,
  limited: strikes,
});
/** The strikes of a list of `n` items where `max` are allowed: one per multiple of `max` it holds. */
export const overBy = (n: number, max: number): number => Math.max(1, Math.ceil(n / Math.max(1, max)));

export type RequestHandler = (session: Session, body: unknown) => Reply | Promise<Reply>;
/** A handler of a request op of protocol's RequestOps: it receives the body its decoder typed. */
export type TypedRequestHandler<Req> = (session: Session, body: Req) => Reply | Promise<Reply>;
export type EventHandler = (session: Session, body: unknown) => void;

/** Session lifecycle hooks, in the order they happen. */
export interface SessionHooks {
  /** a new session logged in (before the login response is sent) */
  sessionStart: (s: Session) => void | Promise<void>;
  /** the login response has been sent: deliver backlog (offline messages) here */
  sessionReady: (s: Session) => void | Promise<void>;
  /**
   * the socket dropped; the session waits for a resume (UNREACHABLE). Cluster mode also runs it
   * for a dead node's sessions with a stand-in (`s.foreign`): find state in the Store, not in `s`.
   */
  sessionDetached: (s: Session) => void | Promise<void>;
  /** the client resumed the session */
  sessionResumed: (s: Session) => void | Promise<void>;
  /** the session ended (logout, remote login, grace expired, token expired, shutdown) */
  sessionEnd: (s: Session, cause: SessionEndCause) => void | Promise<void>;
}
export type HookName = keyof SessionHooks;
const HOOK_NAMES: readonly HookName[] = [
  'sessionStart',
  'sessionReady',
  'sessionDetached',
  'sessionResumed',
  'sessionEnd',
];

/** Application hooks: start-up and shutdown, separate from per-session hooks. */
export interface AppHooks {
  onReady: () => void | Promise<void>;
  /** before sockets close: stop accepting work */
  preClose: () => void | Promise<void>;
  /** after sockets closed: flush and release */
  onClose: () => void | Promise<void>;
}
export type AppHookName = keyof AppHooks;
const APP_HOOK_NAMES: readonly AppHookName[] = ['onReady', 'preClose', 'onClose'];

export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    readonly code: 'DUPLICATE_OP' | 'UNKNOWN_HOOK' | 'BAD_HANDLER',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Features register request handlers, client-event handlers and hooks here. Duplicate ops,
 * unknown hook names and non-function handlers are rejected with coded errors at start-up.
 */
export class FeatureRegistry {
  readonly requests = new Map<number, { feature: string; fn: RequestHandler }>();
  readonly events = new Map<number, { feature: string; fn: EventHandler }>();
  private readonly hooks = new Map<string, Array<(...a: never[]) => unknown>>();

  handle(feature: string, op: number, fn: RequestHandler): void {
    if (typeof fn !== 'function')
      throw new RegistryError('BAD_HANDLER', `handler for op ${op} is not a function`);
    if (this.requests.has(op) || this.events.has(op))
      throw new RegistryError(
        'DUPLICATE_OP',
        `op ${op} already registered by ${this.requests.get(op)?.feature ?? this.events.get(op)?.feature}`,
      );
    this.requests.set(op, { feature, fn });
  }

  /**
   * Registers the handler of a request op of protocol's RequestOps: a body its decoder refuses is
   * answered `malformed(op.badBody, reason)` without reaching the handler.
   */
  request<Req, Res>(feature: string, spec: RequestOp<Req, Res>, fn: TypedRequestHandler<Req>): void {
    if (typeof fn !== 'function')
      throw new RegistryError('BAD_HANDLER', `handler for op ${spec.op} is not a function`);
    const { decode, badBody } = spec;
    this.handle(feature, spec.op, (s, body) => {
      const decoded = decode(body);
      return typeof decoded === 'string' ? malformed(badBody, decoded) : fn(s, decoded);
    });
  }

  onClientEvent(feature: string, op: number, fn: EventHandler): void {
    if (typeof fn !== 'function')
      throw new RegistryError('BAD_HANDLER', `handler for event ${op} is not a function`);
    if (this.requests.has(op) || this.events.has(op))
      throw new RegistryError('DUPLICATE_OP', `op ${op} already registered`);
    this.events.set(op, { feature, fn });
  }

  hook<K extends HookName | AppHookName>(
    name: K,
    fn: K extends HookName ? SessionHooks[K] : K extends AppHookName ? AppHooks[K] : never,
  ): void {
    if (!HOOK_NAMES.includes(name as HookName) && !APP_HOOK_NAMES.includes(name as AppHookName))
      throw new RegistryError('UNKNOWN_HOOK', `unknown hook ${String(name)}`);
    if (typeof fn !== 'function')
      throw new RegistryError('BAD_HANDLER', `hook ${String(name)} is not a function`);
    let list = this.hooks.get(name);
    if (!list) this.hooks.set(name, (list = []));
    list.push(fn as (...a: never[]) => unknown);
  }

  /** Runs a hook's handlers in registration order (sessionEnd: reverse order, like a teardown). */
  async run(name: HookName | AppHookName, ...args: unknown[]): Promise<void> {
    const list = this.hooks.get(name);
    if (!list) return;
    const ordered = name === 'sessionEnd' || name === 'onClose' ? [...list].reverse() : list;
    for (const fn of ordered) await (fn as (...a: unknown[]) => unknown)(...args);
  }
}
