import { backendId } from '../balancer.ts';
import type { Backend } from '../proxy-plan.ts';

/**
 * Least in-flight requests across all the node's ingress routes (a backend serving two routes
 * counts once), ties broken round-robin so that an idle pool is still spread evenly.
 */
export class LeastConnections {
  readonly #active = new Map<string, number>();
  #turn = 0;

  pick(backends: readonly Backend[]): Backend | undefined {
    if (backends.length === 0) return undefined;
    const start = this.#turn++ % backends.length;
    let best: Backend | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (let i = 0; i < backends.length; i++) {
      const b = backends[(start + i) % backends.length]!;
      const load = this.#active.get(backendId(b)) ?? 0;
      if (load < bestLoad) {
        best = b;
        bestLoad = load;
      }
    }
    return best;
  }

  opened(b: Backend): void {
    const id = backendId(b);
    this.#active.set(id, (this.#active.get(id) ?? 0) + 1);
  }

  closed(b: Backend): void {
    const id = backendId(b);
    const n = (this.#active.get(id) ?? 1) - 1;
    if (n <= 0) this.#active.delete(id);
    else this.#active.set(id, n);
  }

  inFlight(b: Backend): number {
    return this.#active.get(backendId(b)) ?? 0;
  }
}
