/**
 * A throw-away 3-master Redis Cluster for benchmarks, started as .ci/run starts CI's:
 * `redis-server --cluster-enabled yes` on three free ports (each also needs port + 10000, the
 * cluster bus), `redis-cli --cluster create`, then wait for `cluster_state:ok` on every master.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const taken = (port) =>
  new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** Starts the cluster; resolves with `{ seeds: 'host:port,…', ports, stop() }`. */
export async function startRedisCluster(firstPort = 21001) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-rc-'));
  const ports = [];
  for (let p = firstPort; ports.length < 3 && p < firstPort + 200; p++)
    if (!(await taken(p)) && !(await taken(p + 10000))) ports.push(p);
  if (ports.length < 3) throw new Error('no free ports for a Redis Cluster');
  const stop = () => {
    for (const p of ports) {
      try {
        execFileSync('redis-cli', ['-p', String(p), 'shutdown', 'nosave'], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const p of ports)
      execFileSync('redis-server', [
        '--daemonize',
        'yes',
        '--bind',
        '127.0.0.1',
        '--port',
        String(p),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${p}.conf`),
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--logfile',
        join(dir, `redis-${p}.log`),
      ]);
    for (const p of ports) await until(() => ping(p), `redis on ${p}`);
    execFileSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes'],
      {
        stdio: 'ignore',
      },
    );
    await until(() => ports.every((p) => clusterOk(p)), 'cluster_state:ok');
  } catch (e) {
    stop();
    throw e;
  }
  return { seeds: ports.map((p) => `127.0.0.1:${p}`).join(','), ports, stop };
}

function ping(p) {
  try {
    return execFileSync('redis-cli', ['-p', String(p), 'ping'], { encoding: 'utf8' }).trim() === 'PONG';
  } catch {
    return false;
  }
}

function clusterOk(p) {
  try {
    return execFileSync('redis-cli', ['-p', String(p), 'cluster', 'info'], { encoding: 'utf8' }).includes(
      'cluster_state:ok',
    );
  } catch {
    return false;
  }
}

async function until(fn, what) {
  for (let i = 0; i < 100; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
