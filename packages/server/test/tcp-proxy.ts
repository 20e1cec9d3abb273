import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder for tests, placed between an SDK and the server to cut its network the way a
 * real outage does, without touching either side's internals:
 *
 * - `dropAll()`  closes every open connection (both ends): the server sees the socket close at
 *   once (session → UNREACHABLE), the SDK sees its link drop and reconnects.
 * - `pause('refuse')` makes new connections fail at once (connection reset), as if the server
 *   were unreachable; `pause('hold')` accepts them but forwards nothing until `resume()`, as a
 *   black hole would (the SDK's handshake hangs).
 * - `stall()` stops forwarding on the open connections without closing them: neither side gets
 *   a close, so only heartbeats can tell (silent network loss). `resume()` lets the held bytes
 *   flow again. `stall('down')` holds only what the server sends (the client's requests still
 *   go through), so several server messages reach the client in one read on `resume()`.
 * - `resume()` undoes `pause` and `stall`; `close()` drops everything and stops listening.
 *
 * @example
 * const proxy = await startTcpProxy(server.port);
 * const c = AgoraRTM.createInstance(APP_ID, { serverUrl: proxy.url });
 * proxy.pause(); proxy.dropAll();   // cut the link and keep it cut
 * proxy.resume();                   // network back: the SDK reconnects
 */
export interface TcpProxy {
  /** the port the proxy listens on (127.0.0.1) */
  readonly port: number;
  /** `ws://127.0.0.1:<port>/rtm`: give this to the SDK as serverUrl */
  readonly url: string;
  /** connections currently open through the proxy (held ones included) */
  readonly connections: number;
  /** connections accepted and forwarded (or held) since start; refused ones not counted */
  readonly accepted: number;
  /** Closes every open connection, both ends. */
  dropAll(): void;
  /** New connections are reset at once ('refuse', default) or held unanswered ('hold'). */
  pause(mode?: 'refuse' | 'hold'): void;
  /**
   * Open connections stop forwarding (bytes wait) until resume(); nothing is closed. 'down':
   * only server → client stops.
   */
  stall(direction?: 'both' | 'down'): void;
  /** Undoes pause() and stall(): held connections are connected, stalled ones flow again. */
  resume(): void;
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  /** null while the connection is held */
  upstream: Socket | null;
  flowing: boolean;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const links = new Set<Link>();
  let mode: 'open' | 'refuse' | 'hold' = 'open';
  let stalled = false;
  let accepted = 0;
  let closed = false;

  const destroy = (l: Link) => {
    if (!links.delete(l)) return;
    l.client.destroy();
    l.upstream?.destroy();
  };

  const flow = (l: Link) => {
    if (l.flowing || !l.upstream) return;
    l.flowing = true;
    // unpipe first: after stall('down') the client side is still piped
    l.client.unpipe(l.upstream);
    l.client.pipe(l.upstream);
    l.upstream.pipe(l.client);
    l.client.resume();
    l.upstream.resume();
  };

  const hold = (l: Link, direction: 'both' | 'down') => {
    if (!l.flowing || !l.upstream) return;
    l.flowing = false;
    l.upstream.unpipe(l.client);
    l.upstream.pause();
    if (direction === 'down') return;
    l.client.unpipe(l.upstream);
    l.client.pause();
  };

  const connectUpstream = (l: Link) => {
    const up = createConnection({ host: targetHost, port: targetPort });
    l.upstream = up;
    up.setNoDelay(true);
    up.on('error', () => destroy(l));
    up.on('close', () => destroy(l));
    up.pause();
    up.once('connect', () => {
      if (!links.has(l)) return;
      if (!stalled) flow(l);
    });
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    client.on('error', () => undefined);
    if (closed || mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    accepted++;
    client.setNoDelay(true);
    const l: Link = { client, upstream: null, flowing: false };
    links.add(l);
    client.on('error', () => destroy(l));
    client.on('close', () => destroy(l));
    if (mode === 'open') connectUpstream(l);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;

  return {
    port,
    url: `ws://127.0.0.1:${port}/rtm`,
    get connections() {
      return links.size;
    },
    get accepted() {
      return accepted;
    },
    dropAll() {
      for (const l of [...links]) destroy(l);
    },
    pause(m: 'refuse' | 'hold' = 'refuse') {
      mode = m;
    },
    stall(direction: 'both' | 'down' = 'both') {
      stalled = true;
      for (const l of links) hold(l, direction);
    },
    resume() {
      mode = 'open';
      stalled = false;
      for (const l of [...links]) {
        if (!l.upstream) connectUpstream(l);
        else if (l.upstream.connecting === false) flow(l);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const l of [...links]) destroy(l);
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
