/**
 * SWIM membership state (Das et al. 2002, as hashicorp/memberlist runs it): who is alive, suspect
 * or dead, with incarnation numbers so that a member can refute a suspicion about itself, and
 * Lifeguard's suspicions that shorten with independent confirmations (suspicion.ts). Pure: the probe
 * loop (swim-prober.ts) tells it what it observed and gossips what it returns; time is passed in.
 */

import { Suspicion, type SuspicionTiming, wantedConfirmations } from './suspicion.ts';

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
  /** How long a suspect has to refute before it is declared dead (Lifeguard: shrinks with confirmations). */
  readonly suspicion: SuspicionTiming;
}

interface MemberRecord {
  status: MemberStatus;
  /** 0 until anyone heard from the member (real incarnations are boot times). */
  incarnation: number;
  /** The running suspicion while status is 'suspect'. */
  suspicion: Suspicion | undefined;
}

/** What applying news produced: status changes to report and, if we were accused, our refutation. */
export interface ApplyResult {
  readonly events: MemberEvent[];
  /** Our alive announcement to gossip, when the news accused us (or was stale news about us). */
  readonly refutation: MemberUpdate | undefined;
  /** We were suspected or declared dead at our current incarnation: a hint that we are the slow one. */
  readonly selfAccused: boolean;
  /** A member we suspected ourselves proved alive: our probe timed out on a live member. */
  readonly accusationRefuted: boolean;
}

const nothing: ApplyResult = {
  events: [],
  refutation: undefined,
  selfAccused: false,
  accusationRefuted: false,
};

export class Membership {
  readonly selfNodeId: string;
  readonly suspicionTiming: SuspicionTiming;
  #selfIncarnation: number;
  readonly #members = new Map<string, MemberRecord>();
  #probeOrder: string[] = [];

  constructor(options: MembershipOptions) {
    this.selfNodeId = options.selfNodeId;
    this.#selfIncarnation = options.selfIncarnation;
    this.suspicionTiming = options.suspicion;
    this.setMembers(options.members);
  }

  /**
   * Replaces the member list (from the cluster's member list). New members start alive at
   * incarnation 0, so one that never shows up is probed, suspected and declared dead like any other
   * (after the long suspicion timeout: it may still be booting).
   */
  setMembers(members: readonly string[]): void {
    const wanted = new Set(members.filter((m) => m !== this.selfNodeId));
    for (const id of this.#members.keys()) if (!wanted.has(id)) this.#members.delete(id);
    for (const id of wanted) {
      if (!this.#members.has(id))
        this.#members.set(id, { status: 'alive', incarnation: 0, suspicion: undefined });
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

  /** The running suspicion of a member, if it is suspect (for the buddy system and for tests). */
  suspicion(nodeId: string): Suspicion | undefined {
    return this.#members.get(nodeId)?.suspicion;
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
   * Applies news with SWIM's precedence: alive needs a higher incarnation; suspect overrides alive
   * at the same incarnation; dead overrides both at the same incarnation. `from` is who vouches for
   * it; `firsthand` says whether `from` observed it itself (its own suspicion, not a digest it
   * repeats): only firsthand suspicions count as Lifeguard confirmations. News that we are suspect
   * or dead is refuted by raising our incarnation past it.
   */
  apply(update: MemberUpdate, now: number, from = '', firsthand = false): ApplyResult {
    if (update.nodeId === this.selfNodeId) return this.#aboutSelf(update);
    const r = this.#members.get(update.nodeId);
    if (!r) return nothing;
    if (update.status === 'suspect' && r.status === 'suspect' && update.incarnation === r.incarnation) {
      if (firsthand && from !== '') r.suspicion?.confirm(from);
      return nothing;
    }
    if (!overrides(update, r)) return nothing;
    const previous = r.status;
    const accusationRefuted =
      update.status === 'alive' && r.suspicion !== undefined && r.suspicion.accusedBy(this.selfNodeId);
    r.suspicion = update.status === 'suspect' ? this.#startSuspicion(r, from, now) : undefined;
    r.status = update.status;
    r.incarnation = update.incarnation;
    const events: MemberEvent[] = previous === update.status ? [] : [{ ...update, previous }];
    return { events, refutation: undefined, selfAccused: false, accusationRefuted };
  }

  /**
   * Our own probes of a member failed, directly and indirectly: suspect it, or confirm the suspicion
   * we heard. Returns the news to gossip (our accusation counts as a confirmation for the others).
   */
  suspect(nodeId: string, now: number): { update: MemberUpdate | undefined; events: MemberEvent[] } {
    const r = this.#members.get(nodeId);
    if (!r || r.status === 'dead') return { update: undefined, events: [] };
    const update: MemberUpdate = { nodeId, status: 'suspect', incarnation: r.incarnation };
    if (r.status === 'suspect') {
      const news = r.suspicion?.confirm(this.selfNodeId) ?? false;
      return { update: news ? update : undefined, events: [] };
    }
    return { update, events: this.apply(update, now, this.selfNodeId, true).events };
  }

  /** Declares dead the suspects whose suspicion outlived its timeout. Returns the news to gossip. */
  tick(now: number): { updates: MemberUpdate[]; events: MemberEvent[] } {
    const updates: MemberUpdate[] = [];
    const events: MemberEvent[] = [];
    for (const [nodeId, r] of this.#members) {
      if (r.status === 'suspect' && r.suspicion && now >= r.suspicion.deadline()) {
        const update: MemberUpdate = { nodeId, status: 'dead', incarnation: r.incarnation };
        updates.push(update);
        events.push(...this.apply(update, now, this.selfNodeId, true).events);
      }
    }
    return { updates, events };
  }

  #aboutSelf(update: MemberUpdate): ApplyResult {
    if (update.status === 'alive') return nothing;
    if (update.incarnation >= this.#selfIncarnation) {
      this.#selfIncarnation = update.incarnation + 1;
      return { events: [], refutation: this.selfUpdate(), selfAccused: true, accusationRefuted: false };
    }
    // Stale news about an incarnation we already left: the sender has not heard our newer alive yet.
    return { events: [], refutation: this.selfUpdate(), selfAccused: false, accusationRefuted: false };
  }

  #startSuspicion(r: MemberRecord, accuser: string, now: number): Suspicion {
    const t = this.suspicionTiming;
    // Nobody has heard from this member yet: it may still be booting, so it gets the long timeout
    // whatever the others say (they cannot know more than we do).
    if (r.incarnation === 0) return new Suspicion(accuser, now, 0, { ...t, minMs: t.maxMs });
    const liveMembers = this.live().length + 1;
    return new Suspicion(accuser, now, wantedConfirmations(liveMembers, t), t);
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
