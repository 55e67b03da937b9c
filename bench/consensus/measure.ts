// Closed-loop load and failover timing shared by the consensus benchmarks.

export interface LoadResult {
  readonly ops: number;
  readonly errors: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Runs `op` from `concurrency` loops for `seconds`; each loop starts its next op when the last ends. */
export async function closedLoop(
  concurrency: number,
  seconds: number,
  op: (worker: number, n: number) => Promise<boolean>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const t0 = performance.now();
        const ok = await op(worker, n).catch(() => false);
        if (ok) latencies.push(performance.now() - t0);
        else errors++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    ops: latencies.length,
    errors,
    seconds: elapsed,
    perSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Writes continuously through `write` (retrying failures after 5 ms); 200-250 ms in, while a write
 * is in flight, runs `disrupt()`; returns the time from the disruption to the completion of the
 * first write that started after it and succeeded.
 */
export async function timeToNextWrite(
  write: (n: number) => Promise<boolean>,
  disrupt: () => Promise<void>,
  limitMs = 30_000,
): Promise<number> {
  let t0: number | undefined;
  const disruption = sleep(200 + Math.random() * 50).then(async () => {
    t0 = performance.now();
    await disrupt();
  });
  const started = performance.now();
  for (let n = 0; performance.now() - started < limitMs; n++) {
    const begin = performance.now();
    const ok = await write(n).catch(() => false);
    const end = performance.now();
    if (ok && t0 !== undefined && begin >= t0) {
      await disruption;
      return end - t0;
    }
    if (!ok) await sleep(5);
  }
  await disruption;
  throw new Error(`no successful write within ${limitMs} ms of the disruption`);
}
