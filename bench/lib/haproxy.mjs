/**
 * HAProxy in front of Parley nodes for the scale benchmark: installed with apt-get when missing
 * (Debian's `haproxy`), round robin, WebSocket pass-through (`timeout tunnel`), health checks on
 * `/healthz` so a dead node leaves the rotation, and `option redispatch` so a connection refused by
 * a node that is not marked down yet is retried on another one.
 *
 * Each process here may hold at most 20,000 file descriptors and a proxied client needs two (its
 * own socket and the one to the node), so several HAProxy processes share the listening addresses
 * (SO_REUSEPORT, HAProxy's default on Linux: the kernel spreads new connections over them). The
 * frontend listens on several loopback addresses (127.0.0.1, 127.0.0.2, …): one address and port
 * can take about 28,000 connections from 127.0.0.1 (the ephemeral port range).
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** clients one HAProxy process takes (two fds each, under the 20,000 fd limit) */
export const CLIENTS_PER_HAPROXY = 9000;
/** clients per frontend address (well under the ~28,000 ephemeral ports towards one address, which other programs share) */
export const CLIENTS_PER_ADDRESS = 10_000;

/** Installs HAProxy with apt-get when it is not on PATH; returns its version line. */
export function ensureHaproxy() {
  const version = () => execFileSync('haproxy', ['-v'], { encoding: 'utf8' }).split('\n')[0];
  try {
    return version();
  } catch {
    console.log('haproxy not found: apt-get install -y haproxy');
    execFileSync('apt-get', ['install', '-y', 'haproxy'], { stdio: 'inherit' });
    return version();
  }
}

/**
 * The configuration: `port` on `addresses`, `nodes` ({ name, port }) behind it, round robin.
 * `maxconn` is per process.
 */
export function haproxyConfig({ port, addresses, nodes, maxconn }) {
  return `global
  maxconn ${maxconn}
  ulimit-n ${2 * maxconn + 500}
  nbthread 1
  log stdout format raw local0 err

defaults
  mode http
  log global
  option dontlognull
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  # WebSocket: once upgraded, the tunnel may stay idle this long (Parley pings every few seconds)
  timeout tunnel 1h
  timeout http-request 10s
  # a node refused or dropped the connection attempt: try again, on another node
  retries 3
  option redispatch

frontend parley
${addresses.map((a) => `  bind ${a}:${port} backlog 4096`).join('\n')}
  default_backend nodes

backend nodes
  balance roundrobin
  option httpchk GET /healthz
  # a node busy with a login burst may answer late: 3 checks of up to 2 s fail before it is out
  timeout check 2s
  default-server check inter 1s fall 3 rise 2 maxconn ${maxconn}
${nodes.map((n) => `  server ${n.name} 127.0.0.1:${n.port}`).join('\n')}
`;
}

/**
 * Writes the configuration to `dir` and starts `processes` HAProxy processes on it (foreground,
 * `-db`). Resolves with `{ pids, stop }` once each listens.
 */
export async function startHaproxy({ dir, processes, ...cfg }) {
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, haproxyConfig(cfg));
  execFileSync('haproxy', ['-c', '-q', '-f', file]);
  const children = [];
  for (let i = 0; i < processes; i++) {
    const child = spawn('haproxy', ['-f', file, '-db'], { stdio: ['ignore', 'inherit', 'inherit'] });
    children.push(child);
  }
  await waitListening(cfg.addresses[0], cfg.port);
  // give every process time to bind (they share the port)
  await new Promise((r) => setTimeout(r, 300));
  for (const c of children)
    if (c.exitCode !== null) throw new Error(`haproxy exited at start (${c.exitCode}); config: ${file}`);
  return {
    file,
    pids: children.map((c) => c.pid),
    stop: () =>
      Promise.all(
        children.map(
          (c) =>
            new Promise((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', resolve);
              c.kill('SIGTERM');
            }),
        ),
      ),
  };
}

async function waitListening(host, port) {
  const { connect } = await import('node:net');
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, host);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`haproxy does not listen on ${host}:${port}`);
}
