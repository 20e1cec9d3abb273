/** The console API (docs/console.md): JSON over fetch, the session cookie sent by the browser. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(`/console/api/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (r.status === 401) {
    // The session expired (or the password changed): back to the login form.
    location.assign('/console/');
    throw new ApiError(401, 'unauthorized', 'logged out');
  }
  const data = (await r.json()) as T & { error?: { code: string; message: string } };
  if (!r.ok) throw new ApiError(r.status, data.error?.code ?? 'error', data.error?.message ?? r.statusText);
  return data;
}

export const enc = encodeURIComponent;

export type {
  ConsoleApp,
  ConsoleChannel,
  ConsoleEvent,
  ConsoleUser,
  NodeStats,
} from '../src/http/console-services.js';
