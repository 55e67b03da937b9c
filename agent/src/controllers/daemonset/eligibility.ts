/** Which nodes should run a DaemonSet's pod: nodeSelector, required node affinity, and taints. */
import type { Node, Taint } from '../../api/types/core.ts';
import type { NodeSelectorRequirement, PodSpec, Toleration } from '../../api/types/pod.ts';
import { tolerates } from '../node/reconcile.ts';

/** What Kubernetes adds to every DaemonSet pod, so that node trouble never evicts a daemon. */
export const DAEMON_TOLERATIONS: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !/^-?\d+$/.test(value)) return false;
      const bound = Number(values[0]);
      return r.operator === 'Gt' ? Number(value) > bound : Number(value) < bound;
    }
  }
}

export function nodeShouldRunPod(node: Node, spec: PodSpec): boolean {
  if (node.metadata.deletionTimestamp !== undefined) return false;
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms =
    spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms !== undefined && terms.length > 0) {
    const fields: Record<string, string> = { 'metadata.name': node.metadata.name ?? '' };
    const ok = terms.some(
      (t) =>
        (t.matchExpressions ?? []).every((r) => requirementMatches(r, labels[r.key])) &&
        (t.matchFields ?? []).every((r) => requirementMatches(r, fields[r.key])),
    );
    if (!ok) return false;
  }
  const tolerations = [...(spec.tolerations ?? []), ...DAEMON_TOLERATIONS];
  const blocking = (node.spec?.taints ?? []).filter(
    (t: Taint) => t.effect === 'NoSchedule' || t.effect === 'NoExecute',
  );
  return blocking.every((t) => tolerations.some((x) => tolerates(x, t)));
}
