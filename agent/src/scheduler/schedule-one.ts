/**
 * One pod through the pipeline, as a pure function of a snapshot:
 *
 *   prepareCycle ──> filter (rotating start, stop after enough feasible nodes)
 *                ──> score (each plugin 0..100, normalized, truncated, × weight, summed)
 *                ──> select (highest total; ties by seeded reservoir sampling)
 *
 * or, if no node passes, a Diagnosis and kube-scheduler's FailedScheduling message. A pod nominated
 * to a node (it preempted there) tries that node first; every node is filtered as if the pods
 * nominated to it with priority ≥ this pod's were already placed.
 */
import { type Diagnosis, fitErrorMessage } from './fit-error.ts';
import {
  type CycleState,
  type FilterName,
  type FilterPlugin,
  type Profile,
  prepareCycle,
  type ScorePlugin,
} from './framework.ts';
import type { NodeInfo } from './node-info.ts';
import type { NominatedPods } from './nominated-pods.ts';
import type { PodInfo } from './pod-info.ts';
import type { Reasons } from './reasons.ts';
import type { Random } from './seeded-random.ts';
import type { Snapshot } from './snapshot.ts';

export interface NodeFailure {
  readonly node: NodeInfo;
  readonly plugin: FilterName;
  readonly reasons: Reasons;
  readonly preemptionMayHelp: boolean;
}

export type ScheduleResult =
  | {
      readonly kind: 'Scheduled';
      readonly nodeName: string;
      readonly feasibleNodes: number;
      readonly evaluatedNodes: number;
    }
  | {
      readonly kind: 'Unschedulable';
      readonly diagnosis: Diagnosis;
      /** Every node's failure (empty after a pod-wide rejection). */
      readonly failures: readonly NodeFailure[];
      /** Filters that rejected some node: the cluster changes that could help this pod. */
      readonly unschedulablePlugins: ReadonlySet<FilterName | 'PreFilter'>;
      readonly message: string;
    };

/** What a scheduler carries from one cycle to the next. */
export interface AlgorithmState {
  /** Where the next cycle starts filtering, so the sampled nodes rotate through the cluster. */
  nextStartNodeIndex: number;
  readonly random: Random;
}

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_ADAPTIVE_PERCENTAGE = 5;

/** How many feasible nodes to look for before scoring (kube-scheduler's numFeasibleNodesToFind). */
export function numFeasibleNodesToFind(numAllNodes: number, percentage: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND || percentage >= 100) return numAllNodes;
  const pct =
    percentage > 0 ? percentage : Math.max(MIN_ADAPTIVE_PERCENTAGE, 50 - Math.floor(numAllNodes / 125));
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.floor((numAllNodes * pct) / 100));
}

/** The first failing filter's verdict for one node, or undefined when the node is feasible. */
export function runFilters(
  state: CycleState,
  filters: readonly FilterPlugin[],
  node: NodeInfo,
): NodeFailure | undefined {
  for (const f of filters) {
    const reasons = f.filter(state, node);
    if (reasons !== undefined)
      return {
        node,
        plugin: f.name,
        reasons,
        preemptionMayHelp: f.preemptionMayHelp && f.unresolvable?.(reasons) !== true,
      };
  }
  return undefined;
}

/**
 * The filters with the room promised to nominated pods of priority ≥ this pod's counted as taken
 * (kube-scheduler runs the filters with and without them: with, for the room; without, because
 * affinity must hold even if they never arrive).
 */
export function runFiltersWithNominated(
  state: CycleState,
  filters: readonly FilterPlugin[],
  node: NodeInfo,
  nominated: NominatedPods | undefined,
): NodeFailure | undefined {
  const plain = runFilters(state, filters, node);
  if (plain !== undefined || nominated === undefined) return plain;
  const reserved = nominated.reservedFor(node.name, state.pod);
  if (reserved.length === 0) return undefined;
  const withNominated = node.clone();
  for (const p of reserved) withNominated.addPod(p);
  const failure = runFilters(state, filters, withNominated);
  return failure === undefined ? undefined : { ...failure, node };
}

/** Weighted total per candidate: each plugin's 0..100 score truncated to an integer, as Kubernetes' int64. */
export function scoreNodes(
  state: CycleState,
  plugins: readonly ScorePlugin[],
  nodes: readonly NodeInfo[],
): Float64Array {
  const count = nodes.length;
  const total = new Float64Array(count);
  const raw = new Float64Array(count);
  for (const p of plugins) {
    if (!p.applies(state)) continue;
    for (let i = 0; i < count; i++) raw[i] = p.score(state, nodes[i] as NodeInfo);
    p.normalize?.(nodes, raw, count);
    for (let i = 0; i < count; i++) {
      const s = Math.trunc(Math.min(100, Math.max(0, raw[i] ?? 0)));
      total[i] = (total[i] ?? 0) + s * p.weight;
    }
  }
  return total;
}

/** The highest total; among equals each is equally likely, decided by the seeded random source. */
export function selectHost(nodes: readonly NodeInfo[], scores: Float64Array, random: Random): NodeInfo {
  let best = nodes[0] as NodeInfo;
  let bestScore = scores[0] ?? 0;
  let ties = 1;
  for (let i = 1; i < nodes.length; i++) {
    const s = scores[i] ?? 0;
    if (s > bestScore) {
      best = nodes[i] as NodeInfo;
      bestScore = s;
      ties = 1;
    } else if (s === bestScore) {
      ties++;
      if (random() * ties < 1) best = nodes[i] as NodeInfo;
    }
  }
  return best;
}

function unschedulable(
  numAllNodes: number,
  failures: readonly NodeFailure[],
  preFilterMessage?: string,
): ScheduleResult {
  const reasonCounts = new Map<string, number>();
  const plugins = new Set<FilterName | 'PreFilter'>();
  for (const f of failures) {
    plugins.add(f.plugin);
    for (const r of f.reasons) reasonCounts.set(r, (reasonCounts.get(r) ?? 0) + 1);
  }
  if (preFilterMessage !== undefined) plugins.add('PreFilter');
  const diagnosis: Diagnosis =
    preFilterMessage === undefined
      ? { numAllNodes, reasonCounts }
      : { numAllNodes, reasonCounts, preFilterMessage };
  return {
    kind: 'Unschedulable',
    diagnosis,
    failures,
    unschedulablePlugins: plugins,
    message: fitErrorMessage(diagnosis),
  };
}

/** Schedules one pod against the snapshot; mutates only `algo` (start index, random state). */
export function schedulePod(
  snapshot: Snapshot,
  pod: PodInfo,
  profile: Profile,
  algo: AlgorithmState,
  nominated?: NominatedPods,
): ScheduleResult {
  const nodes = snapshot.nodes;
  const n = nodes.length;
  if (n === 0) return unschedulable(0, []);
  const prepared = prepareCycle(pod, snapshot);
  if (!prepared.ok) return unschedulable(n, [], prepared.message);
  const state = prepared.state;
  const filters = profile.filters.filter((f) => f.applies(state));

  // A pod that preempted goes where it made room, if it still fits there (evaluateNominatedNode).
  const nominatedNode = nominated?.nodeOf(pod.key) ?? (pod.pod.status?.nominatedNodeName || undefined);
  const home = nominatedNode === undefined ? undefined : snapshot.nodeInfo(nominatedNode);
  if (home !== undefined && runFiltersWithNominated(state, filters, home, nominated) === undefined)
    return { kind: 'Scheduled', nodeName: home.name, feasibleNodes: 1, evaluatedNodes: 1 };

  const toFind = numFeasibleNodesToFind(n, profile.percentageOfNodesToScore);
  const feasible: NodeInfo[] = [];
  const failures: NodeFailure[] = [];
  const start = algo.nextStartNodeIndex % n;
  let processed = 0;
  while (processed < n && feasible.length < toFind) {
    const node = nodes[(start + processed) % n] as NodeInfo;
    processed++;
    const failure = runFiltersWithNominated(state, filters, node, nominated);
    if (failure === undefined) feasible.push(node);
    else failures.push(failure);
  }
  algo.nextStartNodeIndex = (start + processed) % n;
  if (feasible.length === 0) return unschedulable(n, failures);

  const chosen =
    feasible.length === 1
      ? (feasible[0] as NodeInfo)
      : selectHost(feasible, scoreNodes(state, profile.scores, feasible), algo.random);
  return {
    kind: 'Scheduled',
    nodeName: chosen.name,
    feasibleNodes: feasible.length,
    evaluatedNodes: processed,
  };
}
