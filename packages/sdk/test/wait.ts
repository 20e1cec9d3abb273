/** Waiting helpers for SDK tests (event-driven; polling only for state). */

type Emitter = {
  once(e: string, fn: (...a: never[]) => void): unknown;
  on(e: string, fn: (...a: never[]) => void): unknown;
};

/** Resolves with the arguments of the next `event` (rejects after `ms`). */
export function next<A extends unknown[]>(emitter: Emitter, event: string, ms = 5000): Promise<A> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), ms);
    emitter.once(event, ((...a: A) => {
      clearTimeout(t);
      resolve(a);
    }) as never);
  });
}

/** Records every ConnectionStateChanged as "STATE/REASON". */
export function states(emitter: Emitter): string[] {
  const out: string[] = [];
  emitter.on('ConnectionStateChanged', ((s: string, r: string) => out.push(`${s}/${r}`)) as never);
  return out;
}

/** Polls `cond` until true (rejects after `ms`). */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Settles `p` and returns the rejection (fails if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error & { code: number }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code: number };
  }
  throw new Error('expected a rejection');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const APP_ID = '0123456789abcdef0123456789abcdef';
