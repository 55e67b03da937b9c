/**
 * Deployment revisions from its ReplicaSets (the `deployment.kubernetes.io/revision` annotation),
 * for `rollout history` and `rollout undo`, as kubectl's rollback.go. Pure.
 */
import type { Deployment, PodTemplateSpec, ReplicaSet } from '../api.ts';
import { jsonEqual } from '../apply/three-way.ts';
import { failed } from '../errors.ts';

export const REVISION = 'deployment.kubernetes.io/revision';
export const CHANGE_CAUSE = 'kubernetes.io/change-cause';

export interface Revision {
  readonly revision: number;
  readonly replicaSet: ReplicaSet;
}

/** The ReplicaSets this Deployment controls, by revision (oldest first). */
export function revisions(d: Deployment, replicaSets: readonly ReplicaSet[]): Revision[] {
  return replicaSets
    .filter((rs) => rs.metadata.ownerReferences?.some((r) => r.controller && r.uid === d.metadata.uid))
    .map((rs) => ({ revision: Number(rs.metadata.annotations?.[REVISION] ?? 0), replicaSet: rs }))
    .filter((r) => Number.isInteger(r.revision) && r.revision > 0)
    .sort((a, b) => a.revision - b.revision);
}

/** The history table: REVISION and CHANGE-CAUSE. */
export function historyRows(revs: readonly Revision[]): string[][] {
  return revs.map((r) => [String(r.revision), r.replicaSet.metadata.annotations?.[CHANGE_CAUSE] ?? '<none>']);
}

/** A template without the pod-template-hash label the controller adds. */
export function withoutHash(t: PodTemplateSpec | undefined): PodTemplateSpec {
  const copy = structuredClone(t ?? {}) as PodTemplateSpec;
  if (copy.metadata?.labels) {
    delete copy.metadata.labels['pod-template-hash'];
  }
  return copy;
}

export type UndoPlan =
  | { readonly kind: 'skip'; readonly message: string }
  | { readonly kind: 'patch'; readonly patch: unknown[]; readonly revision: number };

/**
 * The JSON patch that rolls `d` back to `toRevision` (0: the one before the current), replacing
 * the template and the annotations as kubectl does.
 */
export function undoPlan(d: Deployment, revs: readonly Revision[], toRevision: number): UndoPlan {
  const name = d.metadata.name ?? '';
  if (d.spec.paused)
    throw failed(
      `you cannot rollback a paused deployment; resume it first with 'kedge rollout resume deployment/${name}' and try again`,
    );
  let target: Revision | undefined;
  if (toRevision > 0) {
    target = revs.find((r) => r.revision === toRevision);
    if (!target) throw failed(`unable to find specified revision ${toRevision} in history`);
  } else {
    if (revs.length < 2) throw failed(`no rollout history found for deployment "${name}"`);
    target = revs[revs.length - 2];
  }
  if (!target) throw failed(`no rollout history found for deployment "${name}"`);
  const template = withoutHash(target.replicaSet.spec.template);
  if (jsonEqual(withoutHash(d.spec.template), template))
    return {
      kind: 'skip',
      message: `deployment.apps/${name} skipped rollback (current template already matches revision ${target.revision})`,
    };
  const annotations = { ...(d.metadata.annotations ?? {}) };
  const cause = target.replicaSet.metadata.annotations?.[CHANGE_CAUSE];
  if (cause !== undefined) annotations[CHANGE_CAUSE] = cause;
  else delete annotations[CHANGE_CAUSE];
  return {
    kind: 'patch',
    revision: target.revision,
    patch: [
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ],
  };
}
