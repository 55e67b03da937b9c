/**
 * A rate-limited work queue keyed by object, as client-go's: a key is queued at most once; a key
 * being processed that is added again is processed again after `done`; failures back off per key
 * exponentially (base * 2^failures, capped) until `forget`.
 */
import type { Clock } from './clock.ts';

export interface WorkQueueOptions {
  readonly clock: Clock;
  /** First retry delay after a failure (ms, default 5). */
  readonly baseDelayMs?: number;
  /** Longest retry delay (ms, default 30 s: an edge cluster should not wait 16 minutes like client-go). */
  readonly maxDelayMs?: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; cancel: () => void }>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private shut = false;
  private readonly options: WorkQueueOptions;

  constructor(options: WorkQueueOptions) {
    this.options = options;
  }

  get length(): number {
    return this.queue.length;
  }
  get busy(): number {
    return this.processing.size;
  }
  /** Keys waiting on a timer (back-off or requeue-after). */
  get delayed(): number {
    return this.timers.size;
  }
  get isShutDown(): boolean {
    return this.shut;
  }

  add(key: string): void {
    if (this.shut) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    const getter = this.getters.shift();
    if (getter !== undefined) {
      this.processing.add(key);
      getter(key);
      return;
    }
    this.queued.add(key);
    this.queue.push(key);
  }

  /** Adds the key after `ms`; an earlier pending time for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shut) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.options.clock.now() + ms;
    const existing = this.timers.get(key);
    if (existing !== undefined) {
      if (existing.at <= at) return;
      existing.cancel();
    }
    const cancel = this.options.clock.setTimer(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    this.timers.set(key, { at, cancel });
  }

  /** Re-adds a key that failed, after its back-off. */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const base = this.options.baseDelayMs ?? 5;
    const max = this.options.maxDelayMs ?? 30_000;
    this.addAfter(key, Math.min(max, base * 2 ** n));
  }

  /** The key succeeded: its back-off starts over. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key, or undefined once shut down. Call `done(key)` when finished with it. */
  get(): Promise<string | undefined> {
    if (this.shut) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  shutDown(): void {
    this.shut = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }
}
