/**
 * A pod compiled once for scheduling: requests as numbers, selectors compiled, host ports and claims
 * extracted. Filters and scores read these fields in their per-node loops instead of re-walking the
 * PodSpec 1,000 times per pod (the role of kube-scheduler's PodInfo and PreFilter state).
 */
import { type Selector, selectorFromLabelSelector } from '../api/label-selector.ts';
import type {
  Pod,
  PodAffinityTerm,
  PodSpec,
  Protocol,
  Toleration,
  TopologySpreadConstraint,
} from '../api/types/pod.ts';
import { podRequests, type Resources } from './resources.ts';

export interface HostPort {
  readonly port: number;
  readonly protocol: Protocol;
  /** '0.0.0.0' when unset: the wildcard conflicts with every address. */
  readonly ip: string;
}

/** A required (anti-)affinity term with its selectors compiled. */
export interface AffinityTerm {
  readonly selector: Selector;
  readonly topologyKey: string;
  /** Namespaces listed by name (the owner's namespace when neither names nor a selector are given). */
  readonly namespaces: ReadonlySet<string>;
  /** Undefined: only `namespaces`. Present: also every namespace whose labels it matches. */
  readonly namespaceSelector: Selector | undefined;
}

/** A topologySpreadConstraint with its selector compiled (matchLabelKeys folded in). */
export interface SpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly selector: Selector;
  readonly minDomains: number;
}

/** A preferred (anti-)affinity term: `weight` is negative for anti-affinity. */
export interface WeightedTerm {
  readonly weight: number;
  readonly term: AffinityTerm;
}

export interface PodInfo {
  readonly pod: Pod;
  /** The cache's identity for a pod: its uid (namespace/name for objects without one, in tests). */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** spec.priority, resolved from the PriorityClass at admission. */
  readonly priority: number;
  /** Set by the Priority admission; Never: the pod waits for room instead of preempting. */
  readonly preemptionPolicy: 'PreemptLowerPriority' | 'Never';
  /** Deletion requested (a victim in its grace period): still holds its room. */
  readonly terminating: boolean;
  /** status.startTime, else creationTimestamp (ms; 0 if neither): preemption spares older pods first. */
  readonly startTime: number;
  readonly requests: Resources;
  /** cpu/memory with kube-scheduler's 100m/200Mi defaults for containers that request nothing. */
  readonly nonZeroCpu: number;
  readonly nonZeroMemory: number;
  readonly hostPorts: readonly HostPort[];
  readonly tolerations: readonly Toleration[];
  readonly nodeSelector: Readonly<Record<string, string>> | undefined;
  readonly requiredAffinity: readonly AffinityTerm[];
  readonly requiredAntiAffinity: readonly AffinityTerm[];
  /** whenUnsatisfiable DoNotSchedule (a filter) and ScheduleAnyway (a score). */
  readonly hardSpread: readonly SpreadConstraint[];
  readonly softSpread: readonly SpreadConstraint[];
  /** Preferred pod affinity (+weight) and anti-affinity (−weight) terms, for the score. */
  readonly preferredAffinity: readonly WeightedTerm[];
  /** The uid of the controlling owner (ownerReferences[controller=true]), for spreading. */
  readonly ownerUid: string | undefined;
  /** Names of the PersistentVolumeClaims the pod mounts. */
  readonly claims: readonly string[];
}

export function podKey(pod: Pod): string {
  return pod.metadata.uid ?? `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`;
}

function compileTerm(term: PodAffinityTerm, ownNamespace: string): AffinityTerm {
  const listed = term.namespaces ?? [];
  const namespaceSelector =
    term.namespaceSelector === undefined ? undefined : selectorFromLabelSelector(term.namespaceSelector);
  return {
    // A term without a labelSelector selects no pods (nil selector), as in Kubernetes.
    selector: selectorFromLabelSelector(term.labelSelector),
    topologyKey: term.topologyKey,
    namespaces: new Set(listed.length === 0 && namespaceSelector === undefined ? [ownNamespace] : listed),
    namespaceSelector,
  };
}

function compileSpread(
  c: TopologySpreadConstraint,
  labels: Readonly<Record<string, string>>,
): SpreadConstraint {
  // matchLabelKeys: the pod's own values for these keys narrow the selector (one revision's pods).
  const matchLabels = { ...c.labelSelector?.matchLabels };
  for (const k of c.matchLabelKeys ?? []) {
    const v = labels[k];
    if (v !== undefined) matchLabels[k] = v;
  }
  return {
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    selector:
      c.labelSelector === undefined && (c.matchLabelKeys ?? []).length === 0
        ? selectorFromLabelSelector(undefined)
        : selectorFromLabelSelector({ ...c.labelSelector, matchLabels }),
    minDomains: c.minDomains ?? 1,
  };
}

function hostPortsOf(spec: PodSpec): HostPort[] {
  const out: HostPort[] = [];
  for (const c of spec.containers) {
    for (const p of c.ports ?? []) {
      if (p.hostPort === undefined || p.hostPort <= 0) continue;
      out.push({ port: p.hostPort, protocol: p.protocol ?? 'TCP', ip: p.hostIP || '0.0.0.0' });
    }
  }
  return out;
}

export function compilePod(pod: Pod): PodInfo {
  const spec = pod.spec;
  const namespace = pod.metadata.namespace ?? 'default';
  const nonZero = podRequests(spec, true);
  const affinity = spec.affinity;
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller === true);
  const claims: string[] = [];
  for (const v of spec.volumes ?? []) {
    if (v.persistentVolumeClaim !== undefined) claims.push(v.persistentVolumeClaim.claimName);
  }
  return {
    pod,
    key: podKey(pod),
    namespace,
    name: pod.metadata.name ?? '',
    labels: pod.metadata.labels ?? {},
    priority: spec.priority ?? 0,
    preemptionPolicy: spec.preemptionPolicy ?? 'PreemptLowerPriority',
    terminating: pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null,
    startTime: Date.parse(pod.status?.startTime ?? pod.metadata.creationTimestamp ?? '') || 0,
    requests: podRequests(spec),
    nonZeroCpu: nonZero.cpu,
    nonZeroMemory: nonZero.memory,
    hostPorts: hostPortsOf(spec),
    tolerations: spec.tolerations ?? [],
    nodeSelector:
      spec.nodeSelector !== undefined && Object.keys(spec.nodeSelector).length > 0
        ? spec.nodeSelector
        : undefined,
    requiredAffinity: (affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) =>
      compileTerm(t, namespace),
    ),
    requiredAntiAffinity: (
      affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []
    ).map((t) => compileTerm(t, namespace)),
    hardSpread: (spec.topologySpreadConstraints ?? [])
      .filter((c) => c.whenUnsatisfiable !== 'ScheduleAnyway')
      .map((c) => compileSpread(c, pod.metadata.labels ?? {})),
    softSpread: (spec.topologySpreadConstraints ?? [])
      .filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway')
      .map((c) => compileSpread(c, pod.metadata.labels ?? {})),
    preferredAffinity: [
      ...(affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({
        weight: w.weight,
        term: compileTerm(w.podAffinityTerm, namespace),
      })),
      ...(affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({
        weight: -w.weight,
        term: compileTerm(w.podAffinityTerm, namespace),
      })),
    ],
    ownerUid: owner?.uid,
    claims,
  };
}
