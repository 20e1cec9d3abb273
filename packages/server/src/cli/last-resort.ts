import type { ParleyServer } from '../server.js';

/** Exit code after an uncaught exception (sysexits' EX_SOFTWARE): a bug, not a configuration problem. */
export const EXIT_INTERNAL_ERROR = 70;
/** How long the shutdown after an uncaught exception may take before the process exits anyway, ms. */
const FATAL_SHUTDOWN_MS = 3000;
/** At most this many unhandled rejections are logged in full per window; all are counted. */
const LOG_BURST = 10;
const LOG_WINDOW_MS = 10_000;

/**
 * The process-wide last resort of `parley serve` (docs/operations.md, "When the server hits a
 * bug"). Every request path catches its own errors; what still arrives here is a bug.
 * - An unhandled rejection belongs to one operation (a request, a timer's job): it is logged,
 *   counted in `parley_unhandled_errors_total{kind="rejection"}`, and the server keeps serving —
 *   ending every session for one failed operation would hurt all clients for the bug of one.
 * - An uncaught exception was thrown from a callback with no one to catch it, possibly half-way
 *   through changing shared state: it is logged and counted, and the server shuts down (clients
 *   get 1001 going-away, storage is flushed, at most 3 s) and exits with code 70, so that a
 *   supervisor restarts it with clean state.
 */
export function installLastResort(server: ParleyServer, shutdown: (exitCode: number) => void): void {
  let windowStart = 0;
  let logged = 0;
  process.on('unhandledRejection', (reason) => {
    server.metrics.unhandledErrors.inc({ kind: 'rejection' });
    const now = Date.now();
    if (now - windowStart > LOG_WINDOW_MS) {
      windowStart = now;
      logged = 0;
    }
    if (logged++ < LOG_BURST)
      server.log.error(
        { err: reason },
        'unhandled promise rejection (a bug; please report it): the operation failed, the server keeps serving',
      );
  });
  let fatal = false;
  process.on('uncaughtException', (err, origin) => {
    server.metrics.unhandledErrors.inc({ kind: 'exception' });
    if (fatal) return; // a second one while shutting down: the exit is already on its way
    fatal = true;
    server.log.fatal({ err, origin }, 'uncaught exception (a bug; please report it): shutting down');
    process.stderr.write(
      `parley: internal error, uncaught exception: ${err?.stack ?? String(err)}\n` +
        `parley: shutting down (exit code ${EXIT_INTERNAL_ERROR}) because the server's state may be inconsistent; restart it.\n`,
    );
    setTimeout(() => process.exit(EXIT_INTERNAL_ERROR), FATAL_SHUTDOWN_MS).unref();
    shutdown(EXIT_INTERNAL_ERROR);
  });
}

/**
 * Test-only fault injection: with env PARLEY_TEST_INJECT_FAULT=unhandled-rejection or
 * uncaught-exception, the server raises that fault once, right after it started listening, so
 * tests can check the policy above on a real process. Never set it in production.
 */
export function injectTestFault(): void {
  const fault = process.env.PARLEY_TEST_INJECT_FAULT;
  if (fault === 'unhandled-rejection')
    setImmediate(() => void Promise.reject(new Error('injected test fault (PARLEY_TEST_INJECT_FAULT)')));
  else if (fault === 'uncaught-exception')
    setImmediate(() => {
      throw new Error('injected test fault (PARLEY_TEST_INJECT_FAULT)');
    });
}
