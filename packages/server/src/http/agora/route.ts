import type { FastifySchemaValidationError } from 'fastify';
import type { Principal } from './auth.js';
import { agoraError } from './errors.js';
import type { RateKind } from './rates.js';

export type Json = Record<string, unknown>;

/** One call past the group's checks: the app, who it acts for, its path and query parameters, its body. */
export interface AgoraCall {
  appId: string;
  principal: Principal;
  /** path parameters besides the App ID, decoded */
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: Json;
}

/** A route of the Agora-compatible API; `url` is relative to `/dev/v2/project/:appId/rtm`. */
export interface AgoraRoute {
  method: 'GET' | 'POST';
  url: string;
  /** one line for the OpenAPI document */
  summary: string;
  /** which of the app's rate limits it spends */
  rate: RateKind;
  /** JSON Schema of the body (POST) */
  body?: object;
  /** schema failures as codes (default: 400 invalid_request) */
  bodyError?: (
    e: FastifySchemaValidationError,
  ) => { code: 'invalid_user_id' | 'invalid_channel_id'; message: string } | null;
  /** the answer's fields besides `result` and `request_id` */
  run(call: AgoraCall): Promise<Json>;
}

export function invalid(message: string) {
  return agoraError(400, 'invalid_request', message);
}

/** An ISO 8601 time (`2019-08-01T01:22:10Z`, with or without fraction or offset) as ms since epoch. */
export function isoTime(name: string, v: unknown): number {
  const ms =
    typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v)
      ? Date.parse(v)
      : Number.NaN;
  if (Number.isNaN(ms))
    throw agoraError(400, 'invalid_time', `"${name}" must be an ISO 8601 time such as 2019-08-01T01:22:10Z`);
  return ms;
}
