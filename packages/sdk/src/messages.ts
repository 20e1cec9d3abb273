import { checkWireMessage, type WireMessage } from '@parley/protocol';
import type { ReceivedMessageProperties, RtmMessage } from './types.js';

/** Converts an app's message object to the wire form; null when it is not a valid message. */
export function toWire(m: unknown): WireMessage | null {
  if (typeof m !== 'object' || m === null) return null;
  const x = m as { messageType?: unknown; text?: unknown; rawMessage?: unknown; description?: unknown };
  // Agora infers the type when messageType is missing: Uint8Array rawMessage → RAW, string text → TEXT.
  const type =
    x.messageType ??
    (x.rawMessage instanceof Uint8Array ? 'RAW' : typeof x.text === 'string' ? 'TEXT' : undefined);
  if (type === 'TEXT') {
    if (x.rawMessage !== undefined || typeof x.text !== 'string') return null;
    return { type: 'TEXT', text: x.text };
  }
  if (type === 'RAW') {
    if (x.text !== undefined || !(x.rawMessage instanceof Uint8Array)) return null;
    if (x.description !== undefined && typeof x.description !== 'string') return null;
    return { type: 'RAW', raw: x.rawMessage, description: (x.description as string | undefined) ?? '' };
  }
  return null;
}

/** Checks a message before it is sent: 'invalid', 'too_large' or null (ok). */
export function checkMessage(
  m: unknown,
  maxBytes: number,
): { wire: WireMessage } | { problem: 'invalid' | 'too_large' } {
  const wire = toWire(m);
  if (!wire) return { problem: 'invalid' };
  const p = checkWireMessage(wire, maxBytes);
  return p ? { problem: p } : { wire };
}

/** The plain message object the app receives, as Agora's SDK builds it. */
export function fromWire(w: WireMessage): RtmMessage {
  if (w.type === 'RAW') {
    const raw = w.raw instanceof Uint8Array ? new Uint8Array(w.raw) : new Uint8Array(0);
    return { rawMessage: raw, description: w.description ?? '', messageType: 'RAW' };
  }
  return { text: w.text ?? '', messageType: 'TEXT' };
}

export function receivedProps(ts: number, offline: boolean | undefined): ReceivedMessageProperties {
  return { serverReceivedTs: ts, isOfflineMessage: offline === true };
}
