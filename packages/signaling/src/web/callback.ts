/**
 * A callback property of the Web SDK's objects: a function, or `''` (the SDK's default, "not set").
 * `null` / `undefined` are accepted too, so apps can unset one.
 */
export type WebCallback<F> = F | '' | null | undefined;

/** Levels of `setDoLog` (spec signaling-api.md §1.2). */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING';
const RANK: Record<LogLevel, number> = { DEBUG: 0, INFO: 1, WARNING: 2 };

/**
 * The SDK's console log, off by default: `signal.setDoLog(true, level)` turns it on for every
 * session of that Signal, `session.dbg = true` turns on its debug lines.
 */
export class WebLog {
  private enabled = false;
  private level: LogLevel = 'DEBUG';

  set(enabled: boolean, level: LogLevel): void {
    this.enabled = enabled === true;
    this.level = level in RANK ? level : 'DEBUG';
  }

  /** `force`: the session's `dbg` flag */
  debug(force: boolean, ...args: unknown[]): void {
    if (force || this.on('DEBUG')) console.debug('[parley-signaling]', ...args);
  }

  info(...args: unknown[]): void {
    if (this.on('INFO')) console.info('[parley-signaling]', ...args);
  }

  warn(...args: unknown[]): void {
    if (this.on('WARNING')) console.warn('[parley-signaling]', ...args);
  }

  private on(level: LogLevel): boolean {
    return this.enabled && RANK[level] >= RANK[this.level];
  }
}

/**
 * Calls `target[name](...args)` if the app set it (truthy), as the Web SDK does: with the object
 * as `this`, and an exception in it goes to `console.error`, never into the SDK.
 */
export function fire(target: object, name: string, args: readonly unknown[]): void {
  const fn = (target as Record<string, unknown>)[name];
  if (!fn) return;
  try {
    (fn as (...a: unknown[]) => unknown).apply(target, args as unknown[]);
  } catch (e) {
    console.error(e);
  }
}

/** Calls a result callback passed to a method (`cb`), if given; exceptions as in {@link fire}. */
export function answer(cb: unknown, ...args: unknown[]): void {
  if (!cb) return;
  try {
    (cb as (...a: unknown[]) => unknown)(...args);
  } catch (e) {
    console.error(e);
  }
}
