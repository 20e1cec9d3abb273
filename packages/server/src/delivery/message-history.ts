import type { WireMessage } from '@parley/protocol';
import type { QuotasOf, ServerConfig } from '../config.js';
import { KeyedSerialQueue } from '../kernel/serial-queue.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { HistoryEntry, MessageHistoryStore } from '../ports/message-history-store.js';

/**
 * Agora's `message_type` of a history entry (docs/history.md). Text as Agora documents it; raw,
 * image and file messages, which Agora's history never held, get their own types so that a
 * reader knows the payload is base64 (raw) or a JSON description of the media (image, file).
 */
export const HISTORY_MESSAGE_TYPES = {
  peer: {
    TEXT: 'peer_message',
    RAW: 'peer_raw_message',
    IMAGE: 'peer_image_message',
    FILE: 'peer_file_message',
  },
  channel: {
    TEXT: 'channel_message',
    RAW: 'channel_raw_message',
    IMAGE: 'channel_image_message',
    FILE: 'channel_file_message',
  },
} as const;

/** The payload of an image or file message's entry: what a receiver needs to download and show it. */
function mediaPayload(msg: WireMessage): string {
  const m = msg.media;
  const out: Record<string, unknown> = {
    mediaId: m?.id ?? '',
    fileName: m?.fileName ?? '',
    size: m?.size ?? 0,
    description: msg.description ?? '',
  };
  if (msg.type === 'IMAGE')
    Object.assign(out, {
      width: m?.width ?? 0,
      height: m?.height ?? 0,
      thumbnailWidth: m?.thumbnailWidth ?? 0,
      thumbnailHeight: m?.thumbnailHeight ?? 0,
    });
  if (m?.thumbnail && m.thumbnail.byteLength > 0) out.thumbnail = Buffer.from(m.thumbnail).toString('base64');
  return JSON.stringify(out);
}

/** The stored payload of a message: text as sent, raw bytes as base64, media as JSON. */
function payloadOf(msg: WireMessage): string {
  if (msg.type === 'RAW') return Buffer.from(msg.raw ?? new Uint8Array(0)).toString('base64');
  if (msg.type === 'IMAGE' || msg.type === 'FILE') return mediaPayload(msg);
  return msg.text ?? '';
}

/** A history write failed: the send it belongs to is refused (its sender was not told it was sent). */
export class HistoryWriteFailed extends Error {}

export interface MessageHistoryDeps {
  config: ServerConfig;
  /** the per-app quotas (the history's byte cap), resolved once in createServer */
  quotas: QuotasOf;
  store: MessageHistoryStore;
  metrics: Metrics;
  log: Logger;
}

/**
 * The message history on the send paths: PeerDelivery.send (and Signaling's peer send through
 * it) and ChannelRooms.sendMessage record a message sent with enableHistoricalMessaging here,
 * before its sender is answered, and wait for the store's commit. Also the periodic sweep of
 * entries past `--history-ttl-ms`.
 */
export class MessageHistory {
  private timer: NodeJS.Timeout | null = null;
  /** per sender and destination: its last send still waiting for a history commit */
  private readonly pending = new KeyedSerialQueue<string>();

  constructor(private readonly ctx: MessageHistoryDeps) {}

  /** The entry of one message: text as sent, raw bytes as base64, image and file as JSON. */
  static entry(
    kind: HistoryEntry['kind'],
    id: string,
    from: string,
    to: string,
    ts: number,
    msg: WireMessage,
  ): HistoryEntry {
    return {
      id,
      src: from,
      dst: to,
      kind,
      messageType: HISTORY_MESSAGE_TYPES[kind][msg.type],
      ts,
      payload: payloadOf(msg),
    };
  }

  /** Appends and waits for the commit; rejects with HistoryWriteFailed (logged, counted). */
  async record(appId: string, entry: HistoryEntry): Promise<void> {
    const { ctx } = this;
    try {
      const r = await ctx.store.append(appId, entry, {
        ttlMs: ctx.config.historyTtlMs,
        maxBytesPerApp: ctx.quotas(appId).historyMaxBytes,
      });
      ctx.metrics.historyStored.inc({ kind: entry.kind });
      if (r.dropped > 0) ctx.metrics.historyDropped.inc({ reason: 'app_bytes' }, r.dropped);
    } catch (e) {
      ctx.metrics.historyFailures.inc({ op: 'append' });
      ctx.log.error({ err: e, appId }, 'message history write failed: send refused');
      throw new HistoryWriteFailed('the message history could not be written');
    }
  }

  /**
   * Order of one sender's messages around history writes: `entry` (a message sent with history)
   * is written at once, and the send waits for its commit and for the sender's earlier sends to
   * `key` still waiting for theirs; a send without history waits only for those. Undefined when
   * there is nothing to wait for (the common case: the caller goes on synchronously). Rejects
   * with HistoryWriteFailed when this send's entry could not be written.
   */
  before(key: string, appId: string, entry: HistoryEntry | null): Promise<void> | undefined {
    const tail = this.pending.tail(key);
    if (!entry) return tail?.then(() => undefined);
    const written = this.record(appId, entry);
    const done = tail ? tail.then(() => written) : written;
    return this.pending.push(key, done);
  }

  /**
   * A message's turn on a send path that delivers it right after (channels, Signaling's peer
   * send): {@link before}, keyed by the sender (and the channel), with the message's entry when
   * it was sent with history.
   */
  turn(
    kind: HistoryEntry['kind'],
    appId: string,
    from: string,
    to: string,
    m: { id: string; ts: number; msg: WireMessage },
    historical: boolean,
  ): Promise<void> | undefined {
    const key = kind === 'peer' ? `p\u0000${appId}\u0000${from}` : `c\u0000${appId}\u0000${to}\u0000${from}`;
    return this.before(
      key,
      appId,
      historical ? MessageHistory.entry(kind, m.id, from, to, m.ts, m.msg) : null,
    );
  }

  /** Starts the sweep of expired entries: at once, then every minute (or ttl, if shorter). */
  start(): void {
    if (this.timer) return;
    this.sweep();
    this.timer = setInterval(this.sweep, Math.max(1000, Math.min(this.ctx.config.historyTtlMs, 60_000)));
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private readonly sweep = (): void => {
    const { ctx } = this;
    ctx.store.sweep(Date.now() - ctx.config.historyTtlMs).then(
      (n) => {
        if (n === 0) return;
        ctx.metrics.historyDropped.inc({ reason: 'expired' }, n);
        ctx.log.info({ swept: n }, 'expired message history swept');
      },
      (e) => {
        ctx.metrics.historyFailures.inc({ op: 'sweep' });
        ctx.log.error({ err: e }, 'message history sweep failed');
      },
    );
  };
}
