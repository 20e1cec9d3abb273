/** Running workloads over several rounds and combining the rounds' figures. */
import { median } from './stats.mjs';

/**
 * The order of the workloads in round `round` (from 0): reversed every other round, so no workload
 * always runs first (or last) on a busy machine.
 */
export const roundOrder = (names, round) => (round % 2 ? [...names].reverse() : names);

/** One result from the rounds' results: the median of each numeric field, other fields from the first. */
export function medianOfRuns(runs) {
  const out = { ...runs[0] };
  for (const k of Object.keys(out)) if (typeof out[k] === 'number') out[k] = median(runs.map((r) => r[k]));
  return out;
}

/**
 * `a[i][key] / b[i][key]` for each round i. The workloads of a round run back to back, so these
 * vary less with other load on the machine than a ratio of medians taken across rounds.
 */
export const perRoundRatios = (a, b, key) => a.map((x, i) => x[key] / b[i][key]);
