/**
 * Kubernetes' Priority admission, as pure functions over the PriorityClasses that exist:
 *
 *   pod create ──> spec.priorityClassName ── "" ──> the globalDefault class, or priority 0
 *                                        └── name ──> built-in system class or a stored one, else Forbidden
 *              ──> spec.priority, spec.preemptionPolicy (a pod may not give values that disagree)
 *   PriorityClass create/update ──> at most one globalDefault
 *
 * The caller lists the classes (an async store read) and applies the verdict; nothing here does I/O.
 */
import { forbidden, type StatusError } from './errors.ts';
import type { Pod } from './types/pod.ts';
import type { PreemptionPolicy, PriorityClass } from './types/scheduling.ts';

export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
export const SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;
export const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';
export const PRIORITY_CLASSES = { group: 'scheduling.k8s.io', resource: 'priorityclasses' } as const;

const builtIn = (name: string, value: number, description: string): PriorityClass => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name },
  value,
  description,
  preemptionPolicy: 'PreemptLowerPriority',
});

/** The classes every cluster has; users cannot create `system-` classes of their own. */
export const SYSTEM_PRIORITY_CLASSES: readonly PriorityClass[] = [
  builtIn(
    'system-node-critical',
    SYSTEM_CRITICAL_PRIORITY + 1000,
    'Used for system critical pods that must not be moved from their current node.',
  ),
  builtIn(
    'system-cluster-critical',
    SYSTEM_CRITICAL_PRIORITY,
    'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  ),
];

export interface ResolvedPriority {
  readonly priorityClassName: string | undefined;
  readonly priority: number;
  readonly preemptionPolicy: PreemptionPolicy;
}

/** The globalDefault class with the highest value (there should be one at most). */
function defaultClass(classes: readonly PriorityClass[]): PriorityClass | undefined {
  let best: PriorityClass | undefined;
  for (const c of classes)
    if (c.globalDefault === true && (best === undefined || c.value > best.value)) best = c;
  return best;
}

/** What the pod's priority fields must be, or Forbidden (403) with Kubernetes' message. */
export function resolvePodPriority(
  pod: Pod,
  classes: readonly PriorityClass[],
): ResolvedPriority | StatusError {
  const name = pod.spec.priorityClassName ?? '';
  const podName = pod.metadata.name ?? '';
  let resolved: ResolvedPriority;
  if (name === '') {
    const d = defaultClass(classes);
    resolved =
      d === undefined
        ? { priorityClassName: undefined, priority: 0, preemptionPolicy: 'PreemptLowerPriority' }
        : {
            priorityClassName: d.metadata.name,
            priority: d.value,
            preemptionPolicy: d.preemptionPolicy ?? 'PreemptLowerPriority',
          };
  } else {
    const c =
      SYSTEM_PRIORITY_CLASSES.find((s) => s.metadata.name === name) ??
      classes.find((s) => s.metadata.name === name);
    if (c === undefined) return forbidden('pods', podName, `no PriorityClass with name ${name} was found`);
    resolved = {
      priorityClassName: name,
      priority: c.value,
      preemptionPolicy: c.preemptionPolicy ?? 'PreemptLowerPriority',
    };
  }
  const given = pod.spec.priority;
  if (given !== undefined && given !== null && given !== resolved.priority)
    return forbidden(
      'pods',
      podName,
      `the integer value of priority (${given}) must not be provided in pod spec; priority admission controller computed ${resolved.priority} from the given PriorityClass name`,
    );
  const policy = pod.spec.preemptionPolicy;
  if (policy !== undefined && policy !== null && policy !== resolved.preemptionPolicy)
    return forbidden(
      'pods',
      podName,
      `the string value of PreemptionPolicy (${policy}) must not be provided in pod spec; priority admission controller computed ${resolved.preemptionPolicy} from the given PriorityClass name`,
    );
  return resolved;
}

/** Sets the resolved fields on a pod about to be created (mutates `pod`). */
export function applyPodPriority(pod: Pod, r: ResolvedPriority): void {
  if (r.priorityClassName !== undefined) pod.spec.priorityClassName = r.priorityClassName;
  pod.spec.priority = r.priority;
  pod.spec.preemptionPolicy = r.preemptionPolicy;
}

/**
 * On a pod update, the priority fields set at create are kept when the new body leaves them out
 * (`kubectl replace` of the original manifest); a body that changes them fails validation.
 */
export function preservePodPriority(next: Pod, old: Pod): void {
  if (typeof next.spec !== 'object' || next.spec === null) return;
  if (next.spec.priority === undefined && old.spec.priority !== undefined)
    next.spec.priority = old.spec.priority;
  if (next.spec.preemptionPolicy === undefined && old.spec.preemptionPolicy !== undefined)
    next.spec.preemptionPolicy = old.spec.preemptionPolicy;
}

/** A second globalDefault class is refused, as Kubernetes' admission does. */
export function checkGlobalDefault(
  pc: PriorityClass,
  existing: readonly PriorityClass[],
): StatusError | undefined {
  if (pc.globalDefault !== true) return undefined;
  const other = existing.find((c) => c.globalDefault === true && c.metadata.name !== pc.metadata.name);
  if (other === undefined) return undefined;
  return forbidden(
    PRIORITY_CLASSES,
    pc.metadata.name ?? '',
    `PriorityClass ${other.metadata.name ?? ''} is already marked as default. Only one default can exist`,
  );
}
