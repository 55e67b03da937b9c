/**
 * Required pod affinity and anti-affinity by topology key. Once per pod, the matching pods (found
 * through the cache's label index, not a scan of every pod) are counted per topology pair (`zone=a`, `kubernetes.io/hostname=n1`); per node the filter is then a
 * few map lookups. Three rules, each with kube-scheduler's reason:
 *  - an existing pod's anti-affinity term that matches the incoming pod forbids its topology domain;
 *  - the incoming pod's anti-affinity terms forbid domains holding a matching pod;
 *  - the incoming pod's affinity terms need a domain holding a pod that matches all of them (or, if
 *    no pod matches anywhere and the pod matches its own terms, any node with the keys: the first
 *    replica of a group that wants to be together).
 */
import { matchesLabels } from '../../api/label-selector.ts';
import type { NodeInfo } from '../node-info.ts';
import type { AffinityTerm, PodInfo } from '../pod-info.ts';
import {
  EXISTING_ANTI_AFFINITY_MISMATCH,
  POD_AFFINITY_MISMATCH,
  POD_ANTI_AFFINITY_MISMATCH,
  type Reasons,
} from '../reasons.ts';
import type { Snapshot } from '../snapshot.ts';

/** topology key -> value -> count of matching pods in that domain. */
export type TopologyCounts = Map<string, Map<string, number>>;

export interface InterPodAffinityState {
  readonly existingAntiAffinity: TopologyCounts;
  readonly antiAffinity: TopologyCounts;
  readonly affinity: TopologyCounts;
  /** No pod matched the affinity terms and the pod matches them itself. */
  readonly selfAffinityAllowed: boolean;
}

/** Does `term` (owned by a pod in its own namespace) select `target`? */
export function termMatches(term: AffinityTerm, target: PodInfo, snapshot: Snapshot): boolean {
  if (!term.namespaces.has(target.namespace)) {
    if (term.namespaceSelector === undefined) return false;
    if (!matchesLabels(term.namespaceSelector, snapshot.namespaceLabels(target.namespace))) return false;
  }
  return matchesLabels(term.selector, target.labels);
}

function bump(counts: TopologyCounts, key: string, value: string): void {
  let byValue = counts.get(key);
  if (byValue === undefined) {
    byValue = new Map();
    counts.set(key, byValue);
  }
  byValue.set(value, (byValue.get(value) ?? 0) + 1);
}

function matchesAll(terms: readonly AffinityTerm[], target: PodInfo, snapshot: Snapshot): boolean {
  for (const t of terms) if (!termMatches(t, target, snapshot)) return false;
  return true;
}

export function prepareInterPodAffinity(pod: PodInfo, snapshot: Snapshot): InterPodAffinityState {
  const existingAntiAffinity: TopologyCounts = new Map();
  const antiAffinity: TopologyCounts = new Map();
  const affinity: TopologyCounts = new Map();
  if (snapshot.podsWithRequiredAntiAffinity > 0) {
    for (const existing of snapshot.antiAffinityPodsFor(pod.labels)) {
      const labels = snapshot.nodeOfPod(existing.key)?.labels;
      if (labels === undefined) continue;
      for (const term of existing.requiredAntiAffinity) {
        const value = labels[term.topologyKey];
        if (value !== undefined && termMatches(term, pod, snapshot))
          bump(existingAntiAffinity, term.topologyKey, value);
      }
    }
  }
  const first = pod.requiredAffinity[0];
  if (first !== undefined) {
    for (const existing of snapshot.podsSelectableBy(first.selector)) {
      if (!matchesAll(pod.requiredAffinity, existing, snapshot)) continue;
      const labels = snapshot.nodeOfPod(existing.key)?.labels;
      if (labels === undefined) continue;
      for (const term of pod.requiredAffinity) {
        const value = labels[term.topologyKey];
        if (value !== undefined) bump(affinity, term.topologyKey, value);
      }
    }
  }
  for (const term of pod.requiredAntiAffinity) {
    for (const existing of snapshot.podsSelectableBy(term.selector)) {
      if (!termMatches(term, existing, snapshot)) continue;
      const value = snapshot.nodeOfPod(existing.key)?.labels[term.topologyKey];
      if (value !== undefined) bump(antiAffinity, term.topologyKey, value);
    }
  }
  return {
    existingAntiAffinity,
    antiAffinity,
    affinity,
    selfAffinityAllowed:
      first !== undefined && affinity.size === 0 && matchesAll(pod.requiredAffinity, pod, snapshot),
  };
}

function occupied(counts: TopologyCounts, key: string, labels: Readonly<Record<string, string>>): boolean {
  const value = labels[key];
  if (value === undefined) return false;
  return (counts.get(key)?.get(value) ?? 0) > 0;
}

export function interPodAffinity(
  state: InterPodAffinityState,
  pod: PodInfo,
  node: NodeInfo,
): Reasons | undefined {
  const labels = node.labels;
  for (const key of state.existingAntiAffinity.keys()) {
    if (occupied(state.existingAntiAffinity, key, labels)) return EXISTING_ANTI_AFFINITY_MISMATCH;
  }
  for (const term of pod.requiredAntiAffinity) {
    if (occupied(state.antiAffinity, term.topologyKey, labels)) return POD_ANTI_AFFINITY_MISMATCH;
  }
  if (pod.requiredAffinity.length > 0) {
    let allPresent = true;
    for (const term of pod.requiredAffinity) {
      if (labels[term.topologyKey] === undefined) return POD_AFFINITY_MISMATCH;
      if (!occupied(state.affinity, term.topologyKey, labels)) allPresent = false;
    }
    if (!allPresent && !state.selfAffinityAllowed) return POD_AFFINITY_MISMATCH;
  }
  return undefined;
}

/** True when the state can reject nothing, so the per-node filter can be skipped entirely. */
export function interPodAffinityIsVacuous(state: InterPodAffinityState, pod: PodInfo): boolean {
  return (
    state.existingAntiAffinity.size === 0 &&
    pod.requiredAntiAffinity.length === 0 &&
    pod.requiredAffinity.length === 0
  );
}
