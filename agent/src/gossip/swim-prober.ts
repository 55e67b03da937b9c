import type { LocalHealth } from './local-health.ts';
import type { MemberEvent, Membership, MemberUpdate } from './membership.ts';

/** How the prober reaches other members; probe-protocol.ts implements it over libp2p streams. */
export interface ProbeTransport {
  /**
   * Direct probe: resolves with the member's incarnation when it answered; rejects on failure or
   * abort. `suspectedAt` tells a member we suspect that it is suspected (buddy system).
   */
  ping(nodeId: string, signal: AbortSignal, suspectedAt?: number): Promise<number>;
  /** Indirect probe: asks `helper` to ping `target`; true = ack, false = nack; rejects if the helper did not answer. */
  pingThrough(helper: string, target: string, timeoutMs: number, signal: AbortSignal): Promise<boolean>;
}

export interface ProbeTiming {
  /** A new probe starts every interval (SWIM's protocol period), stretched by local health. */
  readonly probeIntervalMs: number;
  /** How long a direct ping may take before we ask others, stretched by local health. */
  readonly probeTimeoutMs: number;
  /** How many members to ask for an indirect ping (SWIM's k). */
  readonly indirectProbes: number;
  /** How long the indirect pings may take, stretched by local health. */
  readonly indirectTimeoutMs: number;
  /** How often suspicion timeouts are checked and the event loop's lag is sampled. */
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
  /** Our Local Health Multiplier: raised by evidence that we are the slow one, it stretches our timeouts. */
  readonly health: LocalHealth;
  /** Gossips news that this prober produced (suspicions, deaths, refutations). */
  readonly gossip: (updates: MemberUpdate[]) => void;
  /** Reports status changes. */
  readonly report: (events: MemberEvent[]) => void;
  readonly now?: () => number;
  readonly random?: () => number;
}

type IndirectAnswer = 'ack' | 'nack' | 'missing';

/**
 * The effectful half of SWIM with Lifeguard: the probe loop. Every period it pings the next member;
 * if that fails it asks k others to ping it; if all fail it suspects the member. A separate tick
 * turns expired suspicions into deaths and samples our own event loop's lag. Everything that
 * suggests that *we* are slow (a lagging loop, helpers' missing nacks, members refuting our
 * accusations, others accusing us) raises LocalHealth, which stretches the probe period and
 * timeouts; observations made across a stall of our own are discarded outright.
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
    this.#scheduleProbe();
    this.#tickTimer = setInterval(() => this.#tick(), this.#d.timing.tickMs);
  }

  stop(): void {
    clearTimeout(this.#probeTimer);
    clearInterval(this.#tickTimer);
    this.#abort.abort();
  }

  /** Probes one member now (also used when a connection to it drops: a hint worth checking at once). */
  async probe(target: string): Promise<void> {
    if (this.#inFlight.has(target) || this.#abort.signal.aborted) return;
    this.#inFlight.add(target);
    const { timing, membership, health } = this.#d;
    const directMs = health.scale(timing.probeTimeoutMs);
    const indirectMs = health.scale(timing.indirectTimeoutMs);
    const started = this.#now();
    try {
      if (await this.#direct(target, directMs)) return;
      const helpers = pickRandom(
        membership.live().filter((id) => id !== target),
        timing.indirectProbes,
        this.#random,
      );
      if (helpers.length > 0 && (await this.#indirect(helpers, target, indirectMs))) return;
      const elapsed = this.#now() - started;
      const budget = directMs + (helpers.length > 0 ? indirectMs : 0);
      if (elapsed > budget + timing.probeIntervalMs) return; // we stalled: our timeouts say nothing of them
      if (this.#abort.signal.aborted) return;
      const { update, events } = membership.suspect(target, this.#now());
      if (update) this.#d.gossip([update]);
      this.#d.report(events);
    } finally {
      this.#inFlight.delete(target);
    }
  }

  /**
   * Applies membership news heard from `from` (see Membership.apply), gossips our refutation if we
   * were accused, and feeds what the news says about our own health into LocalHealth.
   */
  hear(updates: readonly MemberUpdate[], from: string, firsthand: boolean): void {
    const now = this.#now();
    const events: MemberEvent[] = [];
    for (const u of updates) {
      const r = this.#d.membership.apply(u, now, from, firsthand);
      events.push(...r.events);
      if (r.selfAccused) this.#d.health.refutedSuspicionOfSelf();
      if (r.accusationRefuted) this.#d.health.accusationRefuted();
      if (r.refutation) this.#d.gossip([r.refutation]);
    }
    this.#d.report(events);
  }

  /** Someone pinged us; `suspectedAt` if it suspects us (buddy system). Returns our incarnation for the answer. */
  pinged(suspectedAt: number | undefined): number {
    const { membership } = this.#d;
    if (suspectedAt !== undefined) {
      this.hear([{ nodeId: membership.selfNodeId, status: 'suspect', incarnation: suspectedAt }], '', true);
    }
    return membership.selfIncarnation;
  }

  #scheduleProbe(): void {
    if (this.#abort.signal.aborted) return;
    this.#probeTimer = setTimeout(() => {
      const target = this.#d.membership.nextProbeTarget(this.#random);
      if (target) void this.probe(target);
      this.#scheduleProbe();
    }, this.#d.health.scale(this.#d.timing.probeIntervalMs));
  }

  async #direct(target: string, timeoutMs: number): Promise<boolean> {
    const { membership, health } = this.#d;
    // Buddy system: a member we suspect learns it from our ping and refutes in its answer.
    const suspectedAt = membership.status(target) === 'suspect' ? membership.incarnation(target) : undefined;
    const signal = AbortSignal.any([this.#abort.signal, timeoutSignal(timeoutMs)]);
    let incarnation: number;
    try {
      incarnation = await this.#d.transport.ping(target, signal, suspectedAt);
    } catch {
      // A failed ping is the observation itself, not an error: SWIM goes on to indirect probes.
      return false;
    }
    health.probeAcked();
    this.hear([{ nodeId: target, status: 'alive', incarnation }], target, true);
    return true;
  }

  async #indirect(helpers: string[], target: string, timeoutMs: number): Promise<boolean> {
    const signal = AbortSignal.any([this.#abort.signal, timeoutSignal(timeoutMs)]);
    const answers = helpers.map((h) =>
      this.#d.transport.pingThrough(h, target, timeoutMs, signal).then(
        (ok): IndirectAnswer => (ok ? 'ack' : 'nack'),
        // No answer at all from the helper: counted below as a missed nack.
        (): IndirectAnswer => 'missing',
      ),
    );
    const firstAck = new Promise<boolean>((resolve) => {
      for (const a of answers) void a.then((answer) => answer === 'ack' && resolve(true));
      void Promise.all(answers).then(() => resolve(false));
    });
    const acked = await firstAck;
    if (!acked) {
      const missing = (await Promise.all(answers)).filter((a) => a === 'missing').length;
      // Helpers that could not even say "no" in time point at our own link or loop (Lifeguard's nack).
      if (!this.#abort.signal.aborted) this.#d.health.nacksMissed(missing);
    }
    return acked;
  }

  #tick(): void {
    const now = this.#now();
    const gap = now - this.#lastTick;
    this.#lastTick = now;
    this.#d.health.timerLagged(gap - this.#d.timing.tickMs);
    // After a stall, let the I/O phase deliver the refutations that piled up before judging anyone.
    if (gap > this.#d.timing.tickMs * 3) return;
    const { updates, events } = this.#d.membership.tick(now);
    if (updates.length > 0) this.#d.gossip(updates);
    this.#d.report(events);
  }
}

/** Like AbortSignal.timeout, but on setTimeout, so that tests with fake timers control it. */
function timeoutSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`probe timed out after ${ms} ms`)), ms);
  timer.unref?.();
  return controller.signal;
}

function pickRandom<T>(items: T[], k: number, random: () => number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < k && pool.length > 0) out.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
  return out;
}
