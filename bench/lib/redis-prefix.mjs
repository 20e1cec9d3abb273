import { Redis } from 'ioredis';

/** Deletes every key under `prefix` on the Redis at `url` (a benchmark's own keys). */
export async function cleanPrefix(url, prefix) {
  const r = new Redis(url);
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await r.unlink(...keys);
  } while (cursor !== '0');
  r.disconnect();
}
