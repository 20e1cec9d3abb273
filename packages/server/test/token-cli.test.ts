import { parseAccessToken2, parseAccessToken006, verifyRtmToken, verifySignalingToken } from '@parley/token';
import { Command, CommanderError } from 'commander';
import { describe, expect, test } from 'vitest';
import { registerTokenCommand } from '../src/cli/token-command.js';

const appId = '970CA35de60c44645bbae8a215061b33';
const appCertificate = '5CFd2fd1755d40ecb72977518be15d3b';
const creds = ['--app-id', appId, '--app-certificate', appCertificate];

function run(args: string[]): { out: string; err: string; exitCode: number } {
  let out = '';
  let err = '';
  const program = new Command('parley')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerTokenCommand(program);
  let exitCode = 0;
  try {
    program.parse(['token', ...args], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    exitCode = error.exitCode;
  }
  return { out, err, exitCode };
}

function printedToken(args: string[]): string {
  const { out, err, exitCode } = run(args);
  expect({ err, exitCode }).toEqual({ err: '', exitCode: 0 });
  expect(out).toMatch(/^\S+\n$/);
  return out.trim();
}

const nowS = () => Math.floor(Date.now() / 1000);

describe('parley token rtm', () => {
  test('defaults to a 007 token valid for 86400 s', () => {
    const before = nowS();
    const token = printedToken(['rtm', ...creds, '--user', 'alice']);
    const check = verifyRtmToken(token, { appId, appCertificate, userId: 'alice' });
    expect(check).toMatchObject({ ok: true, format: '007' });
    const parsed = parseAccessToken2(token);
    expect(parsed.expire).toBe(86_400);
    expect(parsed.issueTs).toBeGreaterThanOrEqual(before);
    expect(verifyRtmToken(token, { appId, appCertificate, userId: 'bob' }).ok).toBe(false);
  });

  test('--expire sets the 007 validity', () => {
    const token = printedToken(['rtm', ...creds, '--user', 'alice', '--expire', '60', '--format', '007']);
    const { issueTs } = parseAccessToken2(token);
    expect(verifyRtmToken(token, { appId, appCertificate, userId: 'alice' })).toEqual({
      ok: true,
      format: '007',
      expiresAtMs: (issueTs + 60) * 1000,
    });
  });

  test('--format 006: privilegeExpiredTs and ts are now + expire', () => {
    const before = nowS();
    const token = printedToken(['rtm', ...creds, '--user', 'alice', '--format', '006', '--expire', '600']);
    const parsed = parseAccessToken006(token);
    expect(parsed.privileges[1000]).toBeGreaterThanOrEqual(before + 600);
    expect(parsed.privileges[1000]).toBeLessThanOrEqual(nowS() + 600);
    expect(parsed.ts).toBe(parsed.privileges[1000]);
    expect(verifyRtmToken(token, { appId, appCertificate, userId: 'alice' })).toEqual({
      ok: true,
      format: '006',
      expiresAtMs: parsed.ts * 1000,
    });
  });

  test('--format 006 --expire 0: privilege 0, validity the default 24 h', () => {
    const before = nowS();
    const token = printedToken(['rtm', ...creds, '--user', 'alice', '--format', '006', '--expire', '0']);
    const parsed = parseAccessToken006(token);
    expect(parsed.privileges).toEqual({ 1000: 0 });
    expect(parsed.ts).toBeGreaterThanOrEqual(before + 86_400);
    expect(verifyRtmToken(token, { appId, appCertificate, userId: 'alice' }).ok).toBe(true);
  });
});

describe('parley token signaling', () => {
  test('prints a Signaling token valid for --expire seconds', () => {
    const before = nowS();
    const token = printedToken(['signaling', ...creds, '--account', 'alice', '--expire', '120']);
    const check = verifySignalingToken(token, { appId, appCertificate, account: 'alice' });
    expect(check).toMatchObject({ ok: true, format: 'signaling' });
    expect(check.ok && check.expiresAtMs).toBeGreaterThanOrEqual((before + 120) * 1000);
  });

  test('defaults to 86400 s', () => {
    const before = nowS();
    const token = printedToken(['signaling', ...creds, '--account', 'alice']);
    expect(Number(token.split(':')[2])).toBeGreaterThanOrEqual(before + 86_400);
  });
});

describe('bad arguments exit 2 with a message on stderr and nothing on stdout', () => {
  const bad: Array<[string, string[], RegExp]> = [
    ['missing --app-id', ['rtm', '--app-certificate', appCertificate, '--user', 'u'], /--app-id/],
    ['missing --app-certificate', ['rtm', '--app-id', appId, '--user', 'u'], /--app-certificate/],
    ['missing --user', ['rtm', ...creds], /--user/],
    ['missing --account', ['signaling', ...creds], /--account/],
    ['option without its value', ['rtm', ...creds, '--user'], /--user/],
    [
      'app id too short',
      ['rtm', '--app-id', appId.slice(1), '--app-certificate', appCertificate, '--user', 'u'],
      /App ID/,
    ],
    [
      'app id with a dash',
      ['rtm', '--app-id', `${appId.slice(1)}-`, '--app-certificate', appCertificate, '--user', 'u'],
      /App ID/,
    ],
    [
      'certificate not hex',
      ['rtm', '--app-id', appId, '--app-certificate', 'g'.repeat(32), '--user', 'u'],
      /certificate/,
    ],
    [
      'certificate too long',
      ['signaling', '--app-id', appId, '--app-certificate', `${appCertificate}0`, '--account', 'u'],
      /certificate/,
    ],
    ['format 008', ['rtm', ...creds, '--user', 'u', '--format', '008'], /006, 007/],
    ['expire not a number', ['rtm', ...creds, '--user', 'u', '--expire', 'soon'], /whole number/],
    ['expire fractional', ['rtm', ...creds, '--user', 'u', '--expire', '1.5'], /whole number/],
    ['expire negative', ['signaling', ...creds, '--account', 'u', '--expire', '-5'], /--expire/],
    ['expire above 32 bits', ['rtm', ...creds, '--user', 'u', '--expire', '4294967296'], /whole number/],
    [
      '006 expiry past 2106',
      ['rtm', ...creds, '--user', 'u', '--format', '006', '--expire', '4294967295'],
      /too large/,
    ],
    ['007 expire 0', ['rtm', ...creds, '--user', 'u', '--expire', '0'], /at least 1 second/],
    ['signaling expire 0', ['signaling', ...creds, '--account', 'u', '--expire', '0'], /at least 1 second/],
    ['user id over 64 bytes', ['rtm', ...creds, '--user', 'x'.repeat(65)], /64 bytes/],
    ['empty user id', ['rtm', ...creds, '--user', ''], /user ID/],
    ['unknown option', ['rtm', ...creds, '--user', 'u', '--colour', 'red'], /unknown option/],
    ['missing subcommand', [], /subcommand/],
    ['unknown subcommand', ['rtc', ...creds], /./],
  ];

  test.each(bad)('%s', (_name, args, message) => {
    const { out, err, exitCode } = run(args);
    expect(exitCode).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
  });
});
