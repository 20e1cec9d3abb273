/** Drives channel fan-out through the channel clients of fanout-clients.mjs. */
import { performance } from 'node:perf_hooks';

/**
 * Sends `count` messages of `size` bytes through `sender` with `window` in flight and resolves when
 * every member got every message and every send was answered. Messages carry their sequence number,
 * so each delivery's latency from its send goes into `lat` (if given). Rejects after `stallMs`
 * without progress.
 */
export function pumpChannel(sender, members, { count, window, size, lat, stallMs }) {
  const pad = 'x'.repeat(size);
  const sentAt = new Float64Array(count);
  const expected = count * members.length;
  let sent = 0;
  let answered = 0;
  let delivered = 0;
  let lastProgress = performance.now();
  return new Promise((resolve, reject) => {
    const sendOne = () => {
      const seq = sent++;
      const head = `${seq}|`;
      sentAt[seq] = performance.now();
      sender.send(head + pad.slice(head.length));
    };
    const check = setInterval(() => {
      if (performance.now() - lastProgress > stallMs) {
        clearInterval(check);
        reject(new Error(`stalled: ${delivered}/${expected} deliveries, ${answered}/${count} answers`));
      }
    }, 1000);
    const maybeDone = () => {
      if (delivered === expected && answered === count) {
        clearInterval(check);
        resolve();
      }
    };
    for (const m of members)
      m.onMessage = (text) => {
        const seq = Number.parseInt(text, 10);
        if (lat) lat.add(performance.now() - sentAt[seq]);
        delivered++;
        lastProgress = performance.now();
        if (delivered === expected) maybeDone();
      };
    sender.onSent = () => {
      answered++;
      lastProgress = performance.now();
      if (sent < count) sendOne();
      else maybeDone();
    };
    while (sent < Math.min(window, count)) sendOne();
  });
}
