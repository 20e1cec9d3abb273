/**
 * Test-only crash points: `PARLEY_TEST_CRASH_AT=<point>:<n>[,<point>:<n>…]` makes the process
 * SIGKILL itself the n-th time it passes `<point>`, so crash tests can stop the server at an exact
 * moment of a message's life (docs/protocol.md, "Exactly once"). Unset (always, outside tests),
 * `crashPoint` is one boolean test.
 *
 * Points:
 *   peer-stored   an offline peer message is committed to the inbox; not yet delivered, not answered
 *   peer-ack      a receiver's PeerAck arrived; not yet processed (so the sender is not answered)
 *   channel-sent  a channel message was written to the members' sessions; not yet answered
 */
export type CrashPointName = 'peer-stored' | 'peer-ack' | 'channel-sent';

const armed = new Map<string, number>();
for (const part of (process.env.PARLEY_TEST_CRASH_AT ?? '').split(',')) {
  const m = /^([a-z-]+):(\d+)$/.exec(part.trim());
  if (m) armed.set(m[1]!, Number(m[2]));
}
const enabled = armed.size > 0;

export function crashPoint(name: CrashPointName): void {
  if (!enabled) return;
  const left = armed.get(name);
  if (left === undefined) return;
  if (left > 1) {
    armed.set(name, left - 1);
    return;
  }
  // stderr is unbuffered for a pipe on Linux only when written synchronously: say why we died.
  process.stderr.write(`PARLEY_TEST_CRASH_AT: killing myself at ${name}\n`);
  process.kill(process.pid, 'SIGKILL');
}
