/**
 * topologySpreadConstraints (kube-scheduler's PodTopologySpread). Once per pod, the pods matching
 * each constraint's selector (same namespace, not terminating) are counted per domain of its
 * topologyKey, over the nodes the pod could use at all (its node selector and required node
 * affinity hold, and they carry every key: Kubernetes' nodeAffinityPolicy=Honor default).
 *
 *   DoNotSchedule (filter): count(domain of node) + (pod matches itself ? 1 : 0) − global minimum
 *                           must not exceed maxSkew; with fewer domains than minDomains the
 *                           minimum counts as 0. A node without the key is never eligible.
 *   ScheduleAnyway (score): Σ count × log(domains + 2) per constraint, fewer scoring higher;
 *                           nodes without the keys score 0.
 */
import { matchesLabels } from '../../api/label-selector.ts';
import type { NodeInfo } from '../node-info.ts';
import type { PodInfo, SpreadConstraint } from '../pod-info.ts';
import { type Reasons, SPREAD_CONSTRAINTS_MISMATCH, SPREAD_MISSING_LABEL } from '../reasons.ts';
import type { Snapshot } from '../snapshot.ts';
import { nodeAffinity } from './node-affinity.ts';

export interface SpreadState {
  readonly constraints: readonly SpreadConstraint[];
  /** Per constraint: domain value -> matching pods on eligible nodes in it. */
  readonly counts: readonly Map<string, number>[];
  /** Per constraint: the global minimum over its domains (0 below minDomains). */
  readonly minMatch: readonly number[];
}

const hasKeys = (constraints: readonly SpreadConstraint[], labels: Readonly<Record<string, string>>) =>
  constraints.every((c) => labels[c.topologyKey] !== undefined);

export function prepareSpread(
  pod: PodInfo,
  snapshot: Snapshot,
  constraints: readonly SpreadConstraint[],
): SpreadState {
  const counts = constraints.map(() => new Map<string, number>());
  const eligible = new Set<string>();
  for (const node of snapshot.nodes) {
    const labels = node.labels;
    if (!hasKeys(constraints, labels) || nodeAffinity(pod, node) !== undefined) continue;
    eligible.add(node.name);
    constraints.forEach((c, i) => {
      const v = labels[c.topologyKey] as string;
      const m = counts[i] as Map<string, number>;
      if (!m.has(v)) m.set(v, 0);
    });
  }
  constraints.forEach((c, i) => {
    const m = counts[i] as Map<string, number>;
    for (const p of snapshot.podsSelectableBy(c.selector)) {
      if (p.namespace !== pod.namespace || p.terminating || p.key === pod.key) continue;
      if (!matchesLabels(c.selector, p.labels)) continue;
      const node = snapshot.nodeOfPod(p.key);
      if (node === undefined || !eligible.has(node.name)) continue;
      const v = node.labels[c.topologyKey] as string;
      m.set(v, (m.get(v) ?? 0) + 1);
    }
  });
  const minMatch = constraints.map((c, i) => {
    const m = counts[i] as Map<string, number>;
    if (m.size < c.minDomains || m.size === 0) return 0;
    return Math.min(...m.values());
  });
  return { constraints, counts, minMatch };
}

export function topologySpread(state: SpreadState, pod: PodInfo, node: NodeInfo): Reasons | undefined {
  const labels = node.labels;
  for (let i = 0; i < state.constraints.length; i++) {
    const c = state.constraints[i] as SpreadConstraint;
    const v = labels[c.topologyKey];
    if (v === undefined) return SPREAD_MISSING_LABEL;
    const selfMatch = matchesLabels(c.selector, pod.labels) ? 1 : 0;
    const skew = (state.counts[i]?.get(v) ?? 0) + selfMatch - (state.minMatch[i] ?? 0);
    if (skew > c.maxSkew) return SPREAD_CONSTRAINTS_MISMATCH;
  }
  return undefined;
}

/** A node that evicting pods cannot fix (it lacks a key) is not a preemption candidate. */
export const spreadUnresolvable = (reasons: Reasons): boolean => reasons === SPREAD_MISSING_LABEL;

/** Raw ScheduleAnyway score: weighted matching pods in the node's domains; −1 marks a node without the keys. */
export function spreadScore(state: SpreadState, node: NodeInfo): number {
  const labels = node.labels;
  if (!hasKeys(state.constraints, labels)) return -1;
  let s = 0;
  for (let i = 0; i < state.constraints.length; i++) {
    const c = state.constraints[i] as SpreadConstraint;
    const m = state.counts[i] as Map<string, number>;
    s += (m.get(labels[c.topologyKey] as string) ?? 0) * Math.log(m.size + 2);
  }
  return s;
}

/** Fewer matching pods score higher: 100 × (max + min − s) / max; nodes without the keys get 0. */
export function normalizeSpread(_nodes: readonly NodeInfo[], scores: Float64Array, count: number): void {
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < count; i++) {
    const s = scores[i] ?? 0;
    if (s < 0) continue;
    min = Math.min(min, s);
    max = Math.max(max, s);
  }
  for (let i = 0; i < count; i++) {
    const s = scores[i] ?? 0;
    scores[i] = s < 0 ? 0 : max === 0 ? 100 : (100 * (max + min - s)) / max;
  }
}
