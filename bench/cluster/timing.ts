// Polling and summaries shared by both sides of the cluster benchmark.

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class BenchTimeout extends Error {
  readonly kind = 'Timeout';
}

/**
 * Polls `check` every `everyMs` until it returns a value; the time is measured by the caller. A
 * failing poll (an API blip while a node dies) is retried, not fatal; the last error goes into
 * the timeout's message.
 */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (Date.now() > deadline)
      throw new BenchTimeout(
        `${what}: not reached within ${timeoutMs} ms${lastError ? ` (${lastError})` : ''}`,
      );
    await sleep(everyMs);
  }
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A figure: one run, or p50/p99/max over trials. */
export interface Figure {
  readonly samples: number[];
}

export const figure = (...samples: number[]): Figure => ({ samples });

export function describeFigure(f: Figure | undefined): string {
  if (f === undefined || f.samples.length === 0) return 'n/a';
  if (f.samples.length === 1) return `${Math.round(f.samples[0]!)} ms`;
  return `p50 ${Math.round(percentile(f.samples, 50))} / p99 ${Math.round(percentile(f.samples, 99))} ms (n=${f.samples.length})`;
}
