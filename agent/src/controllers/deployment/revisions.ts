/** Revision bookkeeping: the `deployment.kubernetes.io/revision` annotation and history cleanup. */
import type { Deployment, ReplicaSet } from '../../api/types/apps.ts';
import type { KubeObject } from '../../api/types/meta.ts';
import { creationTime } from '../runtime/objects.ts';
import { specReplicas } from './fenceposts.ts';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';

export function revisionOf(o: KubeObject): number {
  const v = Number(o.metadata.annotations?.[REVISION] ?? '0');
  return Number.isInteger(v) && v > 0 ? v : 0;
}

export const maxRevision = (rss: readonly ReplicaSet[]): number =>
  rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);

export const byCreation = (a: KubeObject, b: KubeObject): number =>
  creationTime(a) - creationTime(b) || ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1);

/**
 * Old ReplicaSets beyond revisionHistoryLimit, oldest revision first, that are safe to delete:
 * scaled to zero, settled (status caught up with the spec) and not already going.
 */
export function historyToDelete(d: Deployment, oldRSs: readonly ReplicaSet[]): ReplicaSet[] {
  const limit = d.spec.revisionHistoryLimit ?? 10;
  const cleanable = oldRSs.filter((rs) => rs.metadata.deletionTimestamp === undefined);
  const diff = cleanable.length - limit;
  if (diff <= 0) return [];
  const sorted = [...cleanable].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
  const out: ReplicaSet[] = [];
  for (const rs of sorted.slice(0, diff)) {
    if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0) continue;
    if ((rs.metadata.generation ?? 1) > (rs.status?.observedGeneration ?? 0)) continue;
    out.push(rs);
  }
  return out;
}
