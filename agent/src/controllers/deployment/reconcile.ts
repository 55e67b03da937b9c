/**
 * The Deployment reconcile, step by step as Kubernetes' deployment controller:
 *
 *   claim ReplicaSets ─> find the new RS (template equal ignoring the hash) and sync revisions
 *     ├ paused / replicas changed mid-rollout ─> scale only (proportionally)
 *     ├ Recreate ─> old RSs to 0 ─> wait for their pods to go ─> new RS to replicas
 *     └ RollingUpdate ─> new RS up to replicas+maxSurge ─> old RSs down keeping
 *                        replicas-maxUnavailable available (unhealthy old pods first)
 *   ─> history cleanup when complete ─> status + Progressing/Available conditions
 *
 * One step per reconcile: the ReplicaSets' status changes bring the next one.
 */
import { isEverything, selectorFromLabelSelector } from '../../api/label-selector.ts';
import type { Deployment, DeploymentStatus, ReplicaSet } from '../../api/types/apps.ts';
import type { Condition } from '../../api/types/meta.ts';
import type { Pod } from '../../api/types/pod.ts';
import { jsonEqual } from '../../store/canonical-json.ts';
import { type Action, event, mutable, type Reconciliation } from '../runtime/actions.ts';
import { DEPLOYMENTS, REPLICASETS } from '../runtime/client.ts';
import { controllerOf, controllerRef, isDeleting } from '../runtime/objects.ts';
import { claimObjects } from '../shared/ownership.ts';
import { condition, findCondition, REASON, setCondition } from './conditions.ts';
import { maxSurge, maxUnavailable, newRSReplicas, specReplicas, sumSpec, sumStatus } from './fenceposts.ts';
import {
  byCreation,
  DESIRED_REPLICAS,
  historyToDelete,
  MAX_REPLICAS,
  maxRevision,
  REVISION,
  REVISION_HISTORY,
  revisionOf,
} from './revisions.ts';
import { isScalingEvent, scaleDeployment } from './scaling.ts';
import { calculateStatus, deadlineAt, hasProgressDeadline, isComplete, rolloutStatus } from './status.ts';
import { DeploymentStep } from './step.ts';
import { equalIgnoringHash, POD_TEMPLATE_HASH, templateHash } from './template-hash.ts';

export interface DeploymentInput {
  readonly d: Deployment;
  /** Every ReplicaSet in the Deployment's namespace (owned, adoptable, or holding a name). */
  readonly replicaSets: readonly ReplicaSet[];
  /** Pods of the namespace (Recreate waits for old pods to be gone). */
  readonly pods: readonly Pod[];
  readonly now: number;
}

interface Sync {
  newRS: ReplicaSet | undefined;
  oldRSs: ReplicaSet[];
  conditions: Condition[];
  /** A name collision: status.collisionCount must move before anything else. */
  collision?: boolean;
}

export function reconcileDeployment(input: DeploymentInput): Reconciliation {
  const { d, now } = input;
  const selector = selectorFromLabelSelector(d.spec.selector);
  const ownedAll = input.replicaSets.filter((rs) => controllerOf(rs)?.uid === d.metadata.uid);
  if (isDeleting(d)) return finish(d, [], calculateStatus(d, ownedAll, newOf(d, ownedAll), now), now, false);
  if (isEverything(selector)) {
    const actions = [
      event(
        d,
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      ),
    ];
    return finish(d, actions, { ...d.status, observedGeneration: d.metadata.generation ?? 1 }, now, false);
  }
  const claim = claimObjects(
    d,
    controllerRef(d, 'apps/v1', 'Deployment'),
    selector,
    input.replicaSets,
    REPLICASETS,
  );
  const owned = claim.owned.sort(byCreation);
  const step = new DeploymentStep(d);
  const conditions = pausedConditions(d, now);
  const dv: Deployment = { ...d, status: { ...d.status, conditions } };
  const paused = d.spec.paused === true;
  const scaling = !paused && isScalingEvent(d, owned);
  const recreate = (d.spec.strategy?.type ?? 'RollingUpdate') === 'Recreate';
  // Recreate creates its new set only once the old pods are gone; paused and scaling never create.
  const sync = syncRevision(step, dv, owned, input.replicaSets, !paused && !scaling && !recreate, now);
  if (sync.collision) {
    const status = { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 };
    return finish(d, claim.actions, status, now, false);
  }
  dv.status = { ...dv.status, conditions: sync.conditions };
  let { newRS } = sync;
  const { oldRSs } = sync;

  if (paused || scaling) {
    scaleDeployment(step, newRS, oldRSs);
    if (paused) cleanup(step, dv, oldRSs);
    return finishStep(dv, claim.actions, step, newRS, oldRSs, now, false);
  }

  if (recreate) {
    let scaledDown = false;
    for (const rs of oldRSs)
      if (specReplicas(step.current(rs)) > 0) {
        step.scale(rs, 0);
        scaledDown = true;
      }
    if (scaledDown || oldPodsRunning(oldRSs, input.pods))
      return finishStep(dv, claim.actions, step, newRS, oldRSs, now, true);
    if (newRS === undefined) newRS = syncRevision(step, dv, owned, input.replicaSets, true, now).newRS;
    if (newRS !== undefined) step.scale(newRS, d.spec.replicas ?? 1);
    if (isComplete(d, d.status ?? {})) cleanup(step, dv, oldRSs);
    return finishStep(dv, claim.actions, step, newRS, oldRSs, now, true);
  }

  // RollingUpdate.
  if (newRS !== undefined) {
    const desired = d.spec.replicas ?? 1;
    const cur = specReplicas(step.current(newRS));
    const all = [...oldRSs, newRS].map((rs) => step.current(rs));
    if (cur > desired) step.scale(newRS, desired);
    else if (cur < desired) {
      const n = newRSReplicas(d, all, step.current(newRS));
      if (n !== cur) step.scale(newRS, n);
    }
    if (!step.scaled) scaleDownOld(step, d, oldRSs, newRS);
  }
  if (!step.scaled && isComplete(d, d.status ?? {})) cleanup(step, dv, oldRSs);
  return finishStep(dv, claim.actions, step, newRS, oldRSs, now, true);
}

function newOf(d: Deployment, rss: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoringHash(rs.spec.template, d.spec.template));
}

/** DeploymentPaused / DeploymentResumed, so that the deadline does not count a pause. */
function pausedConditions(d: Deployment, now: number): Condition[] {
  const conds = [...(d.status?.conditions ?? [])];
  if (!hasProgressDeadline(d)) return conds;
  const pausedNow = findCondition(conds, 'Progressing')?.reason === REASON.paused;
  if (d.spec.paused === true && !pausedNow)
    return setCondition(
      conds,
      condition('Progressing', 'Unknown', REASON.paused, 'Deployment is paused', now),
    );
  if (d.spec.paused !== true && pausedNow)
    return setCondition(
      conds,
      condition('Progressing', 'Unknown', REASON.resumed, 'Deployment is resumed', now),
    );
  return conds;
}

/** Finds or creates the new ReplicaSet and moves its revision past every old one. */
function syncRevision(
  step: DeploymentStep,
  d: Deployment,
  owned: readonly ReplicaSet[],
  inNamespace: readonly ReplicaSet[],
  create: boolean,
  now: number,
): Sync {
  const existing = newOf(d, owned);
  const oldRSs = owned.filter((rs) => rs !== existing);
  const newRevision = maxRevision(oldRSs) + 1;
  let conditions = [...(d.status?.conditions ?? [])];
  if (existing !== undefined) {
    const rev = revisionOf(existing);
    const minReady = d.spec.minReadySeconds ?? 0;
    if (rev < newRevision || (existing.spec.minReadySeconds ?? 0) !== minReady) {
      const w = step.edit(existing);
      const a = { ...w.metadata.annotations };
      if (rev < newRevision) {
        // Reused for a rollback: it becomes the newest revision, and remembers the one it had.
        a[REVISION] = String(newRevision);
        if (rev > 0) a[REVISION_HISTORY] = [a[REVISION_HISTORY], String(rev)].filter((x) => x).join(',');
      }
      w.metadata.annotations = a;
      w.spec.minReadySeconds = minReady;
    }
    if (hasProgressDeadline(d) && findCondition(conditions, 'Progressing') === undefined)
      conditions = setCondition(
        conditions,
        condition(
          'Progressing',
          'True',
          REASON.foundNewRS,
          `Found new replica set "${existing.metadata.name}"`,
          now,
        ),
      );
    return { newRS: existing, oldRSs, conditions };
  }
  if (!create) return { newRS: undefined, oldRSs, conditions };

  const hash = templateHash(d.spec.template, d.status?.collisionCount);
  const name = `${d.metadata.name}-${hash}`;
  if (inNamespace.some((rs) => rs.metadata.name === name))
    return { newRS: undefined, oldRSs, conditions, collision: true };
  const template = structuredClone(d.spec.template);
  template.metadata = {
    ...template.metadata,
    labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH]: hash },
  };
  const replicas = newRSReplicas(
    d,
    oldRSs.map((rs) => step.current(rs)),
    undefined,
  );
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: d.metadata.namespace ?? 'default',
      labels: { ...template.metadata.labels },
      annotations: {
        [REVISION]: String(newRevision),
        [DESIRED_REPLICAS]: String(d.spec.replicas ?? 1),
        [MAX_REPLICAS]: String((d.spec.replicas ?? 1) + maxSurge(d)),
      },
      ownerReferences: [controllerRef(d, 'apps/v1', 'Deployment')],
    },
    spec: {
      replicas: 0,
      minReadySeconds: d.spec.minReadySeconds ?? 0,
      selector: {
        ...d.spec.selector,
        matchLabels: { ...d.spec.selector.matchLabels, [POD_TEMPLATE_HASH]: hash },
      },
      template,
    },
  };
  step.create(rs);
  if (replicas > 0) step.scale(rs, replicas);
  if (hasProgressDeadline(d))
    conditions = setCondition(
      conditions,
      condition('Progressing', 'True', REASON.newRSCreated, `Created new replica set "${name}"`, now),
    );
  return { newRS: rs, oldRSs, conditions };
}

/** reconcileOldReplicaSets: unhealthy old replicas first, then healthy ones while availability allows. */
function scaleDownOld(
  step: DeploymentStep,
  d: Deployment,
  oldRSs: readonly ReplicaSet[],
  newRS: ReplicaSet,
): void {
  const cur = (rs: ReplicaSet) => step.current(rs);
  const old = oldRSs.map(cur);
  if (sumSpec(old) === 0) return;
  const all = [...old, cur(newRS)];
  const minAvailable = (d.spec.replicas ?? 1) - maxUnavailable(d);
  const newUnavailable = specReplicas(cur(newRS)) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = sumSpec(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return;
  const ordered = [...oldRSs].sort(byCreation);
  let cleaned = 0;
  for (const rs of ordered) {
    if (cleaned >= maxScaledDown) break;
    const spec = specReplicas(cur(rs));
    const unhealthy = spec - (rs.status?.availableReplicas ?? 0);
    if (spec === 0 || unhealthy <= 0) continue;
    const n = Math.min(maxScaledDown - cleaned, unhealthy);
    step.scale(rs, spec - n);
    cleaned += n;
  }
  const available = sumStatus(all, (rs) => rs.status?.availableReplicas);
  if (available <= minAvailable) return;
  const total = Math.min(available - minAvailable, maxScaledDown - cleaned);
  let done = 0;
  for (const rs of ordered) {
    if (done >= total) break;
    const spec = specReplicas(cur(rs));
    if (spec === 0) continue;
    const n = Math.min(spec, total - done);
    step.scale(rs, spec - n);
    done += n;
  }
}

function oldPodsRunning(oldRSs: readonly ReplicaSet[], pods: readonly Pod[]): boolean {
  if (sumStatus(oldRSs, (rs) => rs.status?.replicas) > 0) return true;
  const uids = new Set(oldRSs.map((rs) => rs.metadata.uid));
  return pods.some((p) => {
    const c = controllerOf(p);
    if (c === undefined || !uids.has(c.uid)) return false;
    return p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded';
  });
}

function cleanup(step: DeploymentStep, d: Deployment, oldRSs: readonly ReplicaSet[]): void {
  for (const rs of historyToDelete(
    d,
    oldRSs.map((x) => step.current(x)),
  ))
    step.events.push({
      kind: 'delete',
      ref: REPLICASETS,
      namespace: rs.metadata.namespace ?? '',
      name: rs.metadata.name ?? '',
      preconditions: { uid: rs.metadata.uid ?? '' },
    });
}

function finishStep(
  dv: Deployment,
  claimActions: readonly Action[],
  step: DeploymentStep,
  newRS: ReplicaSet | undefined,
  oldRSs: readonly ReplicaSet[],
  now: number,
  rollout: boolean,
): Reconciliation {
  const actions: Action[] = [...claimActions, ...step.actions()];
  const nrs = newRS === undefined ? undefined : step.current(newRS);
  const all = [...oldRSs.map((rs) => step.current(rs)), ...(nrs ? [nrs] : [])];
  // The Deployment carries its new ReplicaSet's revision (kubectl rollout history reads it).
  let wroteDeployment = false;
  if (nrs !== undefined) {
    const rev = nrs.metadata.annotations?.[REVISION];
    if (rev !== undefined && dv.metadata.annotations?.[REVISION] !== rev) {
      const next = mutable(dv);
      delete next.status;
      next.metadata.annotations = { ...next.metadata.annotations, [REVISION]: rev };
      actions.push({ kind: 'update', ref: DEPLOYMENTS, object: next });
      wroteDeployment = true;
    }
  }
  actions.push(...step.events);
  const status = rollout ? rolloutStatus(dv, all, nrs, now) : calculateStatus(dv, all, nrs, now);
  return finish(dv, actions, status, now, wroteDeployment);
}

function finish(
  d: Deployment,
  actions: readonly Action[],
  status: DeploymentStatus,
  now: number,
  wroteDeployment: boolean,
): Reconciliation {
  const out = [...actions];
  if (!jsonEqual(status, d.status ?? {})) {
    const next = mutable(d);
    next.status = status;
    // After our own metadata update the cached resourceVersion is stale; status is ours alone.
    if (wroteDeployment) delete next.metadata.resourceVersion;
    out.push({ kind: 'updateStatus', ref: DEPLOYMENTS, object: next });
  }
  const at = isComplete(d, status) ? undefined : deadlineAt(d, status);
  return at === undefined ? { actions: out } : { actions: out, requeueAfterMs: Math.max(0, at - now) + 1000 };
}
