import { buildRtmToken006, buildRtmToken007, buildSignalingToken } from '@parley/token';
import { Command, type ErrorOptions, InvalidArgumentError, Option } from 'commander';

const APP_ID = /^[0-9A-Za-z]{32}$/;
const APP_CERTIFICATE = /^[0-9a-fA-F]{32}$/;
const MAX_USER_ID_BYTES = 64;
const MAX_U32 = 0xffffffff;
const DEFAULT_EXPIRE_SECONDS = 86_400;
const USAGE_EXIT_CODE = 2;

/**
 * Commander exits 1 on usage errors (InvalidArgumentError even sets 1 explicitly); these commands exit 2,
 * the usual "bad usage" code. Every error they report is a usage error and goes through `error()` (missing
 * option, invalid choice, argParser rejection, our own checks), so overriding it covers them all while
 * keeping any exitOverride/configureOutput inherited from the program.
 */
class UsageErrorCommand extends Command {
  override error(message: string, errorOptions?: ErrorOptions): never {
    return super.error(message, { ...errorOptions, exitCode: USAGE_EXIT_CODE });
  }

  override createCommand(name?: string): Command {
    return new UsageErrorCommand(name);
  }
}

function parseAppId(value: string): string {
  if (!APP_ID.test(value)) throw new InvalidArgumentError('An App ID is 32 characters [0-9A-Za-z].');
  return value;
}

function parseAppCertificate(value: string): string {
  if (!APP_CERTIFICATE.test(value))
    throw new InvalidArgumentError('An App certificate is 32 hex characters.');
  return value;
}

function parseUserId(value: string): string {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes === 0 || bytes > MAX_USER_ID_BYTES) {
    throw new InvalidArgumentError(`A user ID is 1 to ${MAX_USER_ID_BYTES} bytes.`);
  }
  return value;
}

function parseAccount(value: string): string {
  if (value.length === 0) throw new InvalidArgumentError('The account must not be empty.');
  return value;
}

function parseExpire(value: string): number {
  const seconds = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds <= MAX_U32)) throw new InvalidArgumentError('Expected a whole number of seconds.');
  return seconds;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function printToken(cmd: Command, token: string): void {
  const write = cmd.configureOutput().writeOut ?? ((text: string) => process.stdout.write(text));
  write(`${token}\n`);
}

function requirePositiveExpire(cmd: Command, expire: number, what: string): void {
  if (expire === 0) cmd.error(`error: --expire must be at least 1 second for ${what}.`);
}

/** Absolute timestamps (now + expire) must still fit the u32 fields of the token formats. */
function absolute(cmd: Command, expire: number): number {
  const ts = nowSeconds() + expire;
  if (ts > MAX_U32) cmd.error('error: --expire is too large: now + expire must fit in 32 bits.');
  return ts;
}

type RtmOptions = {
  appId: string;
  appCertificate: string;
  user: string;
  expire: number;
  format: '006' | '007';
};
type SignalingOptions = { appId: string; appCertificate: string; account: string; expire: number };

function rtmToken(cmd: Command, opts: RtmOptions): string {
  if (opts.format === '007') {
    requirePositiveExpire(cmd, opts.expire, '007 tokens');
    return buildRtmToken007(opts.appId, opts.appCertificate, opts.user, opts.expire);
  }
  // 006: kRtmLogin carries an absolute privilegeExpiredTs (0 = none); the token's own `ts`, which is what
  // Parley enforces, follows --expire too, falling back to the builders' 24 h when --expire is 0.
  const privilegeExpiredTs = opts.expire === 0 ? 0 : absolute(cmd, opts.expire);
  const ts = absolute(cmd, opts.expire === 0 ? DEFAULT_EXPIRE_SECONDS : opts.expire);
  return buildRtmToken006(opts.appId, opts.appCertificate, opts.user, privilegeExpiredTs, { ts });
}

function addCredentialOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--app-id <appId>', 'App ID (32 characters [0-9A-Za-z])', parseAppId)
    .requiredOption(
      '--app-certificate <certificate>',
      'App certificate (32 hex characters)',
      parseAppCertificate,
    );
}

/**
 * Adds `parley token rtm` and `parley token signaling`. The token alone goes to the program's configured
 * stdout writer; usage errors go to its stderr writer and exit 2. Configure exitOverride/configureOutput on
 * `program` before calling this: commander copies those settings into subcommands when they are created.
 */
export function registerTokenCommand(program: Command): void {
  const token = new UsageErrorCommand('token')
    .copyInheritedSettings(program)
    .description('Build access tokens for logging in to Parley (or Agora)')
    .action(function (this: Command) {
      this.error('error: missing subcommand: use "token rtm" or "token signaling" (see --help).');
    });
  program.addCommand(token);

  addCredentialOptions(token.command('rtm').description('Build an RTM login token (AccessToken 006 or 007)'))
    .requiredOption('--user <userId>', 'RTM user ID the token is for', parseUserId)
    .option('--expire <seconds>', 'validity in seconds', parseExpire, DEFAULT_EXPIRE_SECONDS)
    .addOption(new Option('--format <format>', 'token format').choices(['006', '007']).default('007'))
    .action(function (this: Command, opts: RtmOptions) {
      printToken(this, rtmToken(this, opts));
    });

  addCredentialOptions(token.command('signaling').description('Build a legacy Signaling token'))
    .requiredOption('--account <account>', 'Signaling account the token is for', parseAccount)
    .option('--expire <seconds>', 'validity in seconds', parseExpire, DEFAULT_EXPIRE_SECONDS)
    .action(function (this: Command, opts: SignalingOptions) {
      requirePositiveExpire(this, opts.expire, 'Signaling tokens');
      const expiredTs = absolute(this, opts.expire);
      printToken(this, buildSignalingToken(opts.appId, opts.appCertificate, opts.account, expiredTs));
    });
}
