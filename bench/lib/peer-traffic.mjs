/** Closed-loop acknowledged peer traffic over the peer clients of clients.mjs. */
import { performance } from 'node:perf_hooks';
import { Latencies, sleep } from './stats.mjs';

/** Keeps Parley sessions alive (the SDK pings every heartbeatMs); one timer for all clients. */
export function keepAlive(clients) {
  const every = clients[0]?.heartbeatMs;
  if (!every) return () => {};
  const t = setInterval(() => {
    for (const c of clients) c.ping();
  }, every);
  return () => clearInterval(t);
}

/**
 * Starts the traffic: client i keeps `window` messages of `text` in flight to uid `partnerOf(i)`,
 * sending the next one as each is answered, until `stop()`. Only answers that arrive during
 * `measure()` are counted.
 */
export function startPeerTraffic(clients, { partnerOf, text, window }) {
  const lat = new Latencies();
  let measuring = false;
  let running = true;
  let completed = 0;
  let notReceived = 0;
  let inFlight = 0;
  clients.forEach((c, i) => {
    const peer = partnerOf(i);
    c.onDone = (ms, received) => {
      inFlight--;
      if (measuring) {
        completed++;
        lat.add(ms);
        if (!received) notReceived++;
      }
      if (running) {
        inFlight++;
        c.send(peer, text);
      }
    };
  });
  for (let k = 0; k < window; k++)
    clients.forEach((c, i) => {
      inFlight++;
      c.send(partnerOf(i), text);
    });

  return {
    /**
     * Counts answers for `ms`. `sample()` (CPU counters) is called right before the measured time
     * starts and right after it ends; its results come back as `before` and `after`.
     */
    async measure(ms, sample) {
      const before = sample();
      const t0 = performance.now();
      measuring = true;
      await sleep(ms);
      measuring = false;
      const elapsedMs = performance.now() - t0;
      const after = sample();
      return { elapsedMs, before, after, completed, notReceived, lat };
    },
    /** Stops sending and waits up to `drainMs` for the answers in flight; resolves with those still missing. */
    async stop(drainMs) {
      running = false;
      for (let i = 0; i < drainMs / 10 && inFlight > 0; i++) await sleep(10);
      return inFlight;
    },
  };
}

/**
 * Pings every client like the SDK and starts closed-loop traffic between clients `u<i>` and
 * `u<i ^ 1>` (`o.size`-byte texts, `o.window` in flight each); returns the traffic and the pings' stop.
 */
export function startPairTraffic(clients, o) {
  const stopPings = keepAlive(clients);
  const traffic = startPeerTraffic(clients, {
    partnerOf: (i) => `u${i ^ 1}`,
    text: 'x'.repeat(o.size),
    window: o.window,
  });
  return { traffic, stopPings };
}

/**
 * Open-loop acknowledged peer traffic: `rate` messages per second in total, spread round-robin
 * over the clients (client i sends to `partnerOf(i)`) on a 5 ms clock, whatever the answers do,
 * so a slow server shows as latency, not as less load. `measure(ms)` records the latency of the
 * answers that arrive during it (from each message's send).
 */
export function startPacedTraffic(clients, { partnerOf, text, rate }) {
  const lat = new Latencies();
  let measuring = false;
  let completed = 0;
  let inFlight = 0;
  for (const c of clients)
    c.onDone = (ms) => {
      inFlight--;
      if (!measuring) return;
      completed++;
      lat.add(ms);
    };
  const t0 = performance.now();
  let sent = 0;
  let next = 0;
  const tick = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    for (; sent < due; sent++) {
      const i = next;
      next = (next + 1) % clients.length;
      inFlight++;
      clients[i].send(partnerOf(i), text);
    }
  }, 5);
  return {
    async measure(ms, sample) {
      const before = sample();
      const start = performance.now();
      measuring = true;
      await sleep(ms);
      measuring = false;
      const elapsedMs = performance.now() - start;
      return { elapsedMs, before, after: sample(), completed, lat };
    },
    async stop(drainMs) {
      clearInterval(tick);
      for (let i = 0; i < drainMs / 10 && inFlight > 0; i++) await sleep(10);
      return inFlight;
    },
  };
}
