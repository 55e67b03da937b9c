/**
 * Deployment status as Kubernetes computes it (calculateStatus, syncRolloutStatus): counts summed
 * over the ReplicaSets, Available from maxUnavailable, Progressing from what moved since the last
 * status, and ProgressDeadlineExceeded once nothing moved for progressDeadlineSeconds.
 */
import type { Deployment, DeploymentStatus, ReplicaSet } from '../../api/types/apps.ts';
import { parseTime } from '../runtime/clock.ts';
import { condition, findCondition, REASON, removeCondition, setCondition } from './conditions.ts';
import { maxUnavailable, sumSpec, sumStatus } from './fenceposts.ts';

const NO_DEADLINE = 2147483647;

export const hasProgressDeadline = (d: Deployment): boolean =>
  d.spec.progressDeadlineSeconds !== undefined && d.spec.progressDeadlineSeconds !== NO_DEADLINE;

/** Counts and the Available condition. */
export function calculateStatus(
  d: Deployment,
  all: readonly ReplicaSet[],
  newRS: ReplicaSet | undefined,
  now: number,
): DeploymentStatus {
  const desired = d.spec.replicas ?? 1;
  const available = sumStatus(all, (rs) => rs.status?.availableReplicas);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 1,
    replicas: sumStatus(all, (rs) => rs.status?.replicas),
    updatedReplicas: newRS === undefined ? 0 : (newRS.status?.replicas ?? 0),
    readyReplicas: sumStatus(all, (rs) => rs.status?.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, sumSpec(all) - available),
    conditions: [...(d.status?.conditions ?? [])],
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  status.conditions =
    available >= desired - maxUnavailable(d)
      ? setCondition(
          status.conditions,
          condition('Available', 'True', REASON.minAvailable, 'Deployment has minimum availability.', now),
        )
      : setCondition(
          status.conditions,
          condition(
            'Available',
            'False',
            REASON.minUnavailable,
            'Deployment does not have minimum availability.',
            now,
          ),
        );
  return status;
}

/** DeploymentComplete: every replica updated and available, nothing old left. */
export function isComplete(d: Deployment, s: DeploymentStatus): boolean {
  const desired = d.spec.replicas ?? 1;
  return (
    (s.updatedReplicas ?? 0) === desired &&
    (s.replicas ?? 0) === desired &&
    (s.availableReplicas ?? 0) === desired &&
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 1)
  );
}

/** DeploymentProgressing: something moved compared with the stored status. */
function isProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** When the progress deadline falls (ms), if it is counting. */
export function deadlineAt(d: Deployment, s: DeploymentStatus): number | undefined {
  if (!hasProgressDeadline(d)) return undefined;
  const c = findCondition(s.conditions, 'Progressing');
  if (c === undefined || c.reason === REASON.newRSAvailable || c.reason === REASON.timedOut) return undefined;
  if (c.reason === REASON.paused) return undefined;
  const from = parseTime(c.lastUpdateTime);
  return from === undefined ? undefined : from + (d.spec.progressDeadlineSeconds ?? 600) * 1000;
}

/** The full status after a rollout step, with the Progressing condition. */
export function rolloutStatus(
  d: Deployment,
  all: readonly ReplicaSet[],
  newRS: ReplicaSet | undefined,
  now: number,
): DeploymentStatus {
  const s = calculateStatus(d, all, newRS, now);
  if (!hasProgressDeadline(d)) {
    s.conditions = removeCondition(s.conditions, 'Progressing');
    return s;
  }
  const cur = findCondition(s.conditions, 'Progressing');
  const completeBefore = s.replicas === s.updatedReplicas && cur?.reason === REASON.newRSAvailable;
  if (completeBefore) return s;
  const rsName = newRS?.metadata.name ?? '';
  if (isComplete(d, s)) {
    s.conditions = setCondition(
      s.conditions,
      condition(
        'Progressing',
        'True',
        REASON.newRSAvailable,
        `ReplicaSet "${rsName}" has successfully progressed.`,
        now,
      ),
    );
  } else if (isProgressing(d, s)) {
    const msg = newRS === undefined ? 'Deployment is progressing.' : `ReplicaSet "${rsName}" is progressing.`;
    const c = condition('Progressing', 'True', REASON.rsUpdated, msg, now);
    // Progress moves lastUpdateTime (the deadline restarts) but not lastTransitionTime.
    if (cur?.status === 'True' && cur.lastTransitionTime !== undefined)
      c.lastTransitionTime = cur.lastTransitionTime;
    s.conditions = [...removeCondition(s.conditions, 'Progressing'), c];
  } else {
    const at = deadlineAt(d, s);
    if (at !== undefined && at < now)
      s.conditions = setCondition(
        s.conditions,
        condition(
          'Progressing',
          'False',
          REASON.timedOut,
          `ReplicaSet "${rsName}" has timed out progressing.`,
          now,
        ),
      );
  }
  return s;
}
