/**
 * The CronJob reconcile, with the clock passed in:
 *
 *   owned Jobs ─> status.active, lastSuccessfulTime; finished Jobs beyond the history limits deleted
 *   latest schedule time missed since lastScheduleTime (or creation), within startingDeadlineSeconds
 *     ─> Forbid: skip while one runs │ Replace: delete the running ones │ Allow
 *     ─> create Job `<cronjob>-<minutes since epoch>` (the name makes the create idempotent)
 *   requeue at the next schedule time
 */
import type { CronJob, Job } from '../../api/types/batch.ts';
import type { ObjectReference } from '../../api/types/core.ts';
import { jsonEqual } from '../../store/canonical-json.ts';
import { finishedCondition } from '../job/reconcile.ts';
import { type Action, event, mutable, type Reconciliation } from '../runtime/actions.ts';
import { CRONJOBS, JOBS } from '../runtime/client.ts';
import { parseTime, timestamp } from '../runtime/clock.ts';
import { controllerOf, controllerRef, creationTime, isDeleting } from '../runtime/objects.ts';
import { lastRunBetween, nextRun, parseCron } from './cron.ts';

export interface CronJobInput {
  readonly cronJob: CronJob;
  /** Jobs in the CronJob's namespace. */
  readonly jobs: readonly Job[];
  readonly now: number;
}

export const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

const jobRef = (j: Job): ObjectReference => ({
  kind: 'Job',
  namespace: j.metadata.namespace ?? '',
  name: j.metadata.name ?? '',
  uid: j.metadata.uid ?? '',
  apiVersion: 'batch/v1',
  resourceVersion: j.metadata.resourceVersion ?? '',
});

const deleteJob = (j: Job): Action => ({
  kind: 'delete',
  ref: JOBS,
  namespace: j.metadata.namespace ?? '',
  name: j.metadata.name ?? '',
  preconditions: { uid: j.metadata.uid ?? '' },
  propagationPolicy: 'Background',
});

export function reconcileCronJob(input: CronJobInput): Reconciliation {
  const { cronJob: cj, now } = input;
  const owned = input.jobs.filter((j) => controllerOf(j)?.uid === cj.metadata.uid);
  const actions: Action[] = [];
  const running = owned.filter((j) => finishedCondition(j) === undefined && !isDeleting(j));
  const succeeded = owned
    .filter((j) => finishedCondition(j)?.type === 'Complete')
    .sort((a, b) => creationTime(a) - creationTime(b));
  const failed = owned
    .filter((j) => finishedCondition(j)?.type === 'Failed')
    .sort((a, b) => creationTime(a) - creationTime(b));
  for (const [list, limit] of [
    [succeeded, cj.spec.successfulJobsHistoryLimit ?? 3],
    [failed, cj.spec.failedJobsHistoryLimit ?? 1],
  ] as const)
    for (const j of list.slice(0, Math.max(0, list.length - limit)))
      if (!isDeleting(j)) actions.push(deleteJob(j));

  const status = { ...cj.status };
  let lastSuccess = parseTime(status.lastSuccessfulTime) ?? 0;
  for (const j of succeeded) lastSuccess = Math.max(lastSuccess, parseTime(j.status?.completionTime) ?? 0);
  if (lastSuccess > 0) status.lastSuccessfulTime = timestamp(lastSuccess);
  let active = running.map(jobRef);

  let requeue: number | undefined;
  const schedule = parseCron(cj.spec.schedule);
  if ('kind' in schedule) {
    actions.push(
      event(
        cj,
        'Warning',
        'UnparseableSchedule',
        `unparseable schedule "${cj.spec.schedule}": ${schedule.message}`,
      ),
    );
  } else if (cj.spec.timeZone !== undefined && !['UTC', 'Etc/UTC'].includes(cj.spec.timeZone)) {
    actions.push(
      event(
        cj,
        'Warning',
        'UnknownTimeZone',
        `timeZone "${cj.spec.timeZone}" is not supported by kedge; use UTC`,
      ),
    );
  } else if (cj.spec.suspend !== true && !isDeleting(cj)) {
    const since = parseTime(status.lastScheduleTime) ?? creationTime(cj);
    const due = lastRunBetween(schedule, since, now);
    const deadline = cj.spec.startingDeadlineSeconds;
    if (due !== undefined && deadline !== undefined && due < now - deadline * 1000) {
      actions.push(
        event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${timestamp(due)}`),
      );
      status.lastScheduleTime = timestamp(due);
    } else if (due !== undefined) {
      const name = `${cj.metadata.name}-${Math.floor(due / 60_000)}`;
      const exists = input.jobs.some((j) => j.metadata.name === name);
      const policy = cj.spec.concurrencyPolicy ?? 'Allow';
      if (exists) status.lastScheduleTime = timestamp(due);
      else if (policy === 'Forbid' && running.length > 0) {
        // Wait: the run starts when the running one finishes, if still within the deadline.
        actions.push(
          event(
            cj,
            'Normal',
            'JobAlreadyActive',
            'Not starting job because prior execution is running and concurrency policy is Forbid',
          ),
        );
      } else {
        if (policy === 'Replace') {
          for (const j of running) actions.push(deleteJob(j));
          active = [];
        }
        const t = structuredClone(cj.spec.jobTemplate);
        const job: Job = {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: {
            name,
            namespace: cj.metadata.namespace ?? 'default',
            labels: { ...t.metadata?.labels },
            annotations: { ...t.metadata?.annotations, [SCHEDULED_TIMESTAMP]: timestamp(due) },
            ownerReferences: [controllerRef(cj, 'batch/v1', 'CronJob')],
          },
          spec: t.spec,
        };
        actions.push({ kind: 'create', ref: JOBS, object: job });
        actions.push(event(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`));
        status.lastScheduleTime = timestamp(due);
      }
    }
    const next = nextRun(schedule, now);
    if (next !== undefined) requeue = next - now;
  }
  if (active.length > 0) status.active = active;
  else delete status.active;
  if (!jsonEqual(status, cj.status ?? {})) {
    const next = mutable(cj);
    next.status = status;
    actions.push({ kind: 'updateStatus', ref: CRONJOBS, object: next });
  }
  return requeue === undefined ? { actions } : { actions, requeueAfterMs: requeue };
}
