/**
 * The error classes of agora-rtm-sdk 1.x, with the same names, numeric `code` and message format
 * (" Error Code <code> - <text>", leading space included).
 */
export class RtmError extends Error {
  readonly code: number;
  readonly serverCode?: number;
  readonly originalError?: unknown;
  constructor(code: number, text: string, opts: { serverCode?: number; originalError?: unknown } = {}) {
    super(
      ` Error Code ${code}${opts.serverCode !== undefined ? `, server Code ${opts.serverCode}` : ''} - ${text}`,
    );
    this.code = code;
    if (opts.serverCode !== undefined) this.serverCode = opts.serverCode;
    if (opts.originalError !== undefined) this.originalError = opts.originalError;
  }
}
const named = (name: string) =>
  class extends RtmError {
    override name = name;
  };
export class RtmInvalidArgumentError extends named('RtmInvalidArgumentError') {}
export class RtmInvalidStatusError extends named('RtmInvalidStatusError') {}
export class RtmLimitExceededError extends named('RtmLimitExceededError') {}
export class RtmInvokeTooOftenError extends named('RtmInvokeTooOftenError') {}
export class RtmTimeoutError extends named('RtmTimeoutError') {}
export class RtmUnauthenticatedError extends named('RtmUnauthenticatedError') {}
export class RtmUnavailableError extends named('RtmUnavailableError') {}
export class RtmUnknownError extends named('RtmUnknownError') {}
export class RtmInternalError extends named('RtmInternalError') {}
/** Parley: a method that a later release implements. */
export class RtmNotImplementedError extends named('RtmNotImplementedError') {}

export type RtmErrorClass = new (code: number, text: string, opts?: { serverCode?: number }) => RtmError;

/** One row per code of an operation's error group: the class Agora's SDK throws and the text. */
export type ErrorTable = Record<number, [RtmErrorClass, string]>;

export const NOT_LOGGED_IN_ROW: [RtmErrorClass, string] = [
  RtmInvalidStatusError,
  'The client is not logged in.',
];

/** Builds the error for `code` from a table; unknown codes become RtmUnknownError. */
export function errorFrom(table: ErrorTable, code: number, detail?: string): RtmError {
  const row = table[code] ?? (code === 102 ? NOT_LOGGED_IN_ROW : undefined);
  if (!row) return new RtmUnknownError(code, detail ?? 'Unknown error.');
  return new row[0](code, detail ? `${row[1]} ${detail}` : row[1]);
}
