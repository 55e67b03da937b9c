import type { Backend } from './proxy-plan.ts';

export interface BalancerOptions {
  /** [0, 1); injected so that tests replay. */
  readonly random?: () => number;
  readonly now?: () => number;
  /** First ejection after a failed connect; doubles with each further failure up to the max. */
  readonly ejectBaseMs?: number;
  readonly ejectMaxMs?: number;
  /** ClientIP affinity timeout; undefined means no affinity. */
  readonly affinityTimeoutMs?: number | undefined;
}

interface BackendState {
  readonly backend: Backend;
  active: number;
  failures: number;
  ejectedUntil: number;
}

export function backendId(b: { ip: string; port: number }): string {
  return `${b.ip}:${b.port}`;
}

/**
 * Chooses a backend for each new connection: local endpoints first, then least connections by
 * power of two random choices (two picks, the less loaded wins: near-optimal without a global scan
 * and without herding). Passive health: a backend whose connect failed is ejected for a while,
 * longer each time. ClientIP affinity pins a client to its backend until idle for the timeout.
 * Removed backends keep their counters until their connections end (draining) but are never chosen.
 */
export class Balancer {
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #ejectBaseMs: number;
  readonly #ejectMaxMs: number;
  #affinityTimeoutMs: number | undefined;
  #backends = new Map<string, BackendState>();
  /** Backends removed from the table that still carry connections. */
  readonly #draining = new Map<string, BackendState>();
  readonly #affinity = new Map<string, { id: string; expires: number }>();

  constructor(backends: readonly Backend[], options: BalancerOptions = {}) {
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#ejectBaseMs = options.ejectBaseMs ?? 1000;
    this.#ejectMaxMs = options.ejectMaxMs ?? 30_000;
    this.#affinityTimeoutMs = options.affinityTimeoutMs;
    this.setBackends(backends);
  }

  /** Follows the endpoint table: new backends join, missing ones drain. */
  setBackends(backends: readonly Backend[], affinityTimeoutMs = this.#affinityTimeoutMs): void {
    this.#affinityTimeoutMs = affinityTimeoutMs;
    const next = new Map<string, BackendState>();
    for (const b of backends) {
      const id = backendId(b);
      const had = this.#backends.get(id) ?? this.#draining.get(id);
      this.#draining.delete(id);
      next.set(id, had ? { ...had, backend: b } : { backend: b, active: 0, failures: 0, ejectedUntil: 0 });
    }
    for (const [id, s] of this.#backends) if (!next.has(id) && s.active > 0) this.#draining.set(id, s);
    this.#backends = next;
  }

  backends(): Backend[] {
    return [...this.#backends.values()].map((s) => s.backend);
  }

  /** Open connections per backend id, draining ones included. */
  activeConnections(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [id, s] of [...this.#backends, ...this.#draining]) out.set(id, s.active);
    return out;
  }

  /** The backend for a new connection from `clientIp`, avoiding `exclude` (already tried); undefined if none. */
  pick(clientIp: string, exclude: ReadonlySet<string> = new Set()): Backend | undefined {
    const now = this.#now();
    if (this.#affinityTimeoutMs !== undefined) {
      const sticky = this.#affinity.get(clientIp);
      if (sticky && sticky.expires > now && !exclude.has(sticky.id)) {
        const s = this.#backends.get(sticky.id);
        if (s && s.ejectedUntil <= now) return this.#choose(clientIp, s, now);
      }
    }
    const candidates = [...this.#backends.entries()].filter(([id]) => !exclude.has(id)).map(([, s]) => s);
    if (candidates.length === 0) return undefined;
    let healthy = candidates.filter((s) => s.ejectedUntil <= now);
    // All ejected: try them anyway (Envoy's panic threshold): refusing everything helps no one.
    if (healthy.length === 0) healthy = candidates;
    const local = healthy.filter((s) => s.backend.local);
    const pool = local.length > 0 ? local : healthy;
    return this.#choose(clientIp, this.#twoChoices(pool), now);
  }

  #twoChoices(pool: BackendState[]): BackendState {
    if (pool.length === 1) return pool[0]!;
    const i = Math.floor(this.#random() * pool.length);
    let j = Math.floor(this.#random() * (pool.length - 1));
    if (j >= i) j++;
    const a = pool[i]!;
    const b = pool[j]!;
    return b.active < a.active ? b : a;
  }

  #choose(clientIp: string, s: BackendState, now: number): Backend {
    if (this.#affinityTimeoutMs !== undefined) {
      this.#affinity.set(clientIp, { id: backendId(s.backend), expires: now + this.#affinityTimeoutMs });
    }
    return s.backend;
  }

  /** A connection to `b` opened (counts toward least-connections). */
  connectionOpened(b: Backend): void {
    const s = this.#state(b);
    if (s) s.active++;
  }

  /** A connection to `b` closed; a draining backend is forgotten with its last connection. */
  connectionClosed(b: Backend): void {
    const id = backendId(b);
    const s = this.#state(b);
    if (!s) return;
    s.active = Math.max(0, s.active - 1);
    if (s.active === 0) this.#draining.delete(id);
  }

  /** Connecting to `b` failed: eject it for base * 2^(failures-1), capped. */
  connectFailed(b: Backend): void {
    const s = this.#backends.get(backendId(b));
    if (!s) return;
    s.failures++;
    s.ejectedUntil = this.#now() + Math.min(this.#ejectMaxMs, this.#ejectBaseMs * 2 ** (s.failures - 1));
  }

  /** Connecting to `b` worked: its failure streak ends. */
  connectSucceeded(b: Backend): void {
    const s = this.#backends.get(backendId(b));
    if (s) {
      s.failures = 0;
      s.ejectedUntil = 0;
    }
  }

  /** Forgets expired affinity pins (call now and then; pick() ignores expired ones anyway). */
  sweepAffinity(): void {
    const now = this.#now();
    for (const [ip, pin] of this.#affinity) if (pin.expires <= now) this.#affinity.delete(ip);
  }

  #state(b: Backend): BackendState | undefined {
    const id = backendId(b);
    return this.#backends.get(id) ?? this.#draining.get(id);
  }
}
