/**
 * Preferred pod affinity and anti-affinity (the score half of kube-scheduler's InterPodAffinity):
 * each existing pod a weighted term selects adds the term's weight (anti-affinity: subtracts it)
 * to the topology domain of the node it runs on; a node scores the sum over its domains, rescaled
 * so that the best candidate gets 100 and the worst 0. Only the incoming pod's own terms count
 * (Kubernetes also adds existing pods' preferred terms that select the incoming pod).
 */

import { termMatches } from '../filters/inter-pod-affinity.ts';
import type { NodeInfo } from '../node-info.ts';
import type { PodInfo } from '../pod-info.ts';
import type { Snapshot } from '../snapshot.ts';

/** topology key -> value -> summed weight. */
export type PreferredAffinityState = Map<string, Map<string, number>>;

export function preparePreferredAffinity(pod: PodInfo, snapshot: Snapshot): PreferredAffinityState {
  const scores: PreferredAffinityState = new Map();
  for (const { weight, term } of pod.preferredAffinity) {
    for (const existing of snapshot.podsSelectableBy(term.selector)) {
      if (existing.key === pod.key || !termMatches(term, existing, snapshot)) continue;
      const value = snapshot.nodeOfPod(existing.key)?.labels[term.topologyKey];
      if (value === undefined) continue;
      let byValue = scores.get(term.topologyKey);
      if (byValue === undefined) {
        byValue = new Map();
        scores.set(term.topologyKey, byValue);
      }
      byValue.set(value, (byValue.get(value) ?? 0) + weight);
    }
  }
  return scores;
}

export function preferredAffinityScore(state: PreferredAffinityState, node: NodeInfo): number {
  let s = 0;
  const labels = node.labels;
  for (const [key, byValue] of state) {
    const v = labels[key];
    if (v !== undefined) s += byValue.get(v) ?? 0;
  }
  return s;
}

/** 100 × (s − min) / (max − min); all equal: 0 (nothing to prefer). */
export function normalizeMinMax(_nodes: readonly NodeInfo[], scores: Float64Array, count: number): void {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i++) {
    const s = scores[i] ?? 0;
    min = Math.min(min, s);
    max = Math.max(max, s);
  }
  const diff = max - min;
  for (let i = 0; i < count; i++) scores[i] = diff > 0 ? (100 * ((scores[i] ?? 0) - min)) / diff : 0;
}
