/**
 * The node lifecycle controller's NodeHealthSource on the leader: gossip's SWIM view (many vantage
 * points, a crashed agent is dead in ~1-2 s) together with the leader's own probe
 * (agent-probe-health.ts), which also covers agents that run no gossip.
 *
 *   verdict(probe, gossip):  either dead            -> dead
 *                            gossip alive            -> alive   (peers reach it: the leader's own
 *                                                                 timeout says more about its link)
 *                            either suspect          -> suspect
 *                            otherwise               -> alive, or unknown when neither knows the node
 */
import type { GossipHealth, NodeHealthSource } from '../controllers/node/config.ts';

/** Pure: one verdict from the two detectors. */
export function combineVerdicts(
  probe: GossipHealth | undefined,
  gossip: GossipHealth | undefined,
): GossipHealth | undefined {
  if (probe === 'dead' || gossip === 'dead') return 'dead';
  if (gossip === 'alive') return 'alive';
  if (probe === 'suspect' || gossip === 'suspect') return 'suspect';
  return probe ?? gossip;
}

export function combinedHealth(probe: NodeHealthSource, gossip: NodeHealthSource): NodeHealthSource {
  return {
    health: (node) => combineVerdicts(probe.health(node), gossip.health(node)),
    subscribe(listener) {
      const a = probe.subscribe(listener);
      const b = gossip.subscribe(listener);
      return () => {
        a();
        b();
      };
    },
  };
}

/**
 * A NodeHealthSource filled in later: the agent's gossip host starts after the leader components
 * may already run. Until then it knows nothing (and subscribers are carried over when it is set).
 */
export class HealthSlot implements NodeHealthSource {
  #source: NodeHealthSource | undefined;
  readonly #listeners = new Map<(node: string) => void, () => void>();

  set(source: NodeHealthSource): void {
    for (const unsubscribe of this.#listeners.values()) unsubscribe();
    this.#source = source;
    for (const listener of this.#listeners.keys()) this.#listeners.set(listener, source.subscribe(listener));
  }

  health(node: string): GossipHealth | undefined {
    return this.#source?.health(node);
  }

  subscribe(listener: (node: string) => void): () => void {
    this.#listeners.set(listener, this.#source?.subscribe(listener) ?? (() => {}));
    return () => {
      this.#listeners.get(listener)?.();
      this.#listeners.delete(listener);
    };
  }
}
