import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { isLogFormat, LOG_FORMATS, type LogFormat } from './config.js';

export type { Logger };

/** A person at a terminal reads lines; pipes, files and log collectors get one JSON object per line. */
export function effectiveLogFormat(format: LogFormat, stdoutIsTTY: boolean): 'pretty' | 'json' {
  return format === 'auto' ? (stdoutIsTTY ? 'pretty' : 'json') : format;
}

/**
 * One logger per server instance; layers take a child (`{ layer: 'session' }`). Writes are
 * synchronous in both formats: nothing is logged per message, and start-up lines (development-mode
 * warning, the listening line) must appear in order and survive an immediate exit.
 */
export function createLogger(level: string, format: LogFormat = 'json'): Logger {
  if (!isLogFormat(format))
    throw new Error(`logFormat must be one of ${LOG_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  const options = { level, base: { svc: 'parley' } };
  if (effectiveLogFormat(format, process.stdout.isTTY === true) === 'json')
    return pino(options, pino.destination({ dest: 1, sync: true }));
  return pino(
    options,
    pretty({
      destination: 1,
      sync: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,svc',
      singleLine: true,
    }),
  );
}
