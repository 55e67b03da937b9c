/**
 * The autopilot's memory of who was heard from when: pure, fed by observations (a voter's Raft
 * progress was recently active, a worker answered its status probe) with the time they were made.
 *
 *   observe(id, heard, now) -> lastHeard moves on when heard; healthySince starts at the first
 *   heard after silence; a member never heard counts from when the tracker first saw it (the
 *   leadership start), so a new leader gives everyone a full grace period before judging.
 */

export interface MemberHealth {
  /** Heard from within `unhealthyAfterMs` of now. */
  readonly healthy: boolean;
  /** Last time heard from (or first seen by this tracker, if never heard). */
  readonly lastHeard: number;
  /** Since when it has been healthy without a gap; undefined while unhealthy. */
  readonly healthySince: number | undefined;
  /** Heard from at least once since the tracker first saw it. */
  readonly everHeard: boolean;
}

export class HealthTracker {
  readonly #unhealthyAfterMs: number;
  readonly #members = new Map<
    number,
    { lastHeard: number; healthySince: number | undefined; everHeard: boolean }
  >();

  /** `unhealthyAfterMs`: silence after which a member counts as unhealthy (for the majority guard). */
  constructor(unhealthyAfterMs: number) {
    this.#unhealthyAfterMs = unhealthyAfterMs;
  }

  /** Records one observation of `id` at `now`: `heard` says whether it answered. */
  observe(id: number, heard: boolean, now: number): void {
    const known = this.#members.get(id);
    if (known === undefined) {
      this.#members.set(id, { lastHeard: now, healthySince: heard ? now : undefined, everHeard: heard });
      return;
    }
    if (heard) {
      known.everHeard = true;
      const gap = now - known.lastHeard > this.#unhealthyAfterMs;
      known.healthySince = known.healthySince === undefined || gap ? now : known.healthySince;
      known.lastHeard = now;
    } else if (now - known.lastHeard > this.#unhealthyAfterMs) {
      known.healthySince = undefined;
    }
  }

  /** Forgets one member: what was heard of it before (as a worker) says nothing of it now. */
  forget(id: number): void {
    this.#members.delete(id);
  }

  /** Forgets members that are gone (retired, removed). */
  retain(ids: ReadonlySet<number>): void {
    for (const id of this.#members.keys()) if (!ids.has(id)) this.#members.delete(id);
  }

  /** The health of every observed member as of `now`. */
  snapshot(now: number): ReadonlyMap<number, MemberHealth> {
    const out = new Map<number, MemberHealth>();
    for (const [id, m] of this.#members) {
      const healthy = now - m.lastHeard <= this.#unhealthyAfterMs && m.healthySince !== undefined;
      out.set(id, {
        healthy,
        lastHeard: m.lastHeard,
        healthySince: healthy ? m.healthySince : undefined,
        everHeard: m.everHeard,
      });
    }
    return out;
  }
}
