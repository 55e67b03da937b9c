/** Deployment conditions: the reasons `kubectl rollout status` and `describe` read. */
import type { Condition } from '../../api/types/meta.ts';
import { timestamp } from '../runtime/clock.ts';

export const REASON = {
  newRSCreated: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  rsUpdated: 'ReplicaSetUpdated',
  newRSAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minAvailable: 'MinimumReplicasAvailable',
  minUnavailable: 'MinimumReplicasUnavailable',
} as const;

export function condition(
  type: string,
  status: Condition['status'],
  reason: string,
  message: string,
  now: number,
): Condition {
  const t = timestamp(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export const findCondition = (conds: readonly Condition[] | undefined, type: string): Condition | undefined =>
  conds?.find((c) => c.type === type);

/**
 * SetDeploymentCondition: the same status and reason leaves the condition alone (lastUpdateTime
 * included, which is what the progress deadline counts from); the same status keeps its transition time.
 */
export function setCondition(conds: readonly Condition[] | undefined, c: Condition): Condition[] {
  const list = [...(conds ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  const cur = i < 0 ? undefined : list[i];
  if (cur !== undefined && cur.status === c.status && cur.reason === c.reason) return list;
  const next =
    cur !== undefined && cur.status === c.status ? { ...c, lastTransitionTime: cur.lastTransitionTime } : c;
  if (i < 0) list.push(next);
  else list[i] = next;
  return list;
}

export const removeCondition = (conds: readonly Condition[] | undefined, type: string): Condition[] =>
  (conds ?? []).filter((c) => c.type !== type);
