/** Logs in to a server's web console over HTTP and calls its API with the session cookie. */
export const ADMIN_PASSWORD = 'correct horse battery staple';

export function loginForm(name: string, password: string): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name, password }).toString(),
    redirect: 'manual',
  };
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read answers by their documented shape
type Json = any;

export interface ConsoleClient {
  cookie: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }>;
}

/** POST /console/login with the right password; throws unless it sets the cookie. */
export async function consoleLogin(
  url: string,
  name = 'ops',
  password = ADMIN_PASSWORD,
): Promise<ConsoleClient> {
  const r = await fetch(`${url}/console/login`, loginForm(name, password));
  const set = r.headers.get('set-cookie');
  if (r.status !== 303 || !set) throw new Error(`console login failed: ${r.status} ${await r.text()}`);
  const cookie = set.split(';')[0]!;
  return {
    cookie,
    async call(method, path, body) {
      const res = await fetch(`${url}/console/api/${path}`, {
        method,
        headers: {
          cookie,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    },
  };
}
