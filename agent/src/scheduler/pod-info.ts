/**
 * A pod compiled once for scheduling: requests as numbers, selectors compiled, host ports and claims
 * extracted. Filters and scores read these fields in their per-node loops instead of re-walking the
 * PodSpec 1,000 times per pod (the role of kube-scheduler's PodInfo and PreFilter state).
 */
import { type Selector, selectorFromLabelSelector } from '../api/label-selector.ts';
import type { Pod, PodAffinityTerm, PodSpec, Protocol, Toleration } from '../api/types/pod.ts';
import { podRequests, type Resources } from './resources.ts';

/**
 * PodSpec fields kube-scheduler reads that agent/src/api does not declare yet (a local adapter;
 * reported to the api owner). `preemptionPolicy` is set by the PriorityClass admission.
 */
export interface SchedulingPodSpec extends PodSpec {
  preemptionPolicy?: 'PreemptLowerPriority' | 'Never';
}

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

export interface PodInfo {
  readonly pod: Pod;
  /** The cache's identity for a pod: its uid (namespace/name for objects without one, in tests). */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly priority: number;
  readonly preemptionPolicy: 'PreemptLowerPriority' | 'Never';
  readonly requests: Resources;
  /** cpu/memory with kube-scheduler's 100m/200Mi defaults for containers that request nothing. */
  readonly nonZeroCpu: number;
  readonly nonZeroMemory: number;
  readonly hostPorts: readonly HostPort[];
  readonly tolerations: readonly Toleration[];
  readonly nodeSelector: Readonly<Record<string, string>> | undefined;
  readonly requiredAffinity: readonly AffinityTerm[];
  readonly requiredAntiAffinity: readonly AffinityTerm[];
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
  const spec = pod.spec as SchedulingPodSpec;
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
    ownerUid: owner?.uid,
    claims,
  };
}
