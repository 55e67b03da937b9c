/**
 * The DaemonSet reconcile: one pod on every eligible node, bound directly to it (kedge's
 * DaemonSets do not wait for the scheduler; eligibility is checked here), extra or misplaced pods
 * deleted, failed ones replaced, and a RollingUpdate that replaces old-revision pods while at most
 * maxUnavailable nodes lack an available pod.
 */
import { selectorFromLabelSelector } from '../../api/label-selector.ts';
import type { DaemonSet, DaemonSetStatus } from '../../api/types/apps.ts';
import type { Node } from '../../api/types/core.ts';
import type { Pod } from '../../api/types/pod.ts';
import { jsonEqual } from '../../store/canonical-json.ts';
import { templateHash } from '../deployment/template-hash.ts';
import { type Action, event, mutable, type Reconciliation } from '../runtime/actions.ts';
import { DAEMONSETS, PODS } from '../runtime/client.ts';
import {
  controllerRef,
  creationTime,
  isDeleting,
  isPodAvailable,
  isPodReady,
  isPodTerminal,
  scaledValue,
} from '../runtime/objects.ts';
import { generatedName } from '../shared/names.ts';
import { claimObjects } from '../shared/ownership.ts';
import { podFromTemplate } from '../shared/pod-template.ts';
import { DAEMON_TOLERATIONS, nodeShouldRunPod } from './eligibility.ts';

export const DS_REVISION_LABEL = 'controller-revision-hash';

export interface DaemonSetInput {
  readonly ds: DaemonSet;
  readonly nodes: readonly Node[];
  readonly pods: readonly Pod[];
  readonly now: number;
  readonly random: () => number;
}

const del = (p: Pod): Action => ({
  kind: 'delete',
  ref: PODS,
  namespace: p.metadata.namespace ?? '',
  name: p.metadata.name ?? '',
  preconditions: { uid: p.metadata.uid ?? '' },
});

export function reconcileDaemonSet(input: DaemonSetInput): Reconciliation {
  const { ds, now } = input;
  const claim = claimObjects(
    ds,
    controllerRef(ds, 'apps/v1', 'DaemonSet'),
    selectorFromLabelSelector(ds.spec.selector),
    input.pods,
    PODS,
  );
  const actions: Action[] = [...claim.actions];
  const hash = templateHash(ds.spec.template);
  const minReady = ds.spec.minReadySeconds ?? 0;
  const byNode = new Map<string, Pod[]>();
  for (const p of claim.owned) {
    if (isDeleting(p)) continue;
    const n = p.spec.nodeName ?? '';
    byNode.set(n, [...(byNode.get(n) ?? []), p]);
  }
  const eligible = input.nodes.filter((n) => nodeShouldRunPod(n, ds.spec.template.spec));
  const eligibleNames = new Set(eligible.map((n) => n.metadata.name ?? ''));
  const going = isDeleting(ds);
  let unavailable = 0;
  const old: Pod[] = [];
  for (const node of eligible) {
    const name = node.metadata.name ?? '';
    const pods = (byNode.get(name) ?? []).sort((a, b) => creationTime(a) - creationTime(b));
    const alive = pods.filter((p) => !isPodTerminal(p));
    for (const p of pods.filter(isPodTerminal)) if (!going) actions.push(del(p));
    if (alive.length === 0) {
      unavailable++;
      if (going) continue;
      const pod = podFromTemplate(
        ds.spec.template,
        ds,
        controllerRef(ds, 'apps/v1', 'DaemonSet'),
        generatedName(ds.metadata.name ?? 'ds', input.random),
      );
      pod.metadata.labels = { ...pod.metadata.labels, [DS_REVISION_LABEL]: hash };
      pod.spec.nodeName = name;
      pod.spec.tolerations = [...(pod.spec.tolerations ?? []), ...DAEMON_TOLERATIONS];
      actions.push({ kind: 'create', ref: PODS, object: pod });
      actions.push(event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`));
      continue;
    }
    for (const p of alive.slice(1)) actions.push(del(p));
    const keep = alive[0];
    if (keep === undefined) continue;
    if (!isPodAvailable(keep, minReady, now)) unavailable++;
    else if (keep.metadata.labels?.[DS_REVISION_LABEL] !== hash) old.push(keep);
  }
  let misscheduled = 0;
  for (const [node, pods] of byNode)
    if (!eligibleNames.has(node)) {
      misscheduled += pods.length;
      for (const p of pods) actions.push(del(p));
    }
  const rolling = (ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  if (rolling && !going) {
    const maxUnavailable = Math.max(
      1,
      scaledValue(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, eligible.length, true),
    );
    for (const p of old.slice(0, Math.max(0, maxUnavailable - unavailable))) actions.push(del(p));
  }

  const scheduled = eligible.filter((n) =>
    (byNode.get(n.metadata.name ?? '') ?? []).some((p) => !isPodTerminal(p)),
  );
  const pods = scheduled.flatMap((n) =>
    (byNode.get(n.metadata.name ?? '') ?? []).filter((p) => !isPodTerminal(p)).slice(0, 1),
  );
  const available = pods.filter((p) => isPodAvailable(p, minReady, now)).length;
  const status: DaemonSetStatus = {
    currentNumberScheduled: scheduled.length,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: eligible.length,
    numberReady: pods.filter(isPodReady).length,
    observedGeneration: ds.metadata.generation ?? 1,
    updatedNumberScheduled: pods.filter((p) => p.metadata.labels?.[DS_REVISION_LABEL] === hash).length,
    numberAvailable: available,
    numberUnavailable: eligible.length - available,
  };
  if (!jsonEqual(status, ds.status ?? {})) {
    const next = mutable(ds);
    next.status = status;
    actions.push({ kind: 'updateStatus', ref: DAEMONSETS, object: next });
  }
  return { actions };
}
