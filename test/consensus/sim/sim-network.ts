// A simulated packet network between Raft nodes: every message gets a random delay (jitter, and
// now and then a long spike, which reorders), may be lost or duplicated, and is dropped when a
// partition cuts its link, at send time or while in flight. Links are one-way, so asymmetric
// partitions (A hears B, B does not hear A) are just one cut.

import type { Message, NodeId } from '../../../consensus/src/types.ts';
import type { Prng } from '../../support/prng.ts';
import type { Scheduler } from './sim-queue.ts';

export interface NetworkConditions {
  /** Each message's delay is uniform in [minDelayMs, maxDelayMs]. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** Probability that a message is lost. */
  readonly lossRate: number;
  /** Probability that a message is delivered twice (each copy with its own delay). */
  readonly duplicateRate: number;
  /** Probability of a delay spike of up to spikeDelayMs (reorders messages on one link). */
  readonly spikeRate: number;
  readonly spikeDelayMs: number;
}

export const CALM_NETWORK: NetworkConditions = {
  minDelayMs: 1,
  maxDelayMs: 5,
  lossRate: 0,
  duplicateRate: 0,
  spikeRate: 0,
  spikeDelayMs: 0,
};

export type DropReason = 'loss' | 'partition';

export interface NetworkHooks {
  /** Hands a message to its destination (which may be a crashed process: the cluster decides). */
  deliver(message: Message): void;
  /** Told about every message that will never arrive (a transport would notice a failed send). */
  dropped?(message: Message, reason: DropReason): void;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  lost: number;
  cut: number;
  duplicated: number;
}

/** A deep copy of a message (cheaper than structuredClone, which dominated the profile). */
export function copyMessage(message: Message): Message {
  const copy: { -readonly [K in keyof Message]: Message[K] } = { ...message };
  if (message.entries !== undefined) {
    copy.entries = message.entries.map((entry) => ({ ...entry, data: entry.data.slice() }));
  }
  if (message.context !== undefined) copy.context = message.context.slice();
  if (message.snapshot !== undefined) {
    const { metadata, data } = message.snapshot;
    copy.snapshot = {
      metadata: {
        ...metadata,
        confState: { voters: [...metadata.confState.voters], learners: [...metadata.confState.learners] },
      },
      data: data.slice(),
    };
  }
  return copy;
}

const linkKey = (from: NodeId, to: NodeId): string => `${from}>${to}`;

export class SimNetwork {
  readonly #scheduler: Scheduler;
  readonly #prng: Prng;
  readonly #hooks: NetworkHooks;
  #conditions: NetworkConditions;
  readonly #cutLinks = new Set<string>();
  readonly #lastArrival = new Map<string, number>();
  readonly stats: NetworkStats = { sent: 0, delivered: 0, lost: 0, cut: 0, duplicated: 0 };

  constructor(scheduler: Scheduler, prng: Prng, conditions: NetworkConditions, hooks: NetworkHooks) {
    this.#scheduler = scheduler;
    this.#prng = prng;
    this.#conditions = conditions;
    this.#hooks = hooks;
  }

  get conditions(): NetworkConditions {
    return this.#conditions;
  }

  setConditions(change: Partial<NetworkConditions>): void {
    this.#conditions = { ...this.#conditions, ...change };
  }

  /** Sends one message: it arrives later, twice, or never, as the conditions and cuts say. */
  send(message: Message): void {
    this.stats.sent++;
    if (!this.canReach(message.from, message.to)) {
      this.#drop(message, 'partition');
      return;
    }
    if (this.#prng.chance(this.#conditions.lossRate)) {
      this.#drop(message, 'loss');
      return;
    }
    // A copy, so that no two nodes ever share a mutable object (as on a real wire).
    this.#schedule(copyMessage(message));
    if (this.#prng.chance(this.#conditions.duplicateRate)) {
      this.stats.duplicated++;
      this.#schedule(copyMessage(message));
    }
  }

  /** Whether messages from `from` currently reach `to`. */
  canReach(from: NodeId, to: NodeId): boolean {
    return !this.#cutLinks.has(linkKey(from, to));
  }

  /** Cuts the one-way link from -> to (an asymmetric partition when only one direction is cut). */
  cutOneWay(from: NodeId, to: NodeId): void {
    if (from !== to) this.#cutLinks.add(linkKey(from, to));
  }

  /** Splits the nodes into groups that cannot talk across (a symmetric partition). */
  partition(groups: readonly (readonly NodeId[])[]): void {
    for (const group of groups) {
      for (const other of groups) {
        if (other === group) continue;
        for (const a of group) for (const b of other) this.cutOneWay(a, b);
      }
    }
  }

  /** Cuts `node` off from all of `others`, both ways. */
  isolate(node: NodeId, others: readonly NodeId[]): void {
    this.partition([[node], others.filter((other) => other !== node)]);
  }

  /** Restores every link. Messages already dropped stay dropped. */
  heal(): void {
    this.#cutLinks.clear();
  }

  /** The cut links, as "from>to", for a seed's fault log. */
  cutLinks(): string[] {
    return [...this.#cutLinks].sort();
  }

  /**
   * When the last message now in flight on from -> to arrives. A connection's drop is noticed
   * after the data it carried (TCP delivers the stream, then the FIN), so a transport's
   * peer-down signal cannot overtake those messages.
   */
  lastArrival(from: NodeId, to: NodeId): number {
    return this.#lastArrival.get(linkKey(from, to)) ?? 0;
  }

  #schedule(message: Message): void {
    const c = this.#conditions;
    let delay = c.minDelayMs + this.#prng.float() * (c.maxDelayMs - c.minDelayMs);
    if (c.spikeRate > 0 && this.#prng.chance(c.spikeRate)) delay += this.#prng.float() * c.spikeDelayMs;
    const arrival = this.#scheduler.now() + delay;
    const key = linkKey(message.from, message.to);
    if (arrival > (this.#lastArrival.get(key) ?? 0)) this.#lastArrival.set(key, arrival);
    this.#scheduler.at(arrival, () => {
      // A partition that starts while the message is in flight drops it (the connection breaks).
      if (!this.canReach(message.from, message.to)) {
        this.#drop(message, 'partition');
        return;
      }
      this.stats.delivered++;
      this.#hooks.deliver(message);
    });
  }

  #drop(message: Message, reason: DropReason): void {
    if (reason === 'loss') this.stats.lost++;
    else this.stats.cut++;
    this.#hooks.dropped?.(message, reason);
  }
}
