import { MEDIA_LIMITS, MEDIA_PATH, MediaOp, type MediaTicketResponse } from '@parley/protocol';
import type { Core } from './core.js';
import { errorFrom, RtmError, type ErrorTable } from './errors.js';
import { invoke } from './invoke.js';
import type { MediaOperationProgress } from './types.js';

/** The codes a transfer fails with; upload and download share their numbers but for 4. */
const FAILURE = 1;
const TIMEOUT = 3;
const CONCURRENCY_LIMIT_EXCEEDED = 5;
const INTERRUPTED = 6;
const TICKET_TIMEOUT_MS = 10_000;

/** What a transfer's body gets: its signal, a progress callback, and its ticket. */
export interface TransferRun {
  signal: AbortSignal;
  /** bytes moved so far: resets the idle timer, tells the app */
  progress(bytes: number): void;
  /** the transfers URL on the server in use (`http://host:port/api/v1/media`) */
  url: string;
  /** `Authorization` header with a fresh ticket of this session */
  authorization(): Promise<string>;
}

/**
 * The transfers of one client (docs/media.md): at most MEDIA_LIMITS.maxTransfers at once, each
 * cancelled by the app's AbortSignal (INTERRUPTED) or by `idleTimeoutMs` without progress
 * (TIMEOUT); any other failure is FAILURE unless the body throws a coded RtmError itself.
 */
export class Transfers {
  private active = 0;

  constructor(
    private readonly core: Core,
    private readonly idleTimeoutMs: () => number,
  ) {}

  async run<T>(
    table: ErrorTable,
    cancel: AbortSignal | undefined,
    onProgress: ((p: MediaOperationProgress) => void) | undefined,
    totalSize: () => number,
    body: (t: TransferRun) => Promise<T>,
  ): Promise<T> {
    if (this.active >= MEDIA_LIMITS.maxTransfers) throw errorFrom(table, CONCURRENCY_LIMIT_EXCEEDED);
    if (cancel?.aborted) throw errorFrom(table, INTERRUPTED);
    this.active++;
    const ctl = new AbortController();
    let idle: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => ctl.abort(TIMEOUT), this.idleTimeoutMs());
    };
    const onCancel = () => ctl.abort(INTERRUPTED);
    cancel?.addEventListener('abort', onCancel, { once: true });
    let last = -1;
    arm();
    try {
      return await body({
        signal: ctl.signal,
        url: mediaUrl(this.core.serverUrl),
        progress: (bytes) => {
          arm();
          if (bytes === last) return;
          last = bytes;
          onProgress?.({ currentSize: bytes, totalSize: totalSize() });
        },
        authorization: async () => {
          const t = await invoke<MediaTicketResponse>(
            this.core,
            MediaOp.Ticket,
            {},
            table,
            TICKET_TIMEOUT_MS,
            FAILURE,
          );
          return `Bearer ${t.ticket}`;
        },
      });
    } catch (e) {
      if (ctl.signal.aborted) throw errorFrom(table, ctl.signal.reason as number);
      if (e instanceof RtmError) throw e;
      throw errorFrom(table, FAILURE, (e as Error)?.message);
    } finally {
      clearTimeout(idle);
      cancel?.removeEventListener('abort', onCancel);
      this.active--;
    }
  }
}

/** `ws://host:port/rtm` → `http://host:port/api/v1/media` (the same server, its HTTP side). */
function mediaUrl(serverUrl: string): string {
  const u = new URL(serverUrl);
  const scheme = u.protocol === 'wss:' ? 'https:' : 'http:';
  return `${scheme}//${u.host}${MEDIA_PATH}`;
}

/** The `error` of a refused transfer's JSON answer (`{ error: { code, message } }`). */
export function httpError(text: string): { code?: string; message?: string } {
  try {
    return (JSON.parse(text) as { error?: { code?: string; message?: string } }).error ?? {};
  } catch {
    return {};
  }
}
