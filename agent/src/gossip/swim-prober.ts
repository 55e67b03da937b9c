import type { MemberEvent, Membership, MemberUpdate } from './membership.ts';

/** How the prober reaches other members; gossip-host.ts implements it over libp2p ping and ping-req. */
export interface ProbeTransport {
  /** Direct probe: resolves when `nodeId` answered a ping, rejects on failure or abort. */
  ping(nodeId: string, signal: AbortSignal): Promise<void>;
  /** Indirect probe: asks `helper` to ping `target`; resolves true when the helper got an answer. */
  pingThrough(helper: string, target: string, timeoutMs: number, signal: AbortSignal): Promise<boolean>;
}

export interface ProbeTiming {
  /** A new probe starts every interval (SWIM's protocol period). */
  readonly probeIntervalMs: number;
  /** How long a direct ping may take before we ask others. */
  readonly probeTimeoutMs: number;
  /** How many members to ask for an indirect ping (SWIM's k). */
  readonly indirectProbes: number;
  /** How long the indirect pings may take. */
  readonly indirectTimeoutMs: number;
  /** How often suspicion timeouts are checked. */
  readonly tickMs: number;
}

export const defaultProbeTiming: ProbeTiming = {
  probeIntervalMs: 250,
  probeTimeoutMs: 200,
  indirectProbes: 3,
  indirectTimeoutMs: 300,
  tickMs: 100,
};

export interface SwimProberDeps {
  readonly membership: Membership;
  readonly transport: ProbeTransport;
  readonly timing: ProbeTiming;
  /** Gossips news that this prober produced (suspicions and deaths). */
  readonly gossip: (updates: MemberUpdate[]) => void;
  /** Reports status changes this prober caused. */
  readonly report: (events: MemberEvent[]) => void;
  readonly now?: () => number;
  readonly random?: () => number;
}

/**
 * The effectful half of SWIM: the probe loop. Every period it pings the next member; if that fails
 * it asks k others to ping it; if all fail it suspects the member. A separate tick turns expired
 * suspicions into deaths. When our own event loop was stalled (a paused or overloaded machine), the
 * observations of that stretch are discarded: we were the slow one, not them (Lifeguard's idea).
 */
export class SwimProber {
  readonly #d: SwimProberDeps;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #inFlight = new Set<string>();
  #probeTimer: NodeJS.Timeout | undefined;
  #tickTimer: NodeJS.Timeout | undefined;
  #lastTick = 0;
  readonly #abort = new AbortController();

  constructor(deps: SwimProberDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
    this.#random = deps.random ?? Math.random;
  }

  start(): void {
    this.#lastTick = this.#now();
    this.#probeTimer = setInterval(() => {
      const target = this.#d.membership.nextProbeTarget(this.#random);
      if (target) void this.probe(target);
    }, this.#d.timing.probeIntervalMs);
    this.#tickTimer = setInterval(() => this.#tick(), this.#d.timing.tickMs);
  }

  stop(): void {
    clearInterval(this.#probeTimer);
    clearInterval(this.#tickTimer);
    this.#abort.abort();
  }

  /** Probes one member now (also used when a connection to it drops: a hint worth checking at once). */
  async probe(target: string): Promise<void> {
    if (this.#inFlight.has(target) || this.#abort.signal.aborted) return;
    this.#inFlight.add(target);
    const { timing, membership } = this.#d;
    const started = this.#now();
    try {
      if (await this.#direct(target)) return;
      const helpers = pickRandom(
        membership.live().filter((id) => id !== target),
        timing.indirectProbes,
        this.#random,
      );
      if (helpers.length > 0 && (await this.#indirect(helpers, target))) return;
      const elapsed = this.#now() - started;
      const budget = timing.probeTimeoutMs + (helpers.length > 0 ? timing.indirectTimeoutMs : 0);
      if (elapsed > budget + timing.probeIntervalMs) return; // we stalled: our timeouts say nothing of them
      if (this.#abort.signal.aborted) return;
      const { update, events } = membership.suspect(target, this.#now());
      if (update) this.#d.gossip([update]);
      this.#d.report(events);
    } finally {
      this.#inFlight.delete(target);
    }
  }

  async #direct(target: string): Promise<boolean> {
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#d.timing.probeTimeoutMs)]);
    try {
      await this.#d.transport.ping(target, signal);
      return true;
    } catch {
      // A failed ping is the observation itself, not an error: SWIM goes on to indirect probes.
      return false;
    }
  }

  async #indirect(helpers: string[], target: string): Promise<boolean> {
    const timeoutMs = this.#d.timing.indirectTimeoutMs;
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(timeoutMs)]);
    const attempts = helpers.map((h) =>
      this.#d.transport.pingThrough(h, target, timeoutMs, signal).then(
        (ok) => (ok ? Promise.resolve(true) : Promise.reject(new Error('helper could not reach target'))),
        (err: unknown) => Promise.reject(err),
      ),
    );
    try {
      return await Promise.any(attempts);
    } catch {
      // Every helper failed (AggregateError): that is the indirect probe's negative answer.
      return false;
    }
  }

  #tick(): void {
    const now = this.#now();
    const gap = now - this.#lastTick;
    this.#lastTick = now;
    // After a stall, let the I/O phase deliver the refutations that piled up before judging anyone.
    if (gap > this.#d.timing.tickMs * 3) return;
    const { updates, events } = this.#d.membership.tick(now);
    if (updates.length > 0) this.#d.gossip(updates);
    this.#d.report(events);
  }
}

function pickRandom<T>(items: T[], k: number, random: () => number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < k && pool.length > 0) out.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
  return out;
}
