/**
 * Lifeguard's dynamic suspicion (Dadgar et al. 2018, "LHA-Suspicion"; hashicorp/memberlist runs it):
 * a suspicion starts with a long timeout and shortens, log-scaled, as other members independently
 * confirm it. A member that really died is suspected by everyone and dies near the short timeout; a
 * member that only one slow observer suspects keeps the long one, time enough to refute. Pure.
 */

export interface SuspicionTiming {
  /** The timeout once enough members confirmed the suspicion. */
  readonly minMs: number;
  /** The timeout while nobody else confirmed it. */
  readonly maxMs: number;
  /** How many independent confirmations bring the timeout down to minMs (capped by the cluster size). */
  readonly confirmations: number;
}

/**
 * The suspicion timeout after `confirmed` of `wanted` confirmations: maxMs with none, minMs with all,
 * in between on a log scale, so the first confirmations count most (each is strong evidence).
 */
export function suspicionTimeoutMs(confirmed: number, wanted: number, minMs: number, maxMs: number): number {
  if (wanted < 1) return minMs;
  const fraction = Math.log(Math.min(confirmed, wanted) + 1) / Math.log(wanted + 1);
  return Math.max(minMs, Math.floor(maxMs - fraction * (maxMs - minMs)));
}

/**
 * How many confirmations a suspicion can expect in a cluster of `liveMembers` (ourselves included):
 * everyone but us and the suspect may confirm. With nobody left to confirm, the short timeout applies
 * at once, or a two-node cluster would always take the long one.
 */
export function wantedConfirmations(liveMembers: number, timing: SuspicionTiming): number {
  return Math.max(0, Math.min(timing.confirmations, liveMembers - 2));
}

/** One running suspicion of one member at one incarnation. */
export class Suspicion {
  readonly startedAt: number;
  readonly wanted: number;
  readonly #timing: SuspicionTiming;
  /** Who accused: the first accuser starts the timer and is never counted again as a confirmation. */
  readonly #accusers: Set<string>;
  #confirmed = 0;

  constructor(accuser: string, startedAt: number, wanted: number, timing: SuspicionTiming) {
    this.startedAt = startedAt;
    this.wanted = wanted;
    this.#timing = timing;
    this.#accusers = new Set([accuser]);
  }

  get confirmed(): number {
    return this.#confirmed;
  }

  accusedBy(nodeId: string): boolean {
    return this.#accusers.has(nodeId);
  }

  /** Another member suspects the same incarnation. Returns true if that was news (a new accuser). */
  confirm(nodeId: string): boolean {
    if (this.#accusers.has(nodeId)) return false;
    this.#accusers.add(nodeId);
    this.#confirmed++;
    return true;
  }

  /** When the suspect is to be declared dead, given the confirmations so far. */
  deadline(): number {
    const { minMs, maxMs } = this.#timing;
    return this.startedAt + suspicionTimeoutMs(this.#confirmed, this.wanted, minMs, maxMs);
  }
}
