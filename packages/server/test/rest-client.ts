import { expect } from 'vitest';

/**
 * A JSON request to `base` + path, as a back-end sends it (a string body is sent as written);
 * checks that the answer is JSON and resolves with its status, headers and parsed body.
 */
export async function restCall(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json',
) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': contentType, ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
  // biome-ignore lint/suspicious/noExplicitAny: test convenience
  return { status: r.status, headers: r.headers, body: (await r.json()) as any };
}

/** A request to Agora's REST API, with the Content-Type Agora documents. */
export const agoraCall = (
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) => restCall(base, method, path, body, headers, 'application/json;charset=utf-8');

/** An Agora-shaped refusal with this status and code. */
export async function expectAgoraFailure(p: ReturnType<typeof agoraCall>, status: number, code: string) {
  const r = await p;
  expect([r.status, r.body.result, r.body.code]).toEqual([status, 'failed', code]);
  expect(r.body.message).toEqual(expect.any(String));
  expect(r.body.request_id).toEqual(expect.any(String));
  return r;
}

const enc = encodeURIComponent;
/** Paths of Agora's REST API (`/dev/v2/project/{appId}/rtm/...`). */
export const agoraPaths = {
  rtm: (app: string) => `/dev/v2/project/${app}/rtm`,
  peer: (app: string, uid: string, q = '') =>
    `/dev/v2/project/${app}/rtm/users/${enc(uid)}/peer_messages${q}`,
  chan: (app: string, uid: string) => `/dev/v2/project/${app}/rtm/users/${enc(uid)}/channel_messages`,
  query: (app: string) => `/dev/v2/project/${app}/rtm/message/history/query`,
  count: (app: string, q: Record<string, string>) =>
    `/dev/v2/project/${app}/rtm/message/history/count?${new URLSearchParams(q).toString()}`,
};

/** Agora's ISO 8601 time strings. */
export const iso = (ms: number) => new Date(ms).toISOString();

/** The handle of a query's `location` (everything after `/query/`, as Agora's clients take it). */
export const handleOf = (location: string) => location.slice(location.indexOf('/query/') + '/query/'.length);
