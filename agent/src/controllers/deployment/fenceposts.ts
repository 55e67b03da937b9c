/**
 * Rolling-update arithmetic, as Kubernetes' deployment util: surge rounds up, unavailability
 * rounds down, and both 0 means one may be unavailable (or a rollout could never move).
 */
import type { Deployment, ReplicaSet } from '../../api/types/apps.ts';
import { scaledValue } from '../runtime/objects.ts';

export const isRollingUpdate = (d: Deployment): boolean =>
  (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

export function resolveFenceposts(d: Deployment): { surge: number; unavailable: number } {
  const desired = d.spec.replicas ?? 1;
  const ru = d.spec.strategy?.rollingUpdate;
  const surge = scaledValue(ru?.maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(ru?.maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxUnavailable(d: Deployment): number {
  const desired = d.spec.replicas ?? 1;
  if (!isRollingUpdate(d) || desired === 0) return 0;
  return Math.min(resolveFenceposts(d).unavailable, desired);
}

export function maxSurge(d: Deployment): number {
  return isRollingUpdate(d) ? resolveFenceposts(d).surge : 0;
}

export const specReplicas = (rs: ReplicaSet): number => rs.spec.replicas ?? 0;
export const sumSpec = (rss: readonly ReplicaSet[]): number => rss.reduce((n, rs) => n + specReplicas(rs), 0);
export const sumStatus = (rss: readonly ReplicaSet[], f: (rs: ReplicaSet) => number | undefined): number =>
  rss.reduce((n, rs) => n + (f(rs) ?? 0), 0);

/** How many replicas the new ReplicaSet may have now (NewRSNewReplicas). */
export function newRSReplicas(
  d: Deployment,
  all: readonly ReplicaSet[],
  newRS: ReplicaSet | undefined,
): number {
  const desired = d.spec.replicas ?? 1;
  if (!isRollingUpdate(d)) return desired;
  const current = newRS === undefined ? 0 : specReplicas(newRS);
  const maxTotal = desired + maxSurge(d);
  const total = sumSpec(all);
  if (total >= maxTotal) return current;
  return current + Math.min(maxTotal - total, desired - current);
}
