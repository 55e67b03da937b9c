/**
 * Preemption (kube-scheduler's DefaultPreemption PostFilter) as a pure decision over a snapshot:
 * when no node can take a pod, which node to free, and which pods to evict there.
 *
 *   eligible?  preemptionPolicy Never, or still waiting for its own victims to go ──> no
 *   per node   the filter that rejected it could be helped by evicting pods (resources, ports,
 *              anti-affinity), else "Preemption is not helpful for scheduling"
 *              ──> remove every pod of strictly lower priority; still no fit ──> no victims here
 *              ──> put them back, most important first, keeping each one that still lets it fit
 *   pick       lowest highest-victim priority → lowest sum of priorities → fewest victims
 *              → latest start of the most important victims → first in node order
 *
 * Every node is a candidate (kube-scheduler samples 10% of large clusters; edge clusters are small).
 * There are no PodDisruptionBudgets in kedge, so that first criterion of Kubernetes' is absent.
 */

import { fitErrorMessage } from './fit-error.ts';
import { type CycleState, type Profile, prepareCycle } from './framework.ts';
import type { NodeInfo } from './node-info.ts';
import type { NominatedPods } from './nominated-pods.ts';
import type { PodInfo } from './pod-info.ts';
import { type NodeFailure, runFilters } from './schedule-one.ts';
import type { Snapshot } from './snapshot.ts';
import { WhatIfSnapshot } from './what-if-snapshot.ts';

export const NO_VICTIMS = 'No preemption victims found for incoming pod';
export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';

export interface Candidate {
  readonly nodeName: string;
  /** The pods to evict, most important first. */
  readonly victims: readonly PodInfo[];
}

export type PreemptionResult =
  | {
      readonly kind: 'Preempt';
      readonly nodeName: string;
      readonly victims: readonly PodInfo[];
      /** Lower-priority pods nominated to the same node: their nomination is void now. */
      readonly displacedNominations: readonly PodInfo[];
    }
  /** `message` is the FailedScheduling event's `preemption: …` suffix. */
  | { readonly kind: 'NotEligible' | 'NoCandidate'; readonly message: string };

export interface PreemptionInput {
  readonly snapshot: Snapshot;
  readonly pod: PodInfo;
  /** The failed cycle's per-node verdicts (every node was tried, since none was feasible). */
  readonly failures: readonly NodeFailure[];
  readonly profile: Profile;
  readonly nominated?: NominatedPods;
}

/** kube-scheduler's MoreImportantPod: higher priority, then the one running longer. */
export function moreImportant(a: PodInfo, b: PodInfo): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  return a.startTime < b.startTime;
}

/** Why the pod may not preempt now, or undefined when it may. */
export function ineligibleReason(
  pod: PodInfo,
  snapshot: Snapshot,
  nominatedNodeName: string | undefined,
): string | undefined {
  if (pod.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
  if (nominatedNodeName === undefined) return undefined;
  const node = snapshot.nodeInfo(nominatedNodeName);
  if (node === undefined) return undefined;
  for (const p of node.pods.values())
    if (p.terminating && p.priority < pod.priority)
      return 'not eligible due to a terminating pod on the nominated node.';
  return undefined;
}

/** Does the pod fit a what-if node? Per-pod state is prepared again when it depends on other pods. */
function fitter(
  input: PreemptionInput,
  state: CycleState,
): (node: NodeInfo, removed: Set<string>) => boolean {
  const { pod, snapshot, profile } = input;
  const dependsOnPods =
    snapshot.podsWithRequiredAntiAffinity > 0 ||
    pod.requiredAffinity.length > 0 ||
    pod.requiredAntiAffinity.length > 0 ||
    pod.hardSpread.length > 0;
  const staticFilters = profile.filters.filter((f) => f.applies(state));
  return (node, removed) => {
    if (!dependsOnPods) return runFilters(state, staticFilters, node) === undefined;
    const prepared = prepareCycle(pod, new WhatIfSnapshot(snapshot, node, removed));
    if (!prepared.ok) return false;
    const filters = profile.filters.filter((f) => f.applies(prepared.state));
    return runFilters(prepared.state, filters, node) === undefined;
  };
}

/** The fewest, least important pods to evict from `node` so that the pod fits; undefined if none do. */
export function selectVictimsOnNode(
  input: PreemptionInput,
  fits: (node: NodeInfo, removed: Set<string>) => boolean,
  node: NodeInfo,
): PodInfo[] | undefined {
  const { pod, nominated } = input;
  const potential = [...node.pods.values()].filter((p) => p.priority < pod.priority);
  if (potential.length === 0) return undefined;
  const what = node.clone();
  // Room promised to more important nominated pods stays promised.
  for (const p of nominated?.reservedFor(node.name, pod) ?? []) what.addPod(p);
  const removed = new Set<string>();
  for (const p of potential) {
    what.removePod(p.key);
    removed.add(p.key);
  }
  if (!fits(what, removed)) return undefined;
  potential.sort((a, b) => (moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0));
  const victims: PodInfo[] = [];
  for (const p of potential) {
    what.addPod(p);
    removed.delete(p.key);
    if (fits(what, removed)) continue;
    what.removePod(p.key);
    removed.add(p.key);
    victims.push(p);
  }
  return victims;
}

/** Kubernetes' pickOneNodeForPreemption over candidates in node order. */
export function pickCandidate(candidates: readonly Candidate[]): Candidate | undefined {
  // Priorities shifted by 2^31 so that sums of negative priorities order correctly (as Kubernetes).
  const shifted = (p: PodInfo) => p.priority + 2_147_483_648;
  const keyOf = (c: Candidate) => {
    const top = c.victims[0];
    const topPriority = top === undefined ? Number.NEGATIVE_INFINITY : top.priority;
    let earliestTop = Number.POSITIVE_INFINITY;
    for (const v of c.victims)
      if (v.priority === topPriority) earliestTop = Math.min(earliestTop, v.startTime);
    return {
      topPriority,
      sum: c.victims.reduce((s, v) => s + shifted(v), 0),
      count: c.victims.length,
      earliestTop,
    };
  };
  let best: Candidate | undefined;
  let bestKey: ReturnType<typeof keyOf> | undefined;
  for (const c of candidates) {
    const k = keyOf(c);
    if (bestKey === undefined) {
      best = c;
      bestKey = k;
      continue;
    }
    const better =
      k.topPriority !== bestKey.topPriority
        ? k.topPriority < bestKey.topPriority
        : k.sum !== bestKey.sum
          ? k.sum < bestKey.sum
          : k.count !== bestKey.count
            ? k.count < bestKey.count
            : k.earliestTop > bestKey.earliestTop;
    if (better) {
      best = c;
      bestKey = k;
    }
  }
  return best;
}

export function preempt(input: PreemptionInput): PreemptionResult {
  const { pod, snapshot, nominated } = input;
  const why = ineligibleReason(
    pod,
    snapshot,
    nominated?.nodeOf(pod.key) ?? (pod.pod.status?.nominatedNodeName || undefined),
  );
  if (why !== undefined) return { kind: 'NotEligible', message: `preemption: ${why}` };
  const prepared = prepareCycle(pod, snapshot);
  if (!prepared.ok) return { kind: 'NotEligible', message: `preemption: ${prepared.message}` };
  const fits = fitter(input, prepared.state);
  const candidates: Candidate[] = [];
  const reasonCounts = new Map<string, number>();
  const count = (r: string) => reasonCounts.set(r, (reasonCounts.get(r) ?? 0) + 1);
  for (const f of input.failures) {
    if (!f.preemptionMayHelp) {
      count(NOT_HELPFUL);
      continue;
    }
    const victims = selectVictimsOnNode(input, fits, f.node);
    if (victims === undefined) count(NO_VICTIMS);
    else candidates.push({ nodeName: f.node.name, victims });
  }
  const chosen = pickCandidate(candidates);
  if (chosen === undefined)
    return {
      kind: 'NoCandidate',
      message: `preemption: ${fitErrorMessage({ numAllNodes: snapshot.nodes.length, reasonCounts })}`,
    };
  return {
    kind: 'Preempt',
    nodeName: chosen.nodeName,
    victims: chosen.victims,
    displacedNominations: nominated?.lowerThan(chosen.nodeName, pod.priority) ?? [],
  };
}
