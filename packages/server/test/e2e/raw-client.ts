import { Op, PROTOCOL_VERSION, classify, decodeFrame, encodeRequest } from '@parley/protocol';
import WebSocket from 'ws';

/**
 * A bare protocol client (no SDK), for checking that the server enforces every limit itself:
 * it sends whatever body it is given.
 */
export interface RawClient {
  request(op: number, body: unknown): Promise<{ code: number; body: unknown }>;
  /** every event received, in order */
  readonly events: { op: number; body: unknown }[];
  close(): void;
}

export async function rawLogin(url: string, appId: string, uid: string): Promise<RawClient> {
  const ws = new WebSocket(url);
  ws.binaryType = 'nodebuffer';
  let nextId = 1;
  const waiting = new Map<number, (r: { code: number; body: unknown }) => void>();
  const events: { op: number; body: unknown }[] = [];
  ws.on('message', (data: Buffer) => {
    for (const v of decodeFrame(new Uint8Array(data))) {
      const m = classify(v);
      if (m.kind === 'response') {
        waiting.get(m.reqId)?.({ code: m.code, body: m.body });
        waiting.delete(m.reqId);
      } else if (m.kind === 'event' && m.op !== Op.Ping) events.push({ op: m.op, body: m.body });
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const request = (op: number, body: unknown) =>
    new Promise<{ code: number; body: unknown }>((resolve, reject) => {
      const id = nextId++;
      const t = setTimeout(() => reject(new Error(`raw request ${op} timed out`)), 5000);
      waiting.set(id, (r) => {
        clearTimeout(t);
        resolve(r);
      });
      ws.send(encodeRequest(op, id, body));
    });
  const login = await request(Op.Login, { v: PROTOCOL_VERSION, appId, uid });
  if (login.code !== 0) throw new Error(`raw login failed with ${login.code}`);
  return { request, events, close: () => ws.terminate() };
}
