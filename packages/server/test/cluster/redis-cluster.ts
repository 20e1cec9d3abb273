import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createServer } from 'node:net';
import { haveRedisServer } from './redis-server.js';

const run = promisify(execFile);

/**
 * A local Redis Cluster for tests: 3 masters (and one replica each by default) on free ports,
 * no persistence, files in a temporary directory, every process killed and the directory removed
 * at close. `cluster-node-timeout` is short so a killed master's replica takes over within a few
 * seconds (failure detection after the timeout, then the replica election).
 */
export interface LocalRedisCluster {
  /** `127.0.0.1:p1,127.0.0.1:p2,...`: the value of --redis-cluster */
  readonly seeds: string;
  readonly ports: number[];
  /** the ports of the current masters, by slot range */
  masters(): Promise<number[]>;
  /** kill -9 the redis-server on `port` and wait for its exit */
  kill(port: number): Promise<void>;
  /** starts the killed redis-server on `port` again: same node (its nodes.conf), no data */
  restart(port: number): Promise<void>;
  /**
   * Resolves once every live node reports `cluster_state:ok` and the cluster has 3 masters with
   * slots, all of them running (after a kill: once a replica took over)
   */
  waitHealthy(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export { haveRedisServer };

export interface RedisClusterOptions {
  /** replicas per master: 0 or 1 (default 1) */
  replicas?: 0 | 1;
  /** cluster-node-timeout, ms (default 1000): how long a silent master takes to be failed over */
  nodeTimeoutMs?: number;
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 10_000,
  });
  return stdout;
}

/** Whether `port` can be bound on 127.0.0.1 right now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A port for a cluster node: Redis also listens on port + 10000 (the cluster bus), so both must be
 * free, and the port below the ephemeral range so that neither is taken by an outgoing connection.
 */
async function freeNodePort(taken: number[]): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 10000);
    if (!taken.includes(p) && (await bindable(p)) && (await bindable(p + 10000))) return p;
  }
  throw new Error('local Redis Cluster: no free port pair (p, p + 10000) found in 20000-29999');
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`local Redis Cluster: ${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startRedisCluster(o: RedisClusterOptions = {}): Promise<LocalRedisCluster> {
  const replicas = o.replicas ?? 1;
  const count = 3 * (1 + replicas);
  const dir = mkdtempSync(join(tmpdir(), 'parley-redis-cluster-'));
  const ports: number[] = [];
  const procs = new Map<number, ChildProcess>();
  // Ports are picked one by one; a clash with another process is unlikely and fails loudly.
  for (let i = 0; i < count; i++) ports.push(await freeNodePort(ports));
  const running = (p: ChildProcess | undefined) => !!p && p.exitCode === null && p.signalCode === null;
  const alive = () => ports.filter((p) => running(procs.get(p)));
  const kill = async (port: number) => {
    const p = procs.get(port);
    if (!p || !running(p)) return;
    await new Promise<void>((res) => {
      p.once('exit', () => res());
      p.kill('SIGKILL');
    });
  };
  const close = async () => {
    await Promise.all(ports.map(kill));
    rmSync(dir, { recursive: true, force: true });
  };
  const masters = async () => {
    for (const p of alive()) {
      try {
        const out = await cli(p, 'cluster', 'nodes');
        // <id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges...>
        return out
          .split('\n')
          .map((l) => l.trim().split(' '))
          .filter((f) => {
            const flags = (f[2] ?? '').split(',');
            return flags.includes('master') && !flags.some((x) => x.startsWith('fail')) && f.length > 8;
          })
          .map((f) => Number(/:(\d+)@/.exec(f[1]!)?.[1]));
      } catch {
        // this node is going down; ask the next
      }
    }
    throw new Error('local Redis Cluster: no node answers');
  };
  const waitHealthy = async (timeoutMs = 20_000) => {
    await until('cluster_state:ok and 3 running masters', timeoutMs, async () => {
      for (const p of alive()) {
        if (!(await cli(p, 'cluster', 'info')).includes('cluster_state:ok')) return false;
      }
      const m = await masters();
      return m.length === 3 && m.every((p) => alive().includes(p));
    });
  };
  const start = (port: number) => {
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        String(o.nodeTimeoutMs ?? 1000),
        // A shard without a master stops only its own slots, not the whole cluster (docs/cluster.md).
        '--cluster-require-full-coverage',
        'no',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    );
    procs.set(port, proc);
  };
  const restart = async (port: number) => {
    start(port);
    await until(`redis-server on ${port} answering`, 5000, async () =>
      (await cli(port, 'ping')).includes('PONG'),
    );
  };
  try {
    for (const port of ports) start(port);
    for (const port of ports)
      await until(`redis-server on ${port} answering`, 5000, async () =>
        (await cli(port, 'ping')).includes('PONG'),
      );
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    await waitHealthy();
    if (replicas > 0)
      // A replica can take over only once it synced with its master.
      await until('every replica in sync', 20_000, async () => {
        for (const p of ports) {
          const info = await cli(p, 'info', 'replication');
          if (info.includes('role:slave') && !info.includes('master_link_status:up')) return false;
        }
        return true;
      });
  } catch (e) {
    await close();
    throw e;
  }
  return {
    seeds: ports
      .slice(0, 3)
      .map((p) => `127.0.0.1:${p}`)
      .join(','),
    ports,
    masters,
    kill,
    restart,
    waitHealthy,
    close,
  };
}

/** Whether a Redis Cluster answers at `seeds` with cluster_state:ok. */
export async function clusterHealthy(seeds: string): Promise<boolean> {
  const [host, port] = seeds.split(',')[0]!.split(':');
  const r = new Redis(Number(port), host!, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.cluster('INFO')).includes('cluster_state:ok');
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}
