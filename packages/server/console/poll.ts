import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * Calls `load` now and every `ms` while the view is shown (a poll; the API answers from the same
 * counters and logs as /metrics). `deps` restart it. The last error is kept beside the value.
 */
export function usePoll<T>(
  load: () => Promise<T>,
  ms: number,
  deps: unknown[],
): [T | null, string | null, () => void] {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const v = await loadRef.current();
        if (stopped) return;
        setValue(v);
        setError(null);
      } catch (e) {
        if (!stopped) setError((e as Error).message);
      }
      if (!stopped && ms > 0) timer = setTimeout(run, ms);
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [...deps, tick]);
  return [value, error, () => setTick((t) => t + 1)];
}
