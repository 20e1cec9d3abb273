/**
 * Test-only crash points: `PARLEY_TEST_CRASH_AT=<point>:<n>[,<point>:<n>…]` makes the process
 * SIGKILL itself the n-th time it passes `<point>`, so crash tests can stop the server at an exact
 * moment of a message's life (docs/protocol.md, "Exactly once"). Unset (always, outside tests),
 * `crashPoint` is one boolean test.
 *
 * Points:
 *   peer-stored   an offline peer message is committed to the inbox; not yet delivered, not answered
 *   peer-ack      a receiver's PeerAck arrived; not yet processed (so the sender is not answered)
 *   channel-sent  a channel message went out to the members (flushed); its sender is never answered
 */
export type CrashPointName = 'peer-stored' | 'peer-ack' | 'channel-sent';

const armed = new Map<string, number>();
for (const part of (process.env.PARLEY_TEST_CRASH_AT ?? '').split(',')) {
  const m = /^([a-z-]+):(\d+)$/.exec(part.trim());
  if (m) armed.set(m[1]!, Number(m[2]));
}
const enabled = armed.size > 0;

/** Counts a pass through `name`; true on the armed pass. */
function due(name: CrashPointName): boolean {
  const left = armed.get(name);
  if (left === undefined) return false;
  if (left > 1) {
    armed.set(name, left - 1);
    return false;
  }
  armed.delete(name);
  return true;
}

function die(name: CrashPointName): void {
  // Said on stderr, so a test can tell a planned crash from a real one.
  process.stderr.write(`PARLEY_TEST_CRASH_AT: killing myself at ${name}\n`);
  process.kill(process.pid, 'SIGKILL');
}

/** Dies here, at once, on the armed pass through `name`. */
export function crashPoint(name: CrashPointName): void {
  if (enabled && due(name)) die(name);
}

/**
 * On the armed pass through `name`: returns true, and dies once what this turn wrote to sockets
 * went out (frames are flushed on setImmediate); the caller then answers nothing. Else false.
 */
export function crashAfterFlush(name: CrashPointName): boolean {
  if (!enabled || !due(name)) return false;
  setImmediate(() => setImmediate(() => die(name)));
  return true;
}
