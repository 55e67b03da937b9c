/**
 * Which of a node's pods `kedge node drain` deletes, skips or refuses, with kubectl's rules and
 * wording (kubectl drain's filters): mirror pods are left alone; DaemonSet pods are refused
 * unless --ignore-daemonsets (their controller would put them back at once); pods no controller
 * owns are refused unless --force (nothing would recreate them); pods with emptyDir data are
 * refused unless --delete-emptydir-data; finished pods are always deleted. Pure.
 */
import type { Pod } from '../api.ts';

export interface DrainFlags {
  readonly ignoreDaemonsets: boolean;
  readonly force: boolean;
  readonly deleteEmptydirData: boolean;
}

export interface DrainPlan {
  /** Pods to delete, in the order given. */
  readonly delete: readonly Pod[];
  /** Warnings to print ("ignoring DaemonSet-managed Pods: ..."). */
  readonly warnings: readonly string[];
  /** Reasons the drain cannot go on (nothing is deleted then). */
  readonly errors: readonly string[];
}

export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

const key = (p: Pod) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name ?? ''}`;

export function planDrain(pods: readonly Pod[], flags: DrainFlags): DrainPlan {
  const remove: Pod[] = [];
  const daemonSet: string[] = [];
  const unmanaged: string[] = [];
  const localStorage: string[] = [];
  const refusedDaemonSet: string[] = [];
  const refusedUnmanaged: string[] = [];
  const refusedLocal: string[] = [];
  for (const pod of pods) {
    if (pod.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined) continue;
    // A pod already being deleted is only waited for.
    const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (finished || pod.metadata.deletionTimestamp !== undefined) {
      remove.push(pod);
      continue;
    }
    const controller = pod.metadata.ownerReferences?.find((o) => o.controller === true);
    if (controller?.kind === 'DaemonSet') {
      (flags.ignoreDaemonsets ? daemonSet : refusedDaemonSet).push(key(pod));
      continue;
    }
    let refused = false;
    if (controller === undefined) {
      if (flags.force) unmanaged.push(key(pod));
      else {
        refusedUnmanaged.push(key(pod));
        refused = true;
      }
    }
    if ((pod.spec.volumes ?? []).some((v) => v.emptyDir !== undefined)) {
      if (flags.deleteEmptydirData) localStorage.push(key(pod));
      else {
        refusedLocal.push(key(pod));
        refused = true;
      }
    }
    if (!refused) remove.push(pod);
  }
  const warnings: string[] = [];
  if (daemonSet.length > 0) warnings.push(`ignoring DaemonSet-managed Pods: ${daemonSet.join(', ')}`);
  if (unmanaged.length > 0)
    warnings.push(`deleting Pods that declare no controller: ${unmanaged.join(', ')}`);
  if (localStorage.length > 0) warnings.push(`deleting Pods with local storage: ${localStorage.join(', ')}`);
  const errors: string[] = [];
  if (refusedDaemonSet.length > 0)
    errors.push(
      `cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${refusedDaemonSet.join(', ')}`,
    );
  if (refusedUnmanaged.length > 0)
    errors.push(
      `cannot delete Pods that declare no controller (use --force to override): ${refusedUnmanaged.join(', ')}`,
    );
  if (refusedLocal.length > 0)
    errors.push(
      `cannot delete Pods with local storage (use --delete-emptydir-data to override): ${refusedLocal.join(', ')}`,
    );
  return { delete: remove, warnings, errors };
}

/** The grace period a pod's deletion asks for: --grace-period when >= 0, else the pod's own. */
export function graceSeconds(pod: Pod, flag: number): number {
  return flag >= 0 ? flag : (pod.spec.terminationGracePeriodSeconds ?? 30);
}
