/**
 * SWIM membership state (Das et al. 2002, as hashicorp/memberlist runs it): who is alive, suspect
 * or dead, with incarnation numbers so that a member can refute a suspicion about itself. Pure:
 * the probe loop (swim-prober.ts) tells it what it observed and gossips what it returns; time is
 * passed in.
 */

export type MemberStatus = 'alive' | 'suspect' | 'dead';

/** A piece of membership news as gossiped. */
export interface MemberUpdate {
  readonly nodeId: string;
  readonly status: MemberStatus;
  readonly incarnation: number;
}

/** A change of a member's status as this agent sees it (what the node lifecycle controller consumes). */
export interface MemberEvent extends MemberUpdate {
  readonly previous: MemberStatus;
}

export interface MembershipOptions {
  readonly selfNodeId: string;
  /** This agent's starting incarnation: its boot time, so a restarted agent overrides its old death. */
  readonly selfIncarnation: number;
  /** The other cluster members (node names). Updates about anyone else are ignored. */
  readonly members: readonly string[];
  /** How long a suspect has to refute before it is declared dead. */
  readonly suspicionTimeoutMs: number;
}

interface MemberRecord {
  status: MemberStatus;
  incarnation: number;
  /** When this agent first heard the current suspicion. */
  suspectedAt: number;
}

/** What applying news produced: status changes to report and, if we were accused, our refutation. */
export interface ApplyResult {
  readonly events: MemberEvent[];
  readonly refutation: MemberUpdate | undefined;
}

export class Membership {
  readonly selfNodeId: string;
  readonly suspicionTimeoutMs: number;
  #selfIncarnation: number;
  readonly #members = new Map<string, MemberRecord>();
  #probeOrder: string[] = [];

  constructor(options: MembershipOptions) {
    this.selfNodeId = options.selfNodeId;
    this.#selfIncarnation = options.selfIncarnation;
    this.suspicionTimeoutMs = options.suspicionTimeoutMs;
    this.setMembers(options.members);
  }

  /**
   * Replaces the member list (from the cluster's member list). New members start alive at
   * incarnation 0, so one that never shows up is probed, suspected and declared dead like any other.
   */
  setMembers(members: readonly string[]): void {
    const wanted = new Set(members.filter((m) => m !== this.selfNodeId));
    for (const id of this.#members.keys()) if (!wanted.has(id)) this.#members.delete(id);
    for (const id of wanted) {
      if (!this.#members.has(id)) this.#members.set(id, { status: 'alive', incarnation: 0, suspectedAt: 0 });
    }
    this.#probeOrder = this.#probeOrder.filter((id) => wanted.has(id));
  }

  get selfIncarnation(): number {
    return this.#selfIncarnation;
  }

  /** Our own alive announcement at our current incarnation. */
  selfUpdate(): MemberUpdate {
    return { nodeId: this.selfNodeId, status: 'alive', incarnation: this.#selfIncarnation };
  }

  status(nodeId: string): MemberStatus | undefined {
    if (nodeId === this.selfNodeId) return 'alive';
    return this.#members.get(nodeId)?.status;
  }

  incarnation(nodeId: string): number | undefined {
    if (nodeId === this.selfNodeId) return this.#selfIncarnation;
    return this.#members.get(nodeId)?.incarnation;
  }

  /** Members other than us that are not dead: whom to probe and whom to ask for indirect probes. */
  live(): string[] {
    return [...this.#members].filter(([, r]) => r.status !== 'dead').map(([id]) => id);
  }

  /** The whole view, ourselves included: gossiped periodically so that missed news converges. */
  digest(): MemberUpdate[] {
    const out: MemberUpdate[] = [this.selfUpdate()];
    for (const [nodeId, r] of this.#members)
      out.push({ nodeId, status: r.status, incarnation: r.incarnation });
    return out;
  }

  /**
   * Applies gossiped news with SWIM's precedence: alive needs a higher incarnation; suspect
   * overrides alive at the same incarnation; dead overrides both at the same incarnation. News that
   * we are suspect or dead is refuted by raising our incarnation past it.
   */
  apply(update: MemberUpdate, now: number): ApplyResult {
    if (update.nodeId === this.selfNodeId) {
      if (update.status !== 'alive' && update.incarnation >= this.#selfIncarnation) {
        this.#selfIncarnation = update.incarnation + 1;
        return { events: [], refutation: this.selfUpdate() };
      }
      return { events: [], refutation: undefined };
    }
    const r = this.#members.get(update.nodeId);
    if (!r) return { events: [], refutation: undefined };
    if (!overrides(update, r)) return { events: [], refutation: undefined };
    const previous = r.status;
    if (update.status === 'suspect' && r.status !== 'suspect') r.suspectedAt = now;
    r.status = update.status;
    r.incarnation = update.incarnation;
    const events: MemberEvent[] = previous === update.status ? [] : [{ ...update, previous }];
    return { events, refutation: undefined };
  }

  /** Our own probes of a member failed, directly and indirectly: suspect it. Returns the news to gossip. */
  suspect(nodeId: string, now: number): { update: MemberUpdate | undefined; events: MemberEvent[] } {
    const r = this.#members.get(nodeId);
    if (r?.status !== 'alive') return { update: undefined, events: [] };
    const update: MemberUpdate = { nodeId, status: 'suspect', incarnation: r.incarnation };
    return { update, events: this.apply(update, now).events };
  }

  /** Declares dead the suspects whose suspicion outlived the timeout. Returns the news to gossip. */
  tick(now: number): { updates: MemberUpdate[]; events: MemberEvent[] } {
    const updates: MemberUpdate[] = [];
    const events: MemberEvent[] = [];
    for (const [nodeId, r] of this.#members) {
      if (r.status === 'suspect' && now - r.suspectedAt >= this.suspicionTimeoutMs) {
        const update: MemberUpdate = { nodeId, status: 'dead', incarnation: r.incarnation };
        updates.push(update);
        events.push(...this.apply(update, now).events);
      }
    }
    return { updates, events };
  }

  /**
   * The next member to probe: a round-robin over a shuffled list (SWIM's bound on detection time),
   * reshuffled after every pass. `random` returns [0, 1) and is injected so tests are deterministic.
   */
  nextProbeTarget(random: () => number): string | undefined {
    for (let guard = 0; guard < 2; guard++) {
      while (this.#probeOrder.length > 0) {
        const id = this.#probeOrder.shift()!;
        if (this.#members.get(id)?.status !== 'dead') return id;
      }
      this.#probeOrder = shuffle(this.live(), random);
    }
    return undefined;
  }
}

function overrides(u: MemberUpdate, r: MemberRecord): boolean {
  switch (u.status) {
    case 'alive':
      return u.incarnation > r.incarnation;
    case 'suspect':
      return r.status === 'alive' ? u.incarnation >= r.incarnation : u.incarnation > r.incarnation;
    case 'dead':
      return r.status === 'dead' ? u.incarnation > r.incarnation : u.incarnation >= r.incarnation;
  }
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
