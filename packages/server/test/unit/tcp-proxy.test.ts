import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../tcp-proxy.js';
import { until } from '../helpers.js';

/** An echo server: the target behind the proxy. Counts the sockets it has open. */
async function echoServer(): Promise<{ server: Server; port: number; open: () => number }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, open: () => sockets.size };
}

/** A client socket that records what it receives and whether it closed. */
function dial(port: number) {
  const s = createConnection({ port, host: '127.0.0.1' });
  const state = { data: '', closed: false, socket: s };
  s.setEncoding('utf8');
  s.on('data', (d: string) => (state.data += d));
  s.on('error', () => undefined);
  s.on('close', () => (state.closed = true));
  return state;
}

describe('startTcpProxy', () => {
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let proxy: TcpProxy;
  beforeEach(async () => {
    echo = await echoServer();
    proxy = await startTcpProxy(echo.port);
  });
  afterEach(async () => {
    await proxy.close();
    await new Promise<void>((r) => echo.server.close(() => r()));
  });

  it('forwards both ways and gives a WebSocket URL', async () => {
    expect(proxy.url).toBe(`ws://127.0.0.1:${proxy.port}/rtm`);
    const c = dial(proxy.port);
    c.socket.write('hello');
    await until(() => c.data === 'hello');
    expect(proxy.connections).toBe(1);
    expect(proxy.accepted).toBe(1);
    c.socket.destroy();
    await until(() => proxy.connections === 0 && echo.open() === 0);
  });

  it('dropAll closes both ends of every connection', async () => {
    const a = dial(proxy.port);
    const b = dial(proxy.port);
    a.socket.write('x');
    b.socket.write('y');
    await until(() => a.data === 'x' && b.data === 'y');
    proxy.dropAll();
    await until(() => a.closed && b.closed && echo.open() === 0);
    expect(proxy.connections).toBe(0);
    // still serving new connections
    const c = dial(proxy.port);
    c.socket.write('z');
    await until(() => c.data === 'z');
  });

  it("pause('refuse') resets new connections until resume", async () => {
    proxy.pause();
    const a = dial(proxy.port);
    await until(() => a.closed);
    expect(proxy.accepted).toBe(0);
    proxy.resume();
    const b = dial(proxy.port);
    b.socket.write('ok');
    await until(() => b.data === 'ok');
  });

  it("pause('hold') keeps new connections waiting, then connects them on resume", async () => {
    proxy.pause('hold');
    const a = dial(proxy.port);
    a.socket.write('early');
    await until(() => proxy.connections === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(a.data).toBe('');
    expect(echo.open()).toBe(0);
    proxy.resume();
    await until(() => a.data === 'early');
  });

  it('stall holds bytes on open connections without closing them; resume delivers them', async () => {
    const a = dial(proxy.port);
    a.socket.write('1');
    await until(() => a.data === '1');
    proxy.stall();
    a.socket.write('2');
    await new Promise((r) => setTimeout(r, 100));
    expect(a.data).toBe('1');
    expect(a.closed).toBe(false);
    proxy.resume();
    await until(() => a.data === '12');
  });

  it('close drops everything and refuses new connections', async () => {
    const a = dial(proxy.port);
    a.socket.write('x');
    await until(() => a.data === 'x');
    await proxy.close();
    await until(() => a.closed);
    const b = dial(proxy.port);
    await until(() => b.closed);
    expect(b.data).toBe('');
  });
});
