import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS, LoginError } from '@parley/protocol';
import AgoraRTM from '@parley/sdk';
import { buildRtmToken007 } from '@parley/token';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfigFile, registerServeCommand } from '../src/cli/serve-command.js';
import { DEFAULT_CONFIG } from '../src/config.js';
import { rawLogin } from './raw-client.js';

/**
 * `parley serve` as users run it: the built binary in a child process (`npm run build` first;
 * CI builds before testing). Each server prints its URL, which the tests parse.
 */
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const CERT_APP = '970CA35de60c44645bbae8a215061b33';
const CERT = '5CFd2fd1755d40ecb72977518be15d3b';
const OPEN_APP = '0123456789abcdef0123456789abcdef';
const UNKNOWN_APP = 'ffffffffffffffffffffffffffffffff';

let dir: string;
const children = new Set<ChildProcess>();

/** Env of a child: ours without any PARLEY_* (so the developer's shell cannot change a test), plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PARLEY_')));
  return { ...base, ...env };
}

interface Running {
  url: string;
  wsUrl: string;
  out: () => string;
  /** SIGTERM; resolves with the exit code */
  stop: () => Promise<number | null>;
}

/** Starts `parley serve --port 0 ...` with its own data dir; resolves once it printed its URL, rejects if it exits first. */
function serve(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--port', '0', '--data-dir', mkdtempSync(join(dir, 'data-')), ...args],
    {
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  exited.then(() => children.delete(child));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /Parley listening on (http:\/\/\S+) \(WebSocket (ws:\/\/\S+)\)/.exec(out);
      if (m)
        resolve({
          url: m[1]!,
          wsUrl: m[2]!,
          out: () => out,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
    });
    exited.then((code) =>
      reject(new Error(`parley serve exited with ${code} before listening: ${err}${out}`)),
    );
  });
}

/** Runs `parley serve ...` expecting it to fail before listening. */
function serveFails(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--port', '0', '--data-dir', mkdtempSync(join(dir, 'data-')), ...args],
    {
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
    // It started after all: stop it so the test fails on the assertions, not on a hang.
    if (stdout.includes('Parley listening on')) child.kill('SIGTERM');
  });
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((r) =>
    child.once('exit', (code) => {
      children.delete(child);
      r({ code, stderr, stdout });
    }),
  );
}

function configFile(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

const token = (uid: string) => buildRtmToken007(CERT_APP, CERT, uid, 600);
/** Login code of a raw client: 0 or the LoginError code. */
const loginCode = (wsUrl: string, appId: string, token?: string) =>
  rawLogin(wsUrl, { appId, uid: 'alice', token }).then((r) => r.code);

describe('parley serve (built binary)', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before these tests`);
    dir = mkdtempSync(join(tmpdir(), 'parley-cli-serve-'));
  });
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it.concurrent('--app-id/--app-certificate: tokens required, other App IDs refused; SIGTERM exits 0', async () => {
    const s = await serve(['--app-id', CERT_APP, '--app-certificate', CERT, '--log-level', 'warn']);
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(s.out()).not.toContain('DEVELOPMENT MODE');
      expect(await loginCode(s.wsUrl, CERT_APP)).toBe(LoginError.INVALID_TOKEN);
      expect(await loginCode(s.wsUrl, UNKNOWN_APP)).toBe(LoginError.INVALID_APP_ID);
      // the real SDK against the real binary
      const c = AgoraRTM.createInstance(CERT_APP, { serverUrl: s.wsUrl });
      await c.login({ uid: 'alice', token: token('alice') });
      expect(c.connectionState).toBe('CONNECTED');
      c.release();
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  it.concurrent('--config with several apps (certificate, none, limits) and other config keys', async () => {
    const file = configFile('apps.json', {
      apps: [
        { appId: CERT_APP, appCertificate: CERT },
        { appId: OPEN_APP, limits: { messageBytes: 1024, userAttrs: { maxPairs: 8 } } },
      ],
      sessionGraceMs: 1234,
      logLevel: 'warn',
    });
    const s = await serve(['--config', file]);
    try {
      expect(s.out()).not.toContain('DEVELOPMENT MODE');
      expect(await loginCode(s.wsUrl, CERT_APP)).toBe(LoginError.INVALID_TOKEN);
      expect(await loginCode(s.wsUrl, CERT_APP, token('alice'))).toBe(0);
      expect(await loginCode(s.wsUrl, UNKNOWN_APP)).toBe(LoginError.INVALID_APP_ID);
      const open = await rawLogin(s.wsUrl, { appId: OPEN_APP, uid: 'bob' });
      expect(open.code).toBe(0);
      expect(open.body.sessionGraceMs).toBe(1234);
      expect(open.body.limits.messageBytes).toBe(1024);
      // a nested group may be given in part; the rest keeps its defaults
      expect(open.body.limits.userAttrs).toEqual({ ...DEFAULT_LIMITS.userAttrs, maxPairs: 8 });
      const cert = await rawLogin(s.wsUrl, { appId: CERT_APP, uid: 'alice', token: token('alice') });
      expect(cert.body.limits.messageBytes).toBe(DEFAULT_LIMITS.messageBytes);
    } finally {
      await s.stop();
    }
  });

  it.concurrent('flags, then env, win over the config file; --app-id adds an app to the file’s', async () => {
    const file = configFile('grace.json', {
      apps: [{ appId: CERT_APP, appCertificate: CERT }],
      sessionGraceMs: 1234,
      logLevel: 'warn',
    });
    const [byFlag, byEnv] = await Promise.all([
      // an app without certificate from the flags (an empty env certificate counts as none)
      serve(['--config', file, '--session-grace-ms', '999', '--app-id', OPEN_APP], {
        PARLEY_APP_CERTIFICATE: '',
      }),
      // everything from the environment, the App ID replacing the file's entry of the same app
      serve([], {
        PARLEY_CONFIG: file,
        PARLEY_SESSION_GRACE_MS: '888',
        PARLEY_APP_ID: CERT_APP,
        PARLEY_APP_CERTIFICATE: CERT.toLowerCase(),
      }),
    ]);
    try {
      const open = await rawLogin(byFlag.wsUrl, { appId: OPEN_APP, uid: 'a' });
      expect(open.code).toBe(0);
      expect(open.body.sessionGraceMs).toBe(999);
      expect(await loginCode(byFlag.wsUrl, CERT_APP)).toBe(LoginError.INVALID_TOKEN);
      expect(await loginCode(byFlag.wsUrl, CERT_APP, token('alice'))).toBe(0);
      expect(await loginCode(byFlag.wsUrl, UNKNOWN_APP)).toBe(LoginError.INVALID_APP_ID);

      expect(await loginCode(byEnv.wsUrl, CERT_APP)).toBe(LoginError.INVALID_TOKEN);
      // the certificate is used as text (Agora's builders do): a token signed with the other case fails
      expect(await loginCode(byEnv.wsUrl, CERT_APP, token('alice'))).toBe(LoginError.INVALID_TOKEN);
      const ok = await rawLogin(byEnv.wsUrl, {
        appId: CERT_APP,
        uid: 'alice',
        token: buildRtmToken007(CERT_APP, CERT.toLowerCase(), 'alice', 600),
      });
      expect(ok.code).toBe(0);
      expect(ok.body.sessionGraceMs).toBe(888);
      expect(await loginCode(byEnv.wsUrl, OPEN_APP)).toBe(LoginError.INVALID_APP_ID);
    } finally {
      await Promise.all([byFlag.stop(), byEnv.stop()]);
    }
  });

  it.concurrent('no apps: development mode, said loudly at start; any well-formed App ID logs in', async () => {
    const s = await serve(['--log-level', 'warn']);
    try {
      expect(s.out()).toContain('DEVELOPMENT MODE');
      expect(await loginCode(s.wsUrl, UNKNOWN_APP)).toBe(0);
      expect(await loginCode(s.wsUrl, CERT_APP, 'anything')).toBe(0);
    } finally {
      await s.stop();
    }
  });

  describe('bad flags or config: a clear message on stderr, non-zero exit, nothing served', () => {
    // [name, args, env, exit code, message]. Usage errors (flags, env) exit 2; a bad file exits 1.
    // Every rule of the file itself is checked in-process below; one case here proves the path.
    const cases: Array<[string, () => string[], Record<string, string>, number, RegExp]> = [
      ['--app-id not 32 characters', () => ['--app-id', 'short'], {}, 2, /--app-id.*App ID is 32 characters/],
      [
        '--app-certificate not hex',
        () => ['--app-id', CERT_APP, '--app-certificate', 'z'.repeat(32)],
        {},
        2,
        /--app-certificate.*32 hex/,
      ],
      ['--app-certificate without --app-id', () => ['--app-certificate', CERT], {}, 2, /needs --app-id/],
      ['PARLEY_APP_ID malformed', () => [], { PARLEY_APP_ID: 'nope' }, 2, /PARLEY_APP_ID.*App ID/],
      [
        '--redis and --redis-cluster both (issue 19)',
        () => ['--redis', 'redis://127.0.0.1:6379', '--redis-cluster', '127.0.0.1:7000'],
        {},
        2,
        /--redis and --redis-cluster exclude each other/,
      ],
      [
        '--redis-cluster and PARLEY_REDIS both (issue 19)',
        () => ['--redis-cluster', '127.0.0.1:7000'],
        { PARLEY_REDIS: 'redis://127.0.0.1:6379' },
        2,
        /--redis and --redis-cluster exclude each other/,
      ],
      [
        'PARLEY_REDIS_CLUSTER not host:port (issue 19)',
        () => [],
        { PARLEY_REDIS_CLUSTER: '127.0.0.1:7000,redis://x' },
        2,
        /PARLEY_REDIS_CLUSTER.*"redis:\/\/x" is not host:port/,
      ],
      [
        'PARLEY_HISTORY_MAX_BYTES_PER_APP not an integer (issue 15)',
        () => [],
        { PARLEY_HISTORY_MAX_BYTES_PER_APP: '200MB' },
        2,
        /history-max-bytes-per-app must be a non-negative integer/,
      ],
      [
        'PARLEY_POSTGRES unreachable (issue 15): the URL named, its password not',
        () => [],
        { PARLEY_POSTGRES: 'postgres://parley:s3cret@127.0.0.1:1/test' },
        1,
        /cannot reach PostgreSQL at postgres:\/\/parley:\*\*\*@127\.0\.0\.1:1\/test/,
      ],
      [
        'config app with a bad certificate (via PARLEY_CONFIG)',
        () => [],
        {},
        1,
        /cert\.json: apps\[0\]: certificate of 970CA35de60c44645bbae8a215061b33 is not 32 hex characters/,
      ],
    ];
    it.concurrent.each(cases)('%s', async (name, args, env, exitCode, message) => {
      if (name.includes('PARLEY_CONFIG'))
        env = {
          PARLEY_CONFIG: configFile('cert.json', { apps: [{ appId: CERT_APP, appCertificate: 'secret' }] }),
        };
      const r = await serveFails(args(), env);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(exitCode);
      expect(r.stdout).not.toContain('Parley listening');
    });
  });
});

describe('readConfigFile: every rule of the --config file', () => {
  let cfgDir: string;
  beforeAll(() => {
    cfgDir = mkdtempSync(join(tmpdir(), 'parley-config-'));
  });
  afterAll(() => rmSync(cfgDir, { recursive: true, force: true }));
  const read = (content: unknown) => {
    const p = join(cfgDir, 'c.json');
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
    return readConfigFile(p);
  };

  it('reads apps (null certificate = none, nested limits completed) and any config key', () => {
    expect(
      read({
        apps: [
          { appId: CERT_APP, appCertificate: CERT },
          { appId: OPEN_APP, appCertificate: null, limits: { sendRate: { count: 10 }, rateLimits: false } },
        ],
        port: 0,
        host: '0.0.0.0',
        dataDir: null,
        redisUrl: null,
        rateLimits: false,
      }),
    ).toEqual({
      apps: [
        { appId: CERT_APP, appCertificate: CERT },
        {
          appId: OPEN_APP,
          limits: { sendRate: { ...DEFAULT_LIMITS.sendRate, count: 10 }, rateLimits: false },
        },
      ],
      port: 0,
      host: '0.0.0.0',
      dataDir: null,
      redisUrl: null,
      rateLimits: false,
    });
  });

  it('reads customers and per-app REST rates (issue 15)', () => {
    const customers = [
      { id: 'cust-1', secret: 's1' },
      { id: 'cust-2', secret: 's2' },
    ];
    expect(
      read({
        customers,
        customerId: 'c3',
        apps: [{ appId: OPEN_APP, restRates: { messages: 50, history: 0 } }],
      }),
    ).toEqual({
      customers,
      customerId: 'c3',
      apps: [{ appId: OPEN_APP, restRates: { messages: 50, history: 0 } }],
    });
  });

  it('reads redisCluster (issue 19): a seed list, or null', () => {
    expect(read({ redisCluster: '127.0.0.1:7000,127.0.0.1:7001' })).toEqual({
      redisCluster: '127.0.0.1:7000,127.0.0.1:7001',
    });
    expect(read({ redisCluster: null })).toEqual({ redisCluster: null });
  });

  it("reads an app's historyMaxBytes quota (issue 15)", () => {
    expect(read({ apps: [{ appId: OPEN_APP, quotas: { historyMaxBytes: 4096 } }] })).toEqual({
      apps: [{ appId: OPEN_APP, quotas: { historyMaxBytes: 4096 } }],
    });
    expect(() => read({ apps: [{ appId: OPEN_APP, quotas: { historyMaxBytes: -1 } }] })).toThrow(
      /quotas\.historyMaxBytes must be a non-negative number, got -1/,
    );
  });

  it('reads postgres (issue 15): a URL, or null', () => {
    expect(read({ postgres: 'postgres://u@db:5432/parley' })).toEqual({
      postgres: 'postgres://u@db:5432/parley',
    });
    expect(read({ postgres: null })).toEqual({ postgres: null });
    expect(() => read({ postgres: 5432 })).toThrow(/"postgres" must be a string, got 5432/);
  });

  it("reads an app's quotas (issue 13): any of them, given in part", () => {
    expect(read({ apps: [{ appId: OPEN_APP, quotas: { offlineMaxBytes: 1000 } }] })).toEqual({
      apps: [{ appId: OPEN_APP, quotas: { offlineMaxBytes: 1000 } }],
    });
  });

  it('every ServerConfig key is accepted with its default value', () => {
    const { apps: _apps, ...rest } = DEFAULT_CONFIG;
    expect(read(rest)).toEqual(rest);
  });

  it.each<[string, unknown, RegExp]>([
    ['not JSON', '{ apps: [', /cannot read config file .*c\.json/],
    ['not an object', [], /expected a JSON object/],
    ['apps not an array', { apps: { appId: CERT_APP } }, /"apps" must be an array/],
    ['app not an object', { apps: [null] }, /apps\[0\]: expected an object/],
    ['short App ID', { apps: [{ appId: 'abc' }] }, /apps\[0\]: App ID "abc" is not 32 characters/],
    ['App ID with a dash', { apps: [{ appId: `${CERT_APP.slice(1)}-` }] }, /App ID .* is not 32 characters/],
    ['missing App ID', { apps: [{ appCertificate: CERT }] }, /App ID undefined is not 32 characters/],
    [
      'certificate not hex',
      { apps: [{ appId: CERT_APP, appCertificate: 'z'.repeat(32) }] },
      /not 32 hex characters/,
    ],
    [
      'certificate too short',
      { apps: [{ appId: CERT_APP, appCertificate: 'abc' }] },
      /not 32 hex characters/,
    ],
    ['certificate not a string', { apps: [{ appId: CERT_APP, appCertificate: 5 }] }, /not 32 hex characters/],
    [
      'app listed twice',
      { apps: [{ appId: CERT_APP }, { appId: CERT_APP }] },
      /apps\[1\]: App ID .* is listed twice/,
    ],
    [
      'unknown app key (typo)',
      { apps: [{ appId: CERT_APP, appCertifcate: CERT }] },
      /unknown key "appCertifcate"/,
    ],
    ['unknown top-level key', { sesionGraceMs: 5 }, /unknown key "sesionGraceMs"/],
    ['number as a string', { port: '80' }, /"port" must be a non-negative number, got "80"/],
    ['negative number', { sessionGraceMs: -1 }, /"sessionGraceMs" must be a non-negative number/],
    ['string as a number', { host: 1 }, /"host" must be a string/],
    ['boolean as a string', { rateLimits: 'off' }, /"rateLimits" must be a boolean/],
    ['null where not allowed', { port: null }, /"port" must be a non-negative number, got null/],
    ['limits not an object', { apps: [{ appId: OPEN_APP, limits: 5 }] }, /limits: expected an object/],
    [
      'unknown limit',
      { apps: [{ appId: OPEN_APP, limits: { messageKB: 4 } }] },
      /limits: unknown limit "messageKB"/,
    ],
    [
      'limit of the wrong type',
      { apps: [{ appId: OPEN_APP, limits: { messageBytes: -1 } }] },
      /messageBytes must be a non-negative number/,
    ],
    [
      'nested limit unknown key',
      { apps: [{ appId: OPEN_APP, limits: { userAttrs: { pairs: 1 } } }] },
      /userAttrs: unknown key "pairs"/,
    ],
    ['quotas not an object', { apps: [{ appId: OPEN_APP, quotas: 5 }] }, /quotas: expected an object/],
    [
      'unknown quota',
      { apps: [{ appId: OPEN_APP, quotas: { offlineMaxMB: 4 } }] },
      /quotas: unknown quota "offlineMaxMB"/,
    ],
    [
      'quota of the wrong type',
      { apps: [{ appId: OPEN_APP, quotas: { emptyChannelAttrsMaxBytes: -1 } }] },
      /emptyChannelAttrsMaxBytes must be a non-negative number/,
    ],
    [
      'nested limit not an object',
      { apps: [{ appId: OPEN_APP, limits: { sendRate: 10 } }] },
      /sendRate: expected an object/,
    ],
    ['customers not an array', { customers: { id: 'a', secret: 'b' } }, /"customers" must be an array/],
    ['customer without secret', { customers: [{ id: 'a' }] }, /customers\[0\]: "customers" must be an array/],
    ['customer with an empty id', { customers: [{ id: '', secret: 'b' }] }, /customers\[0\]/],
    ['customer with an unknown key', { customers: [{ id: 'a', secret: 'b', name: 'x' }] }, /customers\[0\]/],
    [
      'customer listed twice',
      {
        customers: [
          { id: 'a', secret: 'b' },
          { id: 'a', secret: 'c' },
        ],
      },
      /customers\[1\]: customer ID a is listed twice/,
    ],
    [
      'unknown REST rate',
      { apps: [{ appId: OPEN_APP, restRates: { peers: 4 } }] },
      /restRates: unknown key "peers"/,
    ],
    [
      'REST rate of the wrong type',
      { apps: [{ appId: OPEN_APP, restRates: { history: '100' } }] },
      /restRates.history must be a non-negative number/,
    ],
  ])('%s → refused', (_name, content, message) => {
    expect(() => read(content)).toThrow(message);
  });
});

describe('docs/configuration.md', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url)), 'utf8');

  it('lists every flag of `parley serve` with its environment variable and default', () => {
    const program = new Command('parley');
    registerServeCommand(program);
    const serve = program.commands.find((c) => c.name() === 'serve')!;
    for (const o of serve.options) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${o.flags.replace('|', '\\|')}\``));
      expect(row, `row of ${o.flags}`).toBeDefined();
      expect(row).toContain(`\`${o.envVar}\``);
      if (o.defaultValue !== undefined) expect(row).toContain(`\`${String(o.defaultValue)}\``);
    }
  });

  it('names every config key', () => {
    for (const key of Object.keys(DEFAULT_CONFIG)) expect(doc).toContain(`\`${key}\``);
  });
});
