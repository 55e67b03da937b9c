import { measureNode, type NodeProbe, type NodeSample, systemProbe } from './node-metrics.ts';

export interface NodeSamplerOptions {
  readonly dataDir: string;
  readonly intervalMs: number;
  /** Stops the timer; `latest` keeps the last sample. */
  readonly signal?: AbortSignal;
  readonly probe?: NodeProbe;
  readonly onSample?: (sample: NodeSample) => void;
  /** A failed measurement (e.g. the data dir vanished): the sampler keeps going. */
  readonly onError?: (error: unknown) => void;
}

export interface NodeSampler {
  /** The newest sample, or undefined before the first one lands. */
  latest(): NodeSample | undefined;
  /** Resolves with the first sample. */
  ready(): Promise<NodeSample>;
  /** What sampling has cost this process so far: CPU time and number of samples. */
  cost(): { cpuMicros: number; samples: number };
}

/**
 * Measures the node every `intervalMs` on one timer. The first sample is taken at once; each
 * next one is scheduled after the previous finished, so a slow measurement never piles up.
 * The CPU figure of each sample covers the interval since the one before.
 */
export function startNodeSampler(options: NodeSamplerOptions): NodeSampler {
  const probe = options.probe ?? systemProbe();
  let latest: NodeSample | undefined;
  let cpuMicros = 0;
  let samples = 0;
  let timer: NodeJS.Timeout | undefined;
  const { promise: first, resolve: resolveFirst, reject: rejectFirst } = Promise.withResolvers<NodeSample>();
  // Nobody may be waiting on ready(); a failure is still reported through onError.
  first.catch(() => undefined);

  async function tick(): Promise<void> {
    const before = process.cpuUsage();
    try {
      latest = await measureNode(options.dataDir, probe);
      samples += 1;
      resolveFirst(latest);
      options.onSample?.(latest);
    } catch (err) {
      if (!latest) rejectFirst(err);
      options.onError?.(err);
    } finally {
      // Process-wide CPU time across the awaits: an upper bound on the sampler's own cost.
      const used = process.cpuUsage(before);
      cpuMicros += used.user + used.system;
    }
    if (!options.signal?.aborted) {
      timer = setTimeout(() => void tick(), options.intervalMs);
      // The sampler alone must not keep the agent alive.
      timer.unref();
    }
  }

  options.signal?.addEventListener('abort', () => clearTimeout(timer), { once: true });
  if (options.signal?.aborted) {
    rejectFirst(new Error('node sampler stopped before its first sample'));
  } else {
    void tick();
  }

  return {
    latest: () => latest,
    ready: () => first,
    cost: () => ({ cpuMicros, samples }),
  };
}
