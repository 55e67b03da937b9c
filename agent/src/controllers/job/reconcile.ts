/**
 * The Job reconcile (NonIndexed completion mode):
 *
 *   finished? ─> ttlSecondsAfterFinished: delete the Job when due
 *   claim pods ─> count active / succeeded / failed (failed includes OnFailure restarts)
 *   past activeDeadlineSeconds ─> Failed(DeadlineExceeded), active pods deleted
 *   failures > backoffLimit    ─> Failed(BackoffLimitExceeded), active pods deleted
 *   succeeded reached completions (or, without completions, one success and none active)
 *                              ─> Complete
 *   otherwise ─> active = min(parallelism, remaining), new pods held back after failures by an
 *                exponential back-off (base * 2^(failures-1), capped)
 */
import { selectorFromLabelSelector } from '../../api/label-selector.ts';
import type { Job, JobStatus } from '../../api/types/batch.ts';
import type { Condition } from '../../api/types/meta.ts';
import type { Pod } from '../../api/types/pod.ts';
import { jsonEqual } from '../../store/canonical-json.ts';
import { type Action, event, mutable, type Reconciliation, soonest } from '../runtime/actions.ts';
import { JOBS, PODS } from '../runtime/client.ts';
import { parseTime, timestamp } from '../runtime/clock.ts';
import { controllerRef, creationTime, isDeleting, isPodActive, isPodReady } from '../runtime/objects.ts';
import { generatedName } from '../shared/names.ts';
import { claimObjects } from '../shared/ownership.ts';
import { podFromTemplate } from '../shared/pod-template.ts';

export interface JobConfig {
  /** First delay before replacing a failed pod (Kubernetes: 10 s; kedge: 1 s, edge jobs are short). */
  readonly backoffBaseMs: number;
  /** Longest such delay (Kubernetes: 6 min; kedge: 60 s). */
  readonly backoffMaxMs: number;
}
export const DEFAULT_JOB_CONFIG: JobConfig = { backoffBaseMs: 1_000, backoffMaxMs: 60_000 };

export interface JobInput {
  readonly job: Job;
  readonly pods: readonly Pod[];
  readonly now: number;
  readonly random: () => number;
  readonly config?: JobConfig;
}

export const finishedCondition = (job: Job): Condition | undefined =>
  job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');

function finishedAt(p: Pod): number {
  let t = 0;
  for (const c of p.status?.containerStatuses ?? [])
    t = Math.max(t, parseTime(c.state?.terminated?.finishedAt) ?? 0);
  return t || creationTime(p);
}

const deleteAll = (pods: readonly Pod[]): Action[] =>
  pods.map((p) => ({
    kind: 'delete' as const,
    ref: PODS,
    namespace: p.metadata.namespace ?? '',
    name: p.metadata.name ?? '',
    preconditions: { uid: p.metadata.uid ?? '' },
  }));

export function reconcileJob(input: JobInput): Reconciliation {
  const { job, now } = input;
  const config = input.config ?? DEFAULT_JOB_CONFIG;
  const done = finishedCondition(job);
  if (done !== undefined) return afterFinish(job, done, now);
  if (isDeleting(job)) return { actions: [] };

  const claim = claimObjects(
    job,
    controllerRef(job, 'batch/v1', 'Job'),
    selectorFromLabelSelector(job.spec.selector),
    input.pods,
    PODS,
  );
  const actions: Action[] = [...claim.actions];
  const owned = claim.owned;
  const active = owned.filter(isPodActive);
  const succeededPods = owned.filter((p) => p.status?.phase === 'Succeeded');
  const failedPods = owned.filter((p) => p.status?.phase === 'Failed');
  const restarts =
    job.spec.template.spec.restartPolicy === 'OnFailure'
      ? active.reduce(
          (n, p) => n + (p.status?.containerStatuses ?? []).reduce((m, c) => m + (c.restartCount ?? 0), 0),
          0,
        )
      : 0;
  const succeeded = Math.max(job.status?.succeeded ?? 0, succeededPods.length);
  const failed = Math.max(job.status?.failed ?? 0, failedPods.length);
  const startTime = job.status?.startTime ?? timestamp(now);
  const start = parseTime(startTime) ?? now;
  const completions = job.spec.completions;
  const parallelism = job.spec.parallelism ?? 1;

  let conditions = [...(job.status?.conditions ?? [])];
  let finished: 'Complete' | 'Failed' | undefined;
  let wake: number | undefined;
  const deadline = job.spec.activeDeadlineSeconds;
  if (deadline !== undefined && start + deadline * 1000 <= now) {
    finished = 'Failed';
    conditions = [
      ...conditions,
      cond('Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline', now),
    ];
  } else if (failed + restarts > (job.spec.backoffLimit ?? 6)) {
    finished = 'Failed';
    conditions = [
      ...conditions,
      cond('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now),
    ];
  } else if (completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0) {
    finished = 'Complete';
    conditions = [
      ...conditions,
      cond('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods', now),
    ];
  }
  if (deadline !== undefined && finished === undefined) wake = start + deadline * 1000 - now;

  let activeCount = active.length;
  if (finished !== undefined) {
    actions.push(...deleteAll(active));
    activeCount = 0;
    actions.push(
      finished === 'Complete'
        ? event(job, 'Normal', 'Completed', 'Job completed')
        : event(
            job,
            'Warning',
            conditions[conditions.length - 1]?.reason ?? 'Failed',
            conditions[conditions.length - 1]?.message ?? '',
          ),
    );
  } else if (job.spec.suspend === true) {
    actions.push(...deleteAll(active));
    activeCount = 0;
  } else {
    const want =
      completions !== undefined
        ? Math.min(parallelism, completions - succeeded)
        : succeeded > 0
          ? 0
          : parallelism;
    if (active.length > want) {
      const extra = [...active]
        .sort((a, b) => creationTime(b) - creationTime(a))
        .slice(0, active.length - want);
      actions.push(...deleteAll(extra));
      activeCount = want;
    } else if (active.length < want) {
      const lastFailure = failedPods.reduce((t, p) => Math.max(t, finishedAt(p)), 0);
      const delay =
        failed === 0 ? 0 : Math.min(config.backoffMaxMs, config.backoffBaseMs * 2 ** (failed - 1));
      const allowedAt = lastFailure + delay;
      if (failed > 0 && allowedAt > now) wake = soonest(wake, allowedAt - now);
      else {
        const ref = controllerRef(job, 'batch/v1', 'Job');
        for (let i = active.length; i < want; i++) {
          const name = generatedName(job.metadata.name ?? 'job', input.random);
          actions.push({
            kind: 'create',
            ref: PODS,
            object: podFromTemplate(job.spec.template, job, ref, name),
          });
          actions.push(event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`));
        }
        activeCount = want;
      }
    }
  }

  const status: JobStatus = {
    ...job.status,
    startTime,
    active: activeCount,
    succeeded,
    failed,
    ready: active.filter(isPodReady).length,
    conditions,
  };
  if (finished === 'Complete') status.completionTime = timestamp(now);
  if (status.conditions?.length === 0) delete status.conditions;
  if (!jsonEqual(status, job.status ?? {})) {
    const next = mutable(job);
    next.status = status;
    actions.push({ kind: 'updateStatus', ref: JOBS, object: next });
  }
  return wake === undefined ? { actions } : { actions, requeueAfterMs: Math.max(0, wake) };
}

function cond(type: string, reason: string, message: string, now: number): Condition {
  const t = timestamp(now);
  return { type, status: 'True', reason, message, lastProbeTime: t, lastTransitionTime: t };
}

/** ttlSecondsAfterFinished: the finished Job (and, through GC, its pods) goes when due. */
function afterFinish(job: Job, done: Condition, now: number): Reconciliation {
  const ttl = job.spec.ttlSecondsAfterFinished;
  if (ttl === undefined || isDeleting(job)) return { actions: [] };
  const at = (parseTime(job.status?.completionTime ?? done.lastTransitionTime) ?? now) + ttl * 1000;
  if (at > now) return { actions: [], requeueAfterMs: at - now };
  return {
    actions: [
      {
        kind: 'delete',
        ref: JOBS,
        namespace: job.metadata.namespace ?? '',
        name: job.metadata.name ?? '',
        preconditions: { uid: job.metadata.uid ?? '' },
        propagationPolicy: 'Background',
      },
    ],
  };
}
