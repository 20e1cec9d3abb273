import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, JSON_UTF8 } from '../errors.js';

/** The `code` strings of Agora's REST API as Parley answers them (docs/rest-api.md, "Agora-compatible API"). */
export type AgoraErrorCode =
  | 'bad_json'
  | 'invalid_request'
  | 'invalid_app_id'
  | 'invalid_user_id'
  | 'invalid_channel_id'
  | 'invalid_time'
  | 'message_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'unknown_app'
  | 'unknown_handle'
  | 'handle_expired'
  | 'rate_limited'
  | 'offline_sender_quota'
  | 'offline_storage_full'
  | 'unsupported_media_type'
  | 'body_too_large'
  | 'not_found'
  | 'method_not_allowed'
  | 'internal';

/** A refusal of the Agora-compatible API (answered as `{ result: "failed", code, message, request_id }`). */
export function agoraError(status: number, code: AgoraErrorCode, message: string): HttpError {
  return new HttpError(status, code, message);
}

/** Agora's answers carry a request id; ours is random, for the caller's logs. */
export const requestId = (): string => randomBytes(16).toString('hex');

/** Agora's shape of a failure: its gateway's `message`, plus `result`/`code` as its RTM answers have. */
export function sendAgoraError(request: FastifyRequest, reply: FastifyReply, err: HttpError): FastifyReply {
  const headers = request.raw.complete ? err.headers : { ...err.headers, connection: 'close' };
  const body = { result: 'failed', code: err.code, message: err.message, request_id: requestId() };
  return reply
    .code(err.status)
    .headers({ ...headers, 'cache-control': 'no-store', 'content-type': JSON_UTF8 })
    .send(`${JSON.stringify(body)}\n`);
}

/** A success answer: `result: "success"` and a request id beside the route's fields. */
export function sendAgoraOk(reply: FastifyReply, out: Record<string, unknown>): FastifyReply {
  return reply
    .header('cache-control', 'no-store')
    .header('content-type', JSON_UTF8)
    .send(`${JSON.stringify({ result: 'success', request_id: requestId(), ...out })}\n`);
}
