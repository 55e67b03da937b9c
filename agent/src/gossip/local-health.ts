/**
 * Lifeguard's Local Health Multiplier ("LHA-Probe"; memberlist's awareness): how much this agent
 * distrusts its own timing. A loaded or paused agent sees everyone's answers late and would accuse
 * healthy members; instead, the evidence that *we* are the slow one raises a score, and the probe
 * interval and timeouts are stretched by (score + 1). Successful probes bring the score back down.
 * Pure: the prober reports what it observed.
 */

export interface LocalHealthOptions {
  /** The highest score; timeouts stretch up to (maxScore + 1) times. */
  readonly maxScore: number;
  /** Timer drift above this counts as a lagging event loop. */
  readonly lagThresholdMs: number;
}

export const defaultLocalHealth: LocalHealthOptions = { maxScore: 7, lagThresholdMs: 50 };

export class LocalHealth {
  readonly #o: LocalHealthOptions;
  #score = 0;

  constructor(options: LocalHealthOptions = defaultLocalHealth) {
    this.#o = options;
  }

  get score(): number {
    return this.#score;
  }

  /** A duration stretched by our distrust of our own timing. */
  scale(ms: number): number {
    return ms * (this.#score + 1);
  }

  /** A probe was answered: our view of the network works. */
  probeAcked(): void {
    this.#apply(-1);
  }

  /**
   * Helpers we asked to probe for us did not even answer "no" in time: the messages that went
   * missing are more likely ours (our loop, our link) than theirs.
   */
  nacksMissed(count: number): void {
    this.#apply(count);
  }

  /** Others suspected us while we were alive: we were too slow to answer them. */
  refutedSuspicionOfSelf(): void {
    this.#apply(1);
  }

  /** A member we accused proved alive: our probe's timeout said more about us than about it. */
  accusationRefuted(): void {
    this.#apply(1);
  }

  /** A timer fired `lagMs` late: the event loop is busy or the process was descheduled. */
  timerLagged(lagMs: number): void {
    if (lagMs > this.#o.lagThresholdMs) this.#apply(1);
  }

  #apply(delta: number): void {
    this.#score = Math.min(this.#o.maxScore, Math.max(0, this.#score + delta));
  }
}
