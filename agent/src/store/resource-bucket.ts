/**
 * The live objects of one resource: a map for point reads plus a sorted path array for ordered,
 * namespace-ranged scans (lists and paging) without sorting on every read.
 */
import type { KubeObject } from '../api/types/meta.ts';

export class ResourceBucket {
  readonly objects = new Map<string, KubeObject>();
  /** Paths in ascending code-unit order. */
  readonly paths: string[] = [];

  get size(): number {
    return this.objects.size;
  }

  put(path: string, obj: KubeObject): void {
    if (!this.objects.has(path)) this.paths.splice(lowerBound(this.paths, path), 0, path);
    this.objects.set(path, obj);
  }

  remove(path: string): void {
    if (!this.objects.delete(path)) return;
    const i = lowerBound(this.paths, path);
    if (this.paths[i] === path) this.paths.splice(i, 1);
  }
}

/** The first index whose element is >= key. */
export function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? '') < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
