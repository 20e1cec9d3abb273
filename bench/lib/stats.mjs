/** Small statistics helpers for benchmarks (formatting is in report.mjs). */

/** Latency samples in ms; percentiles over what was recorded. */
export class Latencies {
  samples = [];
  add(ms) {
    this.samples.push(ms);
  }
  get count() {
    return this.samples.length;
  }
  /** p in [0, 100]; nearest-rank on a sorted copy */
  percentiles(...ps) {
    const s = Float64Array.from(this.samples).sort();
    return ps.map((p) =>
      s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : Number.NaN,
    );
  }
}

/** Median; of an even count, the mean of the two middle values (so 2 rounds do not report the max). */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  if (!s.length) return Number.NaN;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
