import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { isValidAppId } from '@parley/protocol';
import { DEFAULT_CONFIG, type AppConfig, type ServerConfig } from '../config.js';
import { createServer } from '../server.js';

const int = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  return Number(v);
};

/** Flags of `parley serve`; each is also read from env PARLEY_<FLAG> (e.g. PARLEY_SESSION_GRACE_MS). */
const FLAGS: Array<{ flag: string; key: keyof ServerConfig; desc: string; parse?: (v: string) => unknown }> = [
  { flag: 'port <n>', key: 'port', desc: 'TCP port (0 = pick a free one)', parse: int('port') },
  { flag: 'host <addr>', key: 'host', desc: 'bind address' },
  { flag: 'data-dir <dir>', key: 'dataDir', desc: 'directory for durable data (SQLite)' },
  { flag: 'redis <url>', key: 'redisUrl', desc: 'Redis URL: cluster mode' },
  { flag: 'node-id <id>', key: 'nodeId', desc: 'this node’s id (default random)' },
  { flag: 'log-level <level>', key: 'logLevel', desc: 'fatal|error|warn|info|debug|trace|silent' },
  { flag: 'session-grace-ms <ms>', key: 'sessionGraceMs', desc: 'how long a dropped session waits for its client', parse: int('session-grace-ms') },
  { flag: 'invitation-ack-timeout-ms <ms>', key: 'invitationAckTimeoutMs', desc: 'callee offline or silent', parse: int('invitation-ack-timeout-ms') },
  { flag: 'invitation-expire-ms <ms>', key: 'invitationExpireMs', desc: 'invitation received but unanswered', parse: int('invitation-expire-ms') },
  { flag: 'heartbeat-ms <ms>', key: 'heartbeatMs', desc: 'client heartbeat interval; 3 missed = dead socket', parse: int('heartbeat-ms') },
  { flag: 'peer-ack-timeout-ms <ms>', key: 'peerAckTimeoutMs', desc: 'wait for the receiving SDK to ack a peer message', parse: int('peer-ack-timeout-ms') },
  { flag: 'offline-max-per-user <n>', key: 'offlineMaxPerUser', desc: 'offline messages kept per receiver', parse: int('offline-max-per-user') },
  { flag: 'offline-ttl-ms <ms>', key: 'offlineTtlMs', desc: 'offline message lifetime', parse: int('offline-ttl-ms') },
  { flag: 'history-messages <n>', key: 'historyMessages', desc: 'channel history kept for resumed sessions', parse: int('history-messages') },
  { flag: 'history-ms <ms>', key: 'historyMs', desc: 'age limit of channel history', parse: int('history-ms') },
  { flag: 'empty-channel-attrs-ttl-ms <ms>', key: 'emptyChannelAttrsTtlMs', desc: 'drop attributes of a channel empty this long', parse: int('empty-channel-attrs-ttl-ms') },
];

const envName = (flag: string) => 'PARLEY_' + flag.split(' ')[0]!.replace(/-/g, '_').toUpperCase();

/** Reads a `--config` JSON file: `{ "apps": [{ "appId", "appCertificate"?, "limits"? }], ...any config key }`. */
export function readConfigFile(path: string): Partial<ServerConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null) throw new Error(`config file ${path}: expected a JSON object`);
  const cfg = raw as Partial<ServerConfig>;
  for (const a of cfg.apps ?? []) validateApp(a, path);
  return cfg;
}

function validateApp(a: AppConfig, where: string): void {
  if (!isValidAppId(a.appId)) throw new Error(`${where}: App ID ${JSON.stringify(a.appId)} is not 32 characters [0-9A-Za-z]`);
  if (a.appCertificate !== undefined && !/^[0-9a-fA-F]{32}$/.test(a.appCertificate))
    throw new Error(`${where}: certificate of ${a.appId} is not 32 hex characters`);
}

export function registerServeCommand(program: Command): void {
  const cmd = program.command('serve').description('run a Parley server');
  for (const f of FLAGS) {
    const o = new Option(`--${f.flag}`, f.desc).env(envName(f.flag));
    if (f.parse) o.argParser(f.parse as (v: string) => unknown);
    const def = DEFAULT_CONFIG[f.key];
    if (def !== '' && def !== null) o.default(def);
    cmd.addOption(o);
  }
  cmd.addOption(new Option('--app-id <id>', 'an app (with --app-certificate); --config for several').env('PARLEY_APP_ID'));
  cmd.addOption(new Option('--app-certificate <hex>', 'the app’s certificate: tokens required').env('PARLEY_APP_CERTIFICATE'));
  cmd.addOption(new Option('--config <file>', 'JSON config file (apps, limits, any option)').env('PARLEY_CONFIG'));
  cmd.addOption(new Option('--rate-limits <on|off>', 'off lifts rate limits (not size limits)').choices(['on', 'off']).default('on').env('PARLEY_RATE_LIMITS'));
  cmd.action(async (opts: Record<string, unknown>) => {
    const fromFile = opts.config ? readConfigFile(String(opts.config)) : {};
    const cfg: Partial<ServerConfig> = { ...fromFile };
    for (const f of FLAGS) {
      const k = f.key;
      const source = cmd.getOptionValueSource(camel(f.flag));
      // Config-file values win over defaults, flags and env win over the file.
      if (opts[camel(f.flag)] !== undefined && (source !== 'default' || fromFile[k] === undefined)) (cfg as Record<string, unknown>)[k] = opts[camel(f.flag)];
    }
    cfg.rateLimits = opts.rateLimits !== 'off' && fromFile.rateLimits !== false;
    if (opts.appId) {
      const app: AppConfig = { appId: String(opts.appId), appCertificate: opts.appCertificate ? String(opts.appCertificate) : undefined };
      validateApp(app, '--app-id');
      cfg.apps = [...(cfg.apps ?? []).filter((a) => a.appId !== app.appId), app];
    } else if (opts.appCertificate) throw new Error('--app-certificate needs --app-id');
    const server = await createServer(cfg);
    await server.listen();
    if (server.config.apps.length === 0)
      server.log.warn('DEVELOPMENT MODE: no apps configured; any well-formed App ID may log in without a token. Configure --app-id/--config before exposing this server.');
    server.log.info({ url: server.url, ws: server.wsUrl, node: server.config.nodeId, mode: server.config.redisUrl ? 'cluster' : 'embedded' }, 'parley listening');
    process.stdout.write(`Parley listening on ${server.url} (WebSocket ${server.wsUrl})\n`);
    let stopping = false;
    const stop = (sig: string) => {
      if (stopping) return;
      stopping = true;
      server.log.info({ sig }, 'shutting down');
      server.close().then(
        () => process.exit(0),
        (e) => {
          server.log.error({ err: e }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

const camel = (flag: string) => flag.split(' ')[0]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
