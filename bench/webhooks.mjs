/**
 * Webhooks benchmark: `npm run bench -- webhooks [options]` (build first: `npm run build`).
 *
 * The server's cost of sending events: an in-process Parley server (packages/server/dist) with one
 * webhook endpoint (a node:http sink in its own process, bench/lib/webhook-sink.mjs) is fed
 * `events` message.peer events through its activity feed, `chunk` per event-loop turn, and sends
 * them in batches until all are delivered. Reported: events/s and this process's CPU per event
 * (batch building, JSON, signature, HTTP), over `rounds` rounds (median).
 */
import { parseArgs } from './lib/args.mjs';
import { startBaseline } from './lib/server-proc.mjs';
import { median } from './lib/stats.mjs';

const o = parseArgs(process.argv.slice(2), { events: 200_000, chunk: 500, rounds: 3, textBytes: 100 });
const { createServer } = await import('../packages/server/dist/server.js');
const sink = await startBaseline('webhook-sink.mjs', { scheme: 'http' });
const msg = { type: 'TEXT', text: 'x'.repeat(o.textBytes) };
const results = [];
try {
  for (let r = 0; r < o.rounds; r++) {
    const server = await createServer({
      port: 0,
      dataDir: null,
      logLevel: 'silent',
      webhookUrl: `${sink.url}/hooks`,
      webhookSecret: 'bench-secret',
      webhookEvents: 'message.peer',
      webhookQueueMax: o.events,
    });
    await server.listen();
    const sent = async () => (await server.metrics.webhookEventsSent.get()).values[0]?.value ?? 0;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < o.events; i += o.chunk) {
      for (let j = i; j < Math.min(i + o.chunk, o.events); j++)
        server.activity.emit({
          type: 'message.peer',
          appId: 'bench',
          from: 'a',
          to: 'b',
          id: String(j),
          ts: Date.now(),
          msg,
        });
      await new Promise((resolve) => setImmediate(resolve));
    }
    while ((await sent()) < o.events) await new Promise((resolve) => setTimeout(resolve, 5));
    const cpu = process.cpuUsage(c0);
    const ms = performance.now() - t0;
    const requests = (await server.metrics.webhookRequests.get()).values.reduce((n, v) => n + v.value, 0);
    await server.close();
    results.push({ perSec: (o.events / ms) * 1000, cpuUs: (cpu.user + cpu.system) / o.events, requests });
    console.log(
      `  round ${r + 1}: ${Math.round(results.at(-1).perSec).toLocaleString('en')} events/s, ` +
        `${results.at(-1).cpuUs.toFixed(2)} µs CPU/event, ${requests} requests`,
    );
  }
} finally {
  sink.stop();
}
console.log(
  `webhooks: ${o.events} message.peer events (${o.textBytes}-byte text), ${o.chunk} per turn, median of ${o.rounds}: ` +
    `${Math.round(median(results.map((x) => x.perSec))).toLocaleString('en')} events/s, ` +
    `${median(results.map((x) => x.cpuUs)).toFixed(2)} µs CPU/event (Node ${process.version})`,
);
