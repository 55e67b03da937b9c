/**
 * The plugin shapes and the default profile: which filters run in which order, which scores with
 * which weights. A cycle first prepares per-pod state (CycleState: kube-scheduler's PreFilter),
 * then runs only the filters and scores that can matter for this pod (a pod without host ports
 * never pays for the port check), like Nomad's stack that wires only the iterators a job needs.
 */
import type { NodeSelectorTerm } from '../api/types/pod.ts';
import { hostPorts } from './filters/host-ports.ts';
import {
  type InterPodAffinityState,
  interPodAffinity,
  interPodAffinityIsVacuous,
  prepareInterPodAffinity,
} from './filters/inter-pod-affinity.ts';
import { nodeAffinity } from './filters/node-affinity.ts';
import { nodeReady, nodeUnschedulable } from './filters/node-status.ts';
import { nodeResourcesFit } from './filters/resources-fit.ts';
import { taintToleration } from './filters/taint-toleration.ts';
import {
  normalizeSpread,
  prepareSpread,
  type SpreadState,
  spreadScore,
  spreadUnresolvable,
  topologySpread,
} from './filters/topology-spread.ts';
import { volumeConstraint, volumeNodeAffinity } from './filters/volume-binding.ts';
import type { NodeInfo } from './node-info.ts';
import type { PodInfo } from './pod-info.ts';
import type { Reasons } from './reasons.ts';
import {
  normalizeReversed,
  normalizeToMax,
  preferredNodeAffinity,
  untoleratedPreferNoSchedule,
} from './scores/node-preferences.ts';
import { normalizeOwnerSpread, ownerPodsOnNode } from './scores/owner-spread.ts';
import {
  normalizeMinMax,
  type PreferredAffinityState,
  preferredAffinityScore,
  preparePreferredAffinity,
} from './scores/preferred-pod-affinity.ts';
import { balancedAllocation, leastAllocated } from './scores/resource-allocation.ts';
import { utilisationScore } from './scores/utilisation.ts';
import type { Snapshot } from './snapshot.ts';

/** Per-pod state prepared once per cycle. */
export interface CycleState {
  readonly pod: PodInfo;
  readonly snapshot: Snapshot;
  readonly volumeTerms: readonly (readonly NodeSelectorTerm[])[];
  /** Undefined when no affinity rule can reject a node for this pod. */
  readonly interPod: InterPodAffinityState | undefined;
  /** DoNotSchedule spread counts; undefined without such constraints. */
  readonly spread: SpreadState | undefined;
  /** ScheduleAnyway spread counts and preferred pod-affinity weights, for the scores. */
  readonly softSpread: SpreadState | undefined;
  readonly preferredAffinity: PreferredAffinityState | undefined;
}

export type FilterName =
  | 'NodeReady'
  | 'NodeUnschedulable'
  | 'TaintToleration'
  | 'NodeAffinity'
  | 'NodePorts'
  | 'NodeResourcesFit'
  | 'VolumeBinding'
  | 'InterPodAffinity'
  | 'PodTopologySpread';

export interface FilterPlugin {
  readonly name: FilterName;
  /** Could evicting lower-priority pods from the node make it pass? (What preemption may try.) */
  readonly preemptionMayHelp: boolean;
  /** Reasons that evicting pods cannot fix even though the plugin's others can. */
  unresolvable?(reasons: Reasons): boolean;
  /** False: the filter cannot reject any node for this pod, so the cycle skips it. */
  applies(state: CycleState): boolean;
  filter(state: CycleState, node: NodeInfo): Reasons | undefined;
}

export type ScoreName =
  | 'NodeResourcesLeastAllocated'
  | 'NodeResourcesBalancedAllocation'
  | 'OwnerSpread'
  | 'NodeAffinity'
  | 'TaintToleration'
  | 'NodeUtilisation'
  | 'PodTopologySpread'
  | 'InterPodAffinity';

export interface ScorePlugin {
  readonly name: ScoreName;
  readonly weight: number;
  /** False: every node would score the same, so the cycle skips it. */
  applies(state: CycleState): boolean;
  score(state: CycleState, node: NodeInfo): number;
  /** Rescales the candidates' raw scores to 0..100 in place (`nodes` is parallel to `scores`). */
  normalize?(nodes: readonly NodeInfo[], scores: Float64Array, count: number): void;
}

export interface Profile {
  readonly filters: readonly FilterPlugin[];
  readonly scores: readonly ScorePlugin[];
  /**
   * Stop filtering once this share of the nodes is feasible (kube-scheduler's
   * percentageOfNodesToScore); 0 picks its adaptive default, 50% minus 1% per 125 nodes, at least 5%.
   * Never fewer than 100 nodes are sought.
   */
  readonly percentageOfNodesToScore: number;
}

const always = () => true;

/** kube-scheduler's filter order (cheap and decisive first), with a readiness check in front. */
export const FILTERS: readonly FilterPlugin[] = [
  { name: 'NodeReady', preemptionMayHelp: false, applies: always, filter: (s, n) => nodeReady(s.pod, n) },
  {
    name: 'NodeUnschedulable',
    preemptionMayHelp: false,
    applies: always,
    filter: (s, n) => nodeUnschedulable(s.pod, n),
  },
  {
    name: 'TaintToleration',
    preemptionMayHelp: false,
    applies: always,
    filter: (s, n) => taintToleration(s.pod, n),
  },
  {
    name: 'NodeAffinity',
    preemptionMayHelp: false,
    applies: (s) =>
      s.pod.nodeSelector !== undefined ||
      s.pod.pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution !== undefined,
    filter: (s, n) => nodeAffinity(s.pod, n),
  },
  {
    name: 'NodePorts',
    preemptionMayHelp: true,
    applies: (s) => s.pod.hostPorts.length > 0,
    filter: (s, n) => hostPorts(s.pod, n),
  },
  {
    name: 'NodeResourcesFit',
    preemptionMayHelp: true,
    applies: always,
    filter: (s, n) => nodeResourcesFit(s.pod, n),
  },
  {
    name: 'VolumeBinding',
    preemptionMayHelp: false,
    applies: (s) => s.volumeTerms.length > 0,
    filter: (s, n) => volumeNodeAffinity(s.volumeTerms, n),
  },
  {
    name: 'InterPodAffinity',
    // Evicting pods can clear anti-affinity conflicts; it cannot create the pods affinity needs.
    preemptionMayHelp: true,
    applies: (s) => s.interPod !== undefined,
    filter: (s, n) => (s.interPod === undefined ? undefined : interPodAffinity(s.interPod, s.pod, n)),
  },
  {
    name: 'PodTopologySpread',
    // Evicting matching pods lowers a domain's count; a node without the key stays ineligible.
    preemptionMayHelp: true,
    unresolvable: spreadUnresolvable,
    applies: (s) => s.spread !== undefined,
    filter: (s, n) => (s.spread === undefined ? undefined : topologySpread(s.spread, s.pod, n)),
  },
];

export interface ScoreWeights {
  readonly leastAllocated: number;
  readonly balancedAllocation: number;
  readonly ownerSpread: number;
  readonly nodeAffinity: number;
  readonly taintToleration: number;
  readonly utilisation: number;
  readonly topologySpread: number;
  readonly interPodAffinity: number;
}

/**
 * kube-scheduler's weights where it has the plugin (1, 1, 2, 2, 3). Utilisation weighs 3: measured
 * load is the one signal requests cannot give, and at 2 the spreading score would still send a
 * replica to a box that is measurably saturated.
 */
export const DEFAULT_WEIGHTS: ScoreWeights = {
  leastAllocated: 1,
  balancedAllocation: 1,
  ownerSpread: 2,
  nodeAffinity: 2,
  taintToleration: 3,
  utilisation: 3,
  topologySpread: 2,
  interPodAffinity: 2,
};

export function scorePlugins(w: ScoreWeights = DEFAULT_WEIGHTS): ScorePlugin[] {
  const plugins: ScorePlugin[] = [
    {
      name: 'NodeResourcesLeastAllocated',
      weight: w.leastAllocated,
      applies: always,
      score: (s, n) => leastAllocated(s.pod, n),
    },
    {
      name: 'NodeResourcesBalancedAllocation',
      weight: w.balancedAllocation,
      applies: always,
      score: (s, n) => balancedAllocation(s.pod, n),
    },
    {
      name: 'OwnerSpread',
      weight: w.ownerSpread,
      applies: (s) => s.pod.ownerUid !== undefined,
      score: (s, n) => ownerPodsOnNode(s.pod, n),
      normalize: normalizeOwnerSpread,
    },
    {
      name: 'NodeAffinity',
      weight: w.nodeAffinity,
      applies: (s) =>
        (s.pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ??
          0) > 0,
      score: (s, n) => preferredNodeAffinity(s.pod, n),
      normalize: (_nodes, scores, count) => normalizeToMax(scores, count),
    },
    {
      name: 'TaintToleration',
      weight: w.taintToleration,
      applies: always,
      score: (s, n) => untoleratedPreferNoSchedule(s.pod, n),
      normalize: (_nodes, scores, count) => normalizeReversed(scores, count),
    },
    {
      name: 'NodeUtilisation',
      weight: w.utilisation,
      applies: always,
      score: (s, n) => utilisationScore(s.pod, n),
    },
    {
      name: 'PodTopologySpread',
      weight: w.topologySpread,
      applies: (s) => s.softSpread !== undefined,
      score: (s, n) => (s.softSpread === undefined ? 0 : spreadScore(s.softSpread, n)),
      normalize: normalizeSpread,
    },
    {
      name: 'InterPodAffinity',
      weight: w.interPodAffinity,
      applies: (s) => s.preferredAffinity !== undefined,
      score: (s, n) =>
        s.preferredAffinity === undefined ? 0 : preferredAffinityScore(s.preferredAffinity, n),
      normalize: normalizeMinMax,
    },
  ];
  return plugins.filter((p) => p.weight > 0);
}

export function defaultProfile(
  overrides: Partial<Profile> & { weights?: Partial<ScoreWeights> } = {},
): Profile {
  return {
    filters: overrides.filters ?? FILTERS,
    scores: overrides.scores ?? scorePlugins({ ...DEFAULT_WEIGHTS, ...overrides.weights }),
    percentageOfNodesToScore: overrides.percentageOfNodesToScore ?? 0,
  };
}

/** PreFilter: a pod-wide rejection message, or the state the per-node filters read. */
export function prepareCycle(
  pod: PodInfo,
  snapshot: Snapshot,
): { ok: true; state: CycleState } | { ok: false; message: string } {
  const volumes = volumeConstraint(pod, snapshot);
  if (!volumes.ok) return { ok: false, message: volumes.message };
  const needsInterPod =
    snapshot.podsWithRequiredAntiAffinity > 0 ||
    pod.requiredAffinity.length > 0 ||
    pod.requiredAntiAffinity.length > 0;
  let interPod: InterPodAffinityState | undefined;
  if (needsInterPod) {
    const prepared = prepareInterPodAffinity(pod, snapshot);
    if (!interPodAffinityIsVacuous(prepared, pod)) interPod = prepared;
  }
  return {
    ok: true,
    state: {
      pod,
      snapshot,
      volumeTerms: volumes.terms,
      interPod,
      spread: pod.hardSpread.length > 0 ? prepareSpread(pod, snapshot, pod.hardSpread) : undefined,
      softSpread: pod.softSpread.length > 0 ? prepareSpread(pod, snapshot, pod.softSpread) : undefined,
      preferredAffinity:
        pod.preferredAffinity.length > 0 ? preparePreferredAffinity(pod, snapshot) : undefined,
    },
  };
}
