import { describe, expect, it } from 'vitest';
import type { CronJob, Job, Pod } from '../../../agent/src/api/index.ts';
import { applyDefaults } from '../../../agent/src/api/index.ts';
import { cronJobController } from '../../../agent/src/controllers/cronjob/controller.ts';
import { lastRunBetween, nextRun, parseCron } from '../../../agent/src/controllers/cronjob/cron.ts';
import { reconcileCronJob } from '../../../agent/src/controllers/cronjob/reconcile.ts';
import { garbageCollector } from '../../../agent/src/controllers/gc/controller.ts';
import { jobController } from '../../../agent/src/controllers/job/controller.ts';
import { reconcileJob } from '../../../agent/src/controllers/job/reconcile.ts';
import { CRONJOBS, JOBS, PODS } from '../../../agent/src/controllers/runtime/client.ts';
import { seededRandom } from '../../../agent/src/controllers/shared/names.ts';
import { NOW, pod, stored } from './fixtures.ts';
import { TestCluster } from './harness.ts';

const random = seededRandom(1);

function job(spec: Partial<Job['spec']> = {}): Job {
  const j: Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'work', namespace: 'default' },
    spec: {
      template: {
        metadata: { labels: { app: 'work' } },
        spec: { containers: [{ name: 'c', image: 'x' }], restartPolicy: 'Never' },
      },
      ...spec,
    },
  };
  applyDefaults('batch/jobs', j);
  j.spec.selector = { matchLabels: { app: 'work' } };
  return j;
}

describe('cron schedules', () => {
  it('parses the five fields with names, ranges, steps, lists and macros', () => {
    const s = parseCron('*/15 9-17 * * mon-fri');
    if ('kind' in s) throw new Error(s.message);
    const mon = Date.UTC(2026, 0, 5, 9, 7); // a Monday
    expect(new Date(nextRun(s, mon) ?? 0).toISOString()).toBe('2026-01-05T09:15:00.000Z');
    const fri = Date.UTC(2026, 0, 9, 17, 50);
    expect(new Date(nextRun(s, fri) ?? 0).toISOString()).toBe('2026-01-12T09:00:00.000Z');
    const daily = parseCron('@daily');
    if ('kind' in daily) throw new Error(daily.message);
    expect(lastRunBetween(daily, Date.UTC(2026, 0, 1, 1), Date.UTC(2026, 0, 3, 5))).toBe(
      Date.UTC(2026, 0, 3),
    );
    const either = parseCron('0 0 13 * 5'); // the 13th or a Friday
    if ('kind' in either) throw new Error(either.message);
    expect(new Date(nextRun(either, Date.UTC(2026, 0, 1)) ?? 0).toISOString()).toBe(
      '2026-01-02T00:00:00.000Z',
    );
    expect(parseCron('61 * * * *')).toMatchObject({ kind: 'Invalid' });
    expect(parseCron('* * *')).toMatchObject({ kind: 'Invalid' });
  });
});

describe('Job reconcile', () => {
  it('runs parallelism pods at a time until completions succeed', () => {
    const j = stored(job({ completions: 3, parallelism: 2 }));
    const r = reconcileJob({ job: j, pods: [], now: NOW, random });
    expect(r.actions.filter((a) => a.kind === 'create')).toHaveLength(2);
    const done = [
      pod('a', { owner: j, phase: 'Succeeded', labels: { app: 'work' } }),
      pod('b', { owner: j, phase: 'Succeeded', labels: { app: 'work' } }),
    ];
    const r2 = reconcileJob({ job: j, pods: done, now: NOW, random });
    expect(r2.actions.filter((a) => a.kind === 'create')).toHaveLength(1);
    const r3 = reconcileJob({
      job: j,
      pods: [...done, pod('c', { owner: j, phase: 'Succeeded', labels: { app: 'work' } })],
      now: NOW,
      random,
    });
    const st = r3.actions.find((a) => a.kind === 'updateStatus');
    expect(st?.kind === 'updateStatus' && (st.object as Job).status).toMatchObject({
      succeeded: 3,
      active: 0,
      conditions: [{ type: 'Complete', status: 'True' }],
    });
  });

  it('fails at the backoff limit and holds replacements back exponentially before that', () => {
    const j = stored(job({ backoffLimit: 2 }));
    const failedPod = (n: string, ago: number) => {
      const p = pod(n, { owner: j, phase: 'Failed', labels: { app: 'work' } });
      if (p.status)
        p.status.containerStatuses = [
          {
            name: 'c',
            ready: false,
            restartCount: 0,
            image: '',
            imageID: '',
            state: { terminated: { exitCode: 1, finishedAt: new Date(NOW - ago).toISOString() } },
          },
        ];
      return p;
    };
    const one = reconcileJob({ job: j, pods: [failedPod('a', 500)], now: NOW, random });
    expect(one.actions.filter((a) => a.kind === 'create')).toEqual([]);
    expect(one.requeueAfterMs).toBe(500);
    const two = reconcileJob({
      job: j,
      pods: [failedPod('a', 9_000), failedPod('b', 2_500)],
      now: NOW,
      random,
    });
    expect(two.actions.filter((a) => a.kind === 'create')).toHaveLength(1);
    const three = reconcileJob({
      job: j,
      pods: [failedPod('a', 9_000), failedPod('b', 8_000), failedPod('c', 10)],
      now: NOW,
      random,
    });
    const st = three.actions.find((a) => a.kind === 'updateStatus');
    expect(st?.kind === 'updateStatus' && (st.object as Job).status?.conditions?.[0]).toMatchObject({
      type: 'Failed',
      reason: 'BackoffLimitExceeded',
    });
  });

  it('fails past activeDeadlineSeconds and deletes its running pods', () => {
    const j = stored(job({ activeDeadlineSeconds: 10 }));
    j.status = { startTime: new Date(NOW - 11_000).toISOString().replace('.000Z', 'Z'), active: 1 };
    const r = reconcileJob({
      job: j,
      pods: [pod('a', { owner: j, node: 'n1', labels: { app: 'work' } })],
      now: NOW,
      random,
    });
    expect(r.actions.map((a) => a.kind)).toEqual(['delete', 'event', 'updateStatus']);
  });

  it('deletes a finished Job once ttlSecondsAfterFinished has passed', () => {
    const j = stored(job({ ttlSecondsAfterFinished: 30 }));
    j.status = {
      completionTime: new Date(NOW - 10_000).toISOString(),
      conditions: [{ type: 'Complete', status: 'True' }],
    };
    expect(reconcileJob({ job: j, pods: [], now: NOW, random }).requeueAfterMs).toBe(20_000);
    expect(reconcileJob({ job: j, pods: [], now: NOW + 20_000, random }).actions.map((a) => a.kind)).toEqual([
      'delete',
    ]);
  });
});

function cronJob(
  schedule: string,
  concurrencyPolicy: CronJob['spec']['concurrencyPolicy'] = 'Allow',
): CronJob {
  const cj: CronJob = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick', namespace: 'default' },
    spec: { schedule, concurrencyPolicy, jobTemplate: { spec: job().spec } },
  };
  applyDefaults('batch/cronjobs', cj);
  return cj;
}

describe('CronJob reconcile', () => {
  it('creates the due run once, named by its minute, and wakes for the next one', () => {
    const cj = stored(cronJob('*/5 * * * *'), NOW - 7 * 60_000);
    const r = reconcileCronJob({ cronJob: cj, jobs: [], now: NOW + 30_000 });
    const create = r.actions.find((a) => a.kind === 'create');
    expect(create?.kind === 'create' && create.object.metadata.name).toBe(`tick-${Math.floor(NOW / 60_000)}`);
    expect(r.requeueAfterMs).toBe(5 * 60_000 - 30_000);
  });

  it('Forbid waits for the running Job; Replace deletes it', () => {
    const forbid = stored(cronJob('* * * * *', 'Forbid'), NOW - 120_000);
    const running = stored<Job>({
      ...job(),
      metadata: {
        name: 'tick-old',
        namespace: 'default',
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'CronJob',
            name: 'tick',
            uid: forbid.metadata.uid ?? '',
            controller: true,
          },
        ],
      },
    });
    expect(
      reconcileCronJob({ cronJob: forbid, jobs: [running], now: NOW }).actions.some(
        (a) => a.kind === 'create',
      ),
    ).toBe(false);
    const replace = stored(cronJob('* * * * *', 'Replace'), NOW - 120_000);
    running.metadata.ownerReferences = [
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        name: 'tick',
        uid: replace.metadata.uid ?? '',
        controller: true,
      },
    ];
    expect(
      reconcileCronJob({ cronJob: replace, jobs: [running], now: NOW })
        .actions.map((a) => a.kind)
        .slice(0, 2),
    ).toEqual(['delete', 'create']);
  });
});

describe('Job and CronJob loop', () => {
  it('a Job completes; a failing Job stops at its backoff limit', async () => {
    const c = new TestCluster({
      nodes: ['n1'],
      finish: (p, ran) =>
        ran < 1_000 ? undefined : p.metadata.labels?.fate === 'fail' ? 'Failed' : 'Succeeded',
    });
    await c.start([jobController({ random: seededRandom(2) })]);
    await c.create(JOBS, {
      ...job({ completions: 2, parallelism: 1 }),
      metadata: { name: 'ok', namespace: 'default' },
    });
    const bad = job({ backoffLimit: 2 });
    bad.spec.template.metadata = { labels: { fate: 'fail' } };
    delete bad.spec.selector;
    await c.create(JOBS, { ...bad, metadata: { name: 'bad', namespace: 'default' } });
    await c.advance(30_000, 250);
    const ok = c.get<Job>(JOBS, 'default', 'ok');
    expect(ok?.status).toMatchObject({ succeeded: 2, conditions: [{ type: 'Complete', status: 'True' }] });
    const failed = c.get<Job>(JOBS, 'default', 'bad');
    expect(failed?.status?.conditions?.[0]).toMatchObject({ type: 'Failed', reason: 'BackoffLimitExceeded' });
    expect(failed?.status?.failed).toBe(3);
    expect(c.list<Pod>(PODS).filter((p) => p.metadata.labels?.fate === 'fail')).toHaveLength(3);
    c.stop();
  });

  it('a CronJob starts a Job every minute and keeps three successful ones', async () => {
    const c = new TestCluster({
      nodes: ['n1'],
      finish: (_p, ran) => (ran >= 2_000 ? 'Succeeded' : undefined),
    });
    await c.start([
      cronJobController(),
      jobController({ random: seededRandom(3) }),
      garbageCollector(c.client),
    ]);
    await c.create(CRONJOBS, cronJob('* * * * *'));
    await c.advance(5 * 60_000 + 10_000, 1_000);
    const jobs = c.list<Job>(JOBS);
    expect(jobs).toHaveLength(3);
    expect(jobs.every((j) => j.status?.conditions?.[0]?.type === 'Complete')).toBe(true);
    expect(c.get<CronJob>(CRONJOBS, 'default', 'tick')?.status?.lastScheduleTime).toBe(
      new Date(c.clock.now() - 10_000).toISOString().replace('.000Z', 'Z'),
    );
    c.stop();
  });
});
