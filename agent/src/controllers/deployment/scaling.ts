/**
 * Scaling a Deployment without a rollout step (paused, or replicas changed mid-rollout): the one
 * active ReplicaSet takes the new size; with several active, the change is spread in proportion
 * to their sizes (Kubernetes' proportional scaling), the rounding remainder going to the largest.
 */
import type { Deployment, ReplicaSet } from '../../api/types/apps.ts';
import { creationTime } from '../runtime/objects.ts';
import { maxSurge, specReplicas, sumSpec } from './fenceposts.ts';
import { DESIRED_REPLICAS, MAX_REPLICAS } from './revisions.ts';
import type { DeploymentStep } from './step.ts';

/** One active ReplicaSet, or the latest if none is active; undefined when several are active. */
function activeOrLatest(newRS: ReplicaSet | undefined, old: readonly ReplicaSet[]): ReplicaSet | undefined {
  const all = [...(newRS ? [newRS] : []), ...old];
  const active = all.filter((rs) => specReplicas(rs) > 0);
  if (active.length === 1) return active[0];
  if (active.length > 1) return undefined;
  if (newRS !== undefined) return newRS;
  return [...old].sort((a, b) => creationTime(b) - creationTime(a))[0];
}

/** Kubernetes' isScalingEvent: an active ReplicaSet was sized for a different replica count. */
export function isScalingEvent(d: Deployment, all: readonly ReplicaSet[]): boolean {
  const want = String(d.spec.replicas ?? 1);
  return all.some((rs) => {
    if (specReplicas(rs) === 0) return false;
    const desired = rs.metadata.annotations?.[DESIRED_REPLICAS];
    return desired !== undefined && desired !== want;
  });
}

function saturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (rs === undefined) return false;
  const desired = d.spec.replicas ?? 1;
  return (
    specReplicas(rs) === desired &&
    rs.metadata.annotations?.[DESIRED_REPLICAS] === String(desired) &&
    (rs.status?.availableReplicas ?? 0) === desired
  );
}

export function scaleDeployment(
  step: DeploymentStep,
  newRS: ReplicaSet | undefined,
  oldRSs: readonly ReplicaSet[],
): void {
  const d = step.d;
  const desired = d.spec.replicas ?? 1;
  const cur = (rs: ReplicaSet) => step.current(rs);
  const one = activeOrLatest(newRS && cur(newRS), oldRSs.map(cur));
  if (one !== undefined) {
    step.scale(one, desired);
    return;
  }
  if (saturated(d, newRS && cur(newRS))) {
    for (const rs of oldRSs) if (specReplicas(cur(rs)) > 0) step.scale(rs, 0);
    return;
  }
  if ((d.spec.strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return;
  const all = [...(newRS ? [newRS] : []), ...oldRSs].map(cur).filter((rs) => specReplicas(rs) > 0);
  const allowed = desired + maxSurge(d);
  const toAdd = allowed - sumSpec(all);
  if (toAdd === 0) return;
  // Grow the newest biggest first; shrink the oldest biggest first.
  const ordered = [...all].sort(
    (a, b) =>
      specReplicas(b) - specReplicas(a) ||
      (toAdd > 0 ? creationTime(b) - creationTime(a) : creationTime(a) - creationTime(b)),
  );
  let added = 0;
  const sizes = new Map<ReplicaSet, number>();
  for (const rs of ordered) {
    let proportion = 0;
    if (toAdd !== 0) {
      const annotated = Number(rs.metadata.annotations?.[MAX_REPLICAS] ?? d.status?.replicas ?? 0);
      const fraction =
        desired === 0 || annotated === 0
          ? -specReplicas(rs)
          : Math.round((specReplicas(rs) * allowed) / annotated) - specReplicas(rs);
      proportion = toAdd > 0 ? Math.min(fraction, toAdd - added) : Math.max(fraction, toAdd - added);
    }
    sizes.set(rs, specReplicas(rs) + proportion);
    added += proportion;
  }
  const first = ordered[0];
  if (first !== undefined && toAdd - added !== 0)
    sizes.set(first, Math.max(0, (sizes.get(first) ?? 0) + toAdd - added));
  for (const [rs, n] of sizes) step.scale(rs, Math.max(0, n));
}
