import { randomInt } from 'node:crypto';

/** Salt in [1, 99999999], the range of the Python/Go/Node 007 builders, from a CSPRNG. */
export function randomSalt(): number {
  return randomInt(1, 100_000_000);
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
