/**
 * The ReplicaSet reconcile: claim pods (adopt matching orphans, release owned pods that stopped
 * matching), create or delete pods until the active count equals spec.replicas, and report
 * status (replicas, fullyLabeled, ready, available after minReadySeconds).
 *
 *   rs + pods in its namespace ─> claim ─> diff = active - replicas ─> create | delete ranked
 *                                                                   └> status (+ requeue at the
 *                                                                      next pod becoming available)
 */
import { matchesLabels, selectorFromLabelSelector } from '../../api/label-selector.ts';
import type { ReplicaSet, ReplicaSetStatus } from '../../api/types/apps.ts';
import type { Pod } from '../../api/types/pod.ts';
import { jsonEqual } from '../../store/canonical-json.ts';
import { type Action, event, mutable, type Reconciliation } from '../runtime/actions.ts';
import { PODS, REPLICASETS } from '../runtime/client.ts';
import {
  availableAt,
  controllerRef,
  isDeleting,
  isPodActive,
  isPodAvailable,
  isPodReady,
} from '../runtime/objects.ts';
import { generatedName } from '../shared/names.ts';
import { claimObjects } from '../shared/ownership.ts';
import { podFromTemplate } from '../shared/pod-template.ts';
import { deletionOrder } from './pod-ranking.ts';

/** Kubernetes' burstReplicas: at most this many creates or deletes per reconcile. */
export const BURST_REPLICAS = 500;

export interface ReplicaSetInput {
  readonly rs: ReplicaSet;
  /** Pods in the ReplicaSet's namespace that it owns or could adopt. */
  readonly pods: readonly Pod[];
  readonly now: number;
  readonly random: () => number;
}

export function reconcileReplicaSet(input: ReplicaSetInput): Reconciliation {
  const { rs, now } = input;
  const selector = selectorFromLabelSelector(rs.spec.selector);
  const claim = claimObjects(rs, controllerRef(rs, 'apps/v1', 'ReplicaSet'), selector, input.pods, PODS);
  const actions: Action[] = [...claim.actions];
  const active = claim.owned.filter(isPodActive);
  const want = rs.spec.replicas ?? 1;
  const minReady = rs.spec.minReadySeconds ?? 0;

  if (!isDeleting(rs)) {
    const diff = active.length - want;
    if (diff < 0) {
      const n = Math.min(-diff, BURST_REPLICAS);
      const ref = controllerRef(rs, 'apps/v1', 'ReplicaSet');
      for (let i = 0; i < n; i++) {
        const name = generatedName(rs.metadata.name ?? 'rs', input.random);
        actions.push({ kind: 'create', ref: PODS, object: podFromTemplate(rs.spec.template, rs, ref, name) });
      }
      for (const a of actions.slice(-n))
        if (a.kind === 'create')
          actions.push(event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${a.object.metadata.name}`));
    } else if (diff > 0) {
      const victims = deletionOrder(active).slice(0, Math.min(diff, BURST_REPLICAS));
      for (const p of victims)
        actions.push({
          kind: 'delete',
          ref: PODS,
          namespace: p.metadata.namespace ?? '',
          name: p.metadata.name ?? '',
          preconditions: { uid: p.metadata.uid ?? '' },
        });
      for (const p of victims)
        actions.push(event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`));
    }
  }

  const templateLabels = rs.spec.template?.metadata?.labels ?? {};
  const status: ReplicaSetStatus = {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) =>
      matchesLabels(selectorFromLabelSelector({ matchLabels: templateLabels }), p.metadata.labels),
    ).length,
    readyReplicas: active.filter(isPodReady).length,
    availableReplicas: active.filter((p) => isPodAvailable(p, minReady, now)).length,
    observedGeneration: rs.metadata.generation ?? 1,
  };
  if (rs.status?.conditions !== undefined) status.conditions = rs.status.conditions;
  if (!jsonEqual(status, rs.status ?? {})) {
    const next = mutable(rs);
    next.status = status;
    actions.push({ kind: 'updateStatus', ref: REPLICASETS, object: next });
  }

  // Look again when the next ready pod has been ready for minReadySeconds.
  let requeue: number | undefined;
  for (const p of active) {
    const at = availableAt(p, minReady);
    if (at !== undefined && at > now && (requeue === undefined || at - now < requeue)) requeue = at - now;
  }
  return requeue === undefined ? { actions } : { actions, requeueAfterMs: requeue };
}
