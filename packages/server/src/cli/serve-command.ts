import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_LIMITS, isValidAppId, type Limits } from '@parley/protocol';
import {
  type AppConfig,
  type AppQuotas,
  checkRedisMode,
  DEFAULT_CONFIG,
  isLogFormat,
  LOG_FORMATS,
  type ServerConfig,
} from '../config.js';
import { injectTestFault, installLastResort } from './last-resort.js';
import { camel, envName, SERVE_FLAGS } from './serve-flags.js';

/** An App certificate: 32 hex characters, as Agora's console shows it. */
const CERTIFICATE_RE = /^[0-9a-fA-F]{32}$/;
/** Config keys that may be null although their default is not (null = in-memory only). */
const NULLABLE_KEYS = new Set<string>(['dataDir', 'redisUrl', 'redisCluster', 'postgres']);
const APP_KEYS = new Set(['appId', 'appCertificate', 'limits', 'quotas']);
/** Keys of an app's `quotas` (AppQuotas), each a non-negative number. */
const QUOTA_KEYS = ['offlineMaxBytes', 'offlineMaxPerSenderPerHour', 'emptyChannelAttrsMaxBytes'];

/** What a config value must be, judged from its default. */
function kindOf(def: unknown): string {
  if (def === null || typeof def === 'string') return 'a string';
  return typeof def === 'number' ? 'a non-negative number' : `a ${typeof def}`;
}
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a `--config` JSON file: `{ "apps": [{ "appId", "appCertificate"?, "limits"? }], ...any
 * ServerConfig key }` (docs/configuration.md). Unknown keys, wrong types, bad App IDs or
 * certificates and duplicate apps are refused with a message naming the file and the key.
 */
export function readConfigFile(path: string): Partial<ServerConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  if (!isRecord(raw)) throw new Error(`config file ${path}: expected a JSON object`);
  const cfg: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'apps') continue;
    const def = (DEFAULT_CONFIG as unknown as Record<string, unknown>)[key];
    if (def === undefined)
      throw new Error(
        `config file ${path}: unknown key "${key}" (known: apps, ${Object.keys(DEFAULT_CONFIG)
          .filter((k) => k !== 'apps')
          .join(', ')})`,
      );
    const ok =
      value === null
        ? def === null || NULLABLE_KEYS.has(key)
        : def === null
          ? typeof value === 'string'
          : typeof def === 'number'
            ? typeof value === 'number' && Number.isFinite(value) && value >= 0
            : typeof value === typeof def;
    if (!ok)
      throw new Error(`config file ${path}: "${key}" must be ${kindOf(def)}, got ${JSON.stringify(value)}`);
    if (key === 'logFormat' && !isLogFormat(value))
      throw new Error(
        `config file ${path}: "logFormat" must be one of ${LOG_FORMATS.join(', ')}, got ${JSON.stringify(value)}`,
      );
    cfg[key] = value;
  }
  if (raw.apps !== undefined) {
    if (!Array.isArray(raw.apps))
      throw new Error(`config file ${path}: "apps" must be an array of { appId, appCertificate?, limits? }`);
    const seen = new Set<string>();
    cfg.apps = raw.apps.map((a: unknown, i: number) => {
      const app = validateApp(a, `config file ${path}: apps[${i}]`);
      if (seen.has(app.appId))
        throw new Error(`config file ${path}: apps[${i}]: App ID ${app.appId} is listed twice`);
      seen.add(app.appId);
      return app;
    });
  }
  return cfg as Partial<ServerConfig>;
}

/** Checks one app entry and returns it normalized (null certificate = none; nested limits completed). */
function validateApp(a: unknown, where: string): AppConfig {
  if (!isRecord(a)) throw new Error(`${where}: expected an object { appId, appCertificate?, limits? }`);
  for (const k of Object.keys(a))
    if (!APP_KEYS.has(k))
      throw new Error(`${where}: unknown key "${k}" (known: ${[...APP_KEYS].join(', ')})`);
  if (!isValidAppId(a.appId))
    throw new Error(`${where}: App ID ${JSON.stringify(a.appId)} is not 32 characters [0-9A-Za-z]`);
  const app: AppConfig = { appId: a.appId };
  if (a.appCertificate !== undefined && a.appCertificate !== null) {
    if (typeof a.appCertificate !== 'string' || !CERTIFICATE_RE.test(a.appCertificate))
      throw new Error(`${where}: certificate of ${a.appId} is not 32 hex characters`);
    app.appCertificate = a.appCertificate;
  }
  if (a.limits !== undefined) app.limits = validateLimits(a.limits, `${where}.limits`);
  if (a.quotas !== undefined) app.quotas = validateQuotas(a.quotas, `${where}.quotas`);
  return app;
}

/** Quota overrides of one app: known keys only, non-negative numbers (0 = no cap). */
function validateQuotas(q: unknown, where: string): Partial<AppQuotas> {
  if (!isRecord(q)) throw new Error(`${where}: expected an object with some of ${QUOTA_KEYS.join(', ')}`);
  for (const [k, v] of Object.entries(q)) {
    if (!QUOTA_KEYS.includes(k))
      throw new Error(`${where}: unknown quota "${k}" (known: ${QUOTA_KEYS.join(', ')})`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new Error(`${where}.${k} must be a non-negative number, got ${JSON.stringify(v)}`);
  }
  return q as Partial<AppQuotas>;
}

/** Limit overrides: known keys only, same types as DEFAULT_LIMITS; a nested group may be partial. */
function validateLimits(l: unknown, where: string): Partial<Limits> {
  if (!isRecord(l)) throw new Error(`${where}: expected an object of limits (keys of DEFAULT_LIMITS)`);
  const out: Record<string, unknown> = {};
  const defaults = DEFAULT_LIMITS as unknown as Record<string, unknown>;
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  for (const [k, v] of Object.entries(l)) {
    const def = defaults[k];
    if (def === undefined)
      throw new Error(`${where}: unknown limit "${k}" (known: ${Object.keys(defaults).join(', ')})`);
    if (isRecord(def)) {
      if (!isRecord(v))
        throw new Error(`${where}.${k}: expected an object with some of ${Object.keys(def).join(', ')}`);
      for (const [kk, vv] of Object.entries(v)) {
        if (!(kk in def))
          throw new Error(`${where}.${k}: unknown key "${kk}" (known: ${Object.keys(def).join(', ')})`);
        if (!num(vv))
          throw new Error(`${where}.${k}.${kk} must be a non-negative number, got ${JSON.stringify(vv)}`);
      }
      out[k] = { ...def, ...v };
    } else if (typeof def === 'number' ? !num(v) : typeof v !== typeof def) {
      throw new Error(`${where}.${k} must be ${kindOf(def)}, got ${JSON.stringify(v)}`);
    } else out[k] = v;
  }
  return out as Partial<Limits>;
}

/** Flag/env parsers of the app options: a bad value is a usage error (exit 2). Empty = not set. */
const appIdArg = (v: string) => {
  if (v !== '' && !isValidAppId(v)) throw new InvalidArgumentError('an App ID is 32 characters [0-9A-Za-z].');
  return v;
};
const certificateArg = (v: string) => {
  if (v !== '' && !CERTIFICATE_RE.test(v))
    throw new InvalidArgumentError('an App certificate is 32 hex characters.');
  return v;
};

export function registerServeCommand(program: Command): void {
  const cmd = program.command('serve').description('run a Parley server');
  for (const f of SERVE_FLAGS) {
    const o = new Option(`--${f.flag}`, f.desc).env(envName(f.flag));
    if (f.parse) o.argParser(f.parse as (v: string) => unknown);
    const def = DEFAULT_CONFIG[f.key];
    if (def !== '' && def !== null) o.default(def);
    cmd.addOption(o);
  }
  cmd.addOption(
    new Option('--app-id <id>', 'an app (with --app-certificate); --config for several')
      .env('PARLEY_APP_ID')
      .argParser(appIdArg),
  );
  cmd.addOption(
    new Option('--app-certificate <hex>', 'the app’s certificate: tokens required')
      .env('PARLEY_APP_CERTIFICATE')
      .argParser(certificateArg),
  );
  cmd.addOption(
    new Option('--config <file>', 'JSON config file (apps, limits, any option)').env('PARLEY_CONFIG'),
  );
  cmd.addOption(
    new Option('--rate-limits <on|off>', 'off lifts rate limits (not size limits)')
      .choices(['on', 'off'])
      .default('on')
      .env('PARLEY_RATE_LIMITS'),
  );
  cmd.action(async (opts: Record<string, unknown>) => {
    const fromFile = opts.config ? readConfigFile(String(opts.config)) : {};
    const cfg: Partial<ServerConfig> = { ...fromFile };
    for (const f of SERVE_FLAGS) {
      const k = f.key;
      const source = cmd.getOptionValueSource(camel(f.flag));
      // Config-file values win over defaults, flags and env win over the file.
      if (opts[camel(f.flag)] !== undefined && (source !== 'default' || fromFile[k] === undefined))
        (cfg as Record<string, unknown>)[k] = opts[camel(f.flag)];
    }
    // --rate-limits / PARLEY_RATE_LIMITS win over the file's "rateLimits", which wins over the default.
    cfg.rateLimits =
      cmd.getOptionValueSource('rateLimits') === 'default'
        ? fromFile.rateLimits !== false
        : opts.rateLimits !== 'off';
    if (opts.appId) {
      // --app-id adds an app to the file's, replacing a file entry with the same App ID.
      const app: AppConfig = {
        appId: String(opts.appId),
        appCertificate: opts.appCertificate ? String(opts.appCertificate) : undefined,
      };
      cfg.apps = [...(cfg.apps ?? []).filter((a) => a.appId !== app.appId), app];
    } else if (opts.appCertificate)
      cmd.error('error: --app-certificate needs --app-id (use --config for several apps)', { exitCode: 2 });
    try {
      checkRedisMode({ redisUrl: cfg.redisUrl ?? null, redisCluster: cfg.redisCluster ?? null });
    } catch (e) {
      cmd.error(`error: ${(e as Error).message}`, { exitCode: 2 });
    }
    // Loaded here, not at the top: `parley token` and usage errors need none of the server's modules.
    const { createServer } = await import('../server.js');
    const server = await createServer(cfg);
    await server.listen();
    if (server.config.apps.length === 0)
      server.log.warn(
        'DEVELOPMENT MODE: no apps configured; any well-formed App ID may log in without a token. Configure --app-id/--config before exposing this server.',
      );
    server.log.info(
      {
        url: server.url,
        ws: server.wsUrl,
        node: server.config.nodeId,
        mode: server.config.redisUrl || server.config.redisCluster ? 'cluster' : 'embedded',
      },
      'parley listening',
    );
    let stopping = false;
    /** Graceful shutdown, then exit with `exitCode` (1 if the shutdown itself fails). */
    const shutdown = (exitCode: number) => {
      if (stopping) return;
      stopping = true;
      server.close().then(
        () => process.exit(exitCode),
        (e) => {
          server.log.error({ err: e }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    const stop = (sig: string) => {
      if (!stopping) server.log.info({ sig }, 'shutting down');
      shutdown(0);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    installLastResort(server, shutdown);
    // Printed last: whoever waits for this line may signal the process at once.
    process.stdout.write(`Parley listening on ${server.url} (WebSocket ${server.wsUrl})\n`);
    injectTestFault();
  });
}
