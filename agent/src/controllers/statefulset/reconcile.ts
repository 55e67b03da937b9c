/**
 * The StatefulSet reconcile: pods `<set>-<ordinal>` with stable hostnames under the governing
 * Service, one PVC per claim template and ordinal (`<claim>-<set>-<ordinal>`, not owned by the set,
 * so it outlives pods and rescheduling), and:
 *
 *   OrderedReady: create ordinal i only when 0..i-1 are Running and Ready; remove the highest first,
 *                 one at a time, only while the rest are healthy (Parallel: all at once)
 *   failed pods are deleted and recreated under the same name
 *   RollingUpdate: from the highest ordinal down to the partition, delete one pod whose revision is
 *                  not the update revision, once every pod is ready
 *   status: replicas, ready, current/updated, currentRevision/updateRevision, observedGeneration
 */
import { selectorFromLabelSelector } from '../../api/label-selector.ts';
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from '../../api/types/apps.ts';
import type { PersistentVolumeClaim } from '../../api/types/core.ts';
import type { Pod } from '../../api/types/pod.ts';
import { jsonEqual } from '../../store/canonical-json.ts';
import { templateHash } from '../deployment/template-hash.ts';
import { type Action, event, mutable, type Reconciliation } from '../runtime/actions.ts';
import { CONTROLLERREVISIONS, PODS, PVCS, STATEFULSETS } from '../runtime/client.ts';
import { controllerRef, isDeleting, isPodAvailable, isPodReady, isPodTerminal } from '../runtime/objects.ts';
import { claimObjects } from '../shared/ownership.ts';
import { podFromTemplate } from '../shared/pod-template.ts';

export const REVISION_LABEL = 'controller-revision-hash';
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export interface StatefulSetInput {
  readonly set: StatefulSet;
  readonly pods: readonly Pod[];
  readonly claims: readonly PersistentVolumeClaim[];
  readonly revisions: readonly ControllerRevision[];
  readonly now: number;
}

export function ordinalOf(set: StatefulSet, pod: Pod): number | undefined {
  const prefix = `${set.metadata.name}-`;
  const name = pod.metadata.name ?? '';
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

export const claimName = (claim: string, set: string, ordinal: number): string =>
  `${claim}-${set}-${ordinal}`;

const running = (p: Pod) => p.status?.phase === 'Running' && isPodReady(p) && !isDeleting(p);

function newPod(set: StatefulSet, ordinal: number, revision: string): Pod {
  const name = `${set.metadata.name}-${ordinal}`;
  const pod = podFromTemplate(set.spec.template, set, controllerRef(set, 'apps/v1', 'StatefulSet'), name);
  pod.metadata.labels = {
    ...pod.metadata.labels,
    [REVISION_LABEL]: revision,
    [POD_NAME_LABEL]: name,
    [POD_INDEX_LABEL]: String(ordinal),
  };
  pod.spec.hostname = name;
  if (set.spec.serviceName !== undefined && set.spec.serviceName !== '')
    pod.spec.subdomain = set.spec.serviceName;
  const volumes = (pod.spec.volumes ?? []).filter(
    (v) => !(set.spec.volumeClaimTemplates ?? []).some((t) => t.metadata.name === v.name),
  );
  for (const t of set.spec.volumeClaimTemplates ?? [])
    volumes.push({
      name: t.metadata.name ?? '',
      persistentVolumeClaim: {
        claimName: claimName(t.metadata.name ?? '', set.metadata.name ?? '', ordinal),
      },
    });
  if (volumes.length > 0) pod.spec.volumes = volumes;
  return pod;
}

export function reconcileStatefulSet(input: StatefulSetInput): Reconciliation {
  const { set, now } = input;
  const setName = set.metadata.name ?? '';
  const ns = set.metadata.namespace ?? 'default';
  const claim = claimObjects(
    set,
    controllerRef(set, 'apps/v1', 'StatefulSet'),
    selectorFromLabelSelector(set.spec.selector),
    input.pods,
    PODS,
  );
  const actions: Action[] = [...claim.actions];
  const replicas = set.spec.replicas ?? 1;
  const updateRevision = `${setName}-${templateHash(set.spec.template)}`;
  const currentRevision = set.status?.currentRevision ?? updateRevision;
  const byOrdinal = new Map<number, Pod>();
  for (const p of claim.owned) {
    const o = ordinalOf(set, p);
    if (o !== undefined) byOrdinal.set(o, p);
  }
  const parallel = set.spec.podManagementPolicy === 'Parallel';

  if (!input.revisions.some((r) => r.metadata.name === updateRevision)) {
    const revision = Math.max(0, ...input.revisions.map((r) => r.revision)) + 1;
    const cr: ControllerRevision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: updateRevision,
        namespace: ns,
        labels: {
          ...set.spec.template.metadata?.labels,
          [REVISION_LABEL]: updateRevision.slice(setName.length + 1),
        },
        ownerReferences: [controllerRef(set, 'apps/v1', 'StatefulSet')],
      },
      data: { spec: { template: { ...set.spec.template, $patch: 'replace' } } },
      revision,
    };
    actions.push({ kind: 'create', ref: CONTROLLERREVISIONS, object: cr });
  }

  if (!isDeleting(set)) {
    // Claims first: a pod must never start without its volume.
    for (let i = 0; i < replicas; i++)
      for (const t of set.spec.volumeClaimTemplates ?? []) {
        const name = claimName(t.metadata.name ?? '', setName, i);
        if (input.claims.some((c) => c.metadata.name === name)) continue;
        const pvc: PersistentVolumeClaim = {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name, namespace: ns, labels: { ...set.spec.selector.matchLabels } },
          spec: structuredClone(t.spec),
        };
        actions.push({ kind: 'create', ref: PVCS, object: pvc });
      }
    let blocked = false;
    for (let i = 0; i < replicas && !blocked; i++) {
      const p = byOrdinal.get(i);
      if (p === undefined) {
        actions.push({ kind: 'create', ref: PODS, object: newPod(set, i, updateRevision) });
        actions.push(
          event(
            set,
            'Normal',
            'SuccessfulCreate',
            `create Pod ${setName}-${i} in StatefulSet ${setName} successful`,
          ),
        );
        if (!parallel) blocked = true;
      } else if (isPodTerminal(p) && !isDeleting(p)) {
        actions.push({
          kind: 'delete',
          ref: PODS,
          namespace: ns,
          name: p.metadata.name ?? '',
          preconditions: { uid: p.metadata.uid ?? '' },
        });
        if (!parallel) blocked = true;
      } else if (!parallel && !running(p)) blocked = true;
    }
    // Scale down: highest ordinal first, and (OrderedReady) only when everything below is healthy.
    const extra = [...byOrdinal].filter(([o]) => o >= replicas).sort(([a], [b]) => b - a);
    const healthy = [...byOrdinal].filter(([o]) => o < replicas).every(([, p]) => running(p));
    for (const [, p] of parallel ? extra : extra.slice(0, 1)) {
      if (isDeleting(p)) continue;
      if (!parallel && !healthy) break;
      actions.push({
        kind: 'delete',
        ref: PODS,
        namespace: ns,
        name: p.metadata.name ?? '',
        preconditions: { uid: p.metadata.uid ?? '' },
      });
      actions.push(
        event(
          set,
          'Normal',
          'SuccessfulDelete',
          `delete Pod ${p.metadata.name} in StatefulSet ${setName} successful`,
        ),
      );
    }
    // Rolling update: one pod at a time from the highest ordinal, down to the partition.
    const rolling = (set.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const partition = set.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    const all = [...byOrdinal].filter(([o]) => o < replicas);
    if (
      rolling &&
      !blocked &&
      extra.length === 0 &&
      all.length === replicas &&
      all.every(([, p]) => running(p))
    ) {
      const stale = all
        .filter(([o, p]) => o >= partition && p.metadata.labels?.[REVISION_LABEL] !== updateRevision)
        .sort(([a], [b]) => b - a)[0];
      if (stale !== undefined) {
        const p = stale[1];
        actions.push({
          kind: 'delete',
          ref: PODS,
          namespace: ns,
          name: p.metadata.name ?? '',
          preconditions: { uid: p.metadata.uid ?? '' },
        });
      }
    }
  }

  const live = [...byOrdinal.values()].filter((p) => !isDeleting(p) && !isPodTerminal(p));
  const updated = live.filter((p) => p.metadata.labels?.[REVISION_LABEL] === updateRevision).length;
  const status: StatefulSetStatus = {
    observedGeneration: set.metadata.generation ?? 1,
    replicas: live.length,
    readyReplicas: live.filter(isPodReady).length,
    availableReplicas: live.filter((p) => isPodAvailable(p, set.spec.minReadySeconds ?? 0, now)).length,
    currentReplicas: live.filter((p) => p.metadata.labels?.[REVISION_LABEL] === currentRevision).length,
    updatedReplicas: updated,
    currentRevision: updated === replicas && live.length === replicas ? updateRevision : currentRevision,
    updateRevision,
  };
  if (status.currentRevision === updateRevision) status.currentReplicas = updated;
  if (set.status?.collisionCount !== undefined) status.collisionCount = set.status.collisionCount;
  if (!jsonEqual(status, set.status ?? {})) {
    const next = mutable(set);
    next.status = status;
    actions.push({ kind: 'updateStatus', ref: STATEFULSETS, object: next });
  }
  return { actions };
}
