/**
 * The leader's controllers end to end on one real 3-agent cluster (`up`, real agent processes,
 * real podman): Jobs that complete and that fail at their backoffLimit, a StatefulSet whose
 * recreated pod finds its data in the local volume, a DaemonSet with one pod per node, and an HPA
 * that scales a Deployment out under a CPU burner and back in once the load stops.
 *
 * Every workload is created right after the cluster is up (beforeAll) so that they progress side
 * by side; each `it` then waits for its own outcome. Figures are printed at the end.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUSYBOX,
  isRunningReady,
  type LocalTestCluster,
  type PodView,
  startLocalCluster,
  waitFor,
} from './local-cluster-harness.ts';

let cluster: LocalTestCluster;
let loadStopFile: string;
const token = `t${process.pid}x${Date.now().toString(36)}`;
const figures: Record<string, number> = {};
/** Each workload's creation, awaited by its own test so that one failed create fails one test. */
const created: Record<string, Promise<number>> = {};

// A long-running container that stops at once on SIGTERM (sh as PID 1 ignores it otherwise).
const idle = 'trap "exit 0" TERM; while :; do sleep 1; done';
const container = (name: string, script: string, extra: object = {}) => ({
  name,
  image: BUSYBOX,
  command: ['sh', '-c', script],
  ...extra,
});
const meta = (name: string, labels: Record<string, string> = {}) => ({
  name,
  namespace: 'default',
  labels,
});

interface JobView {
  status?: {
    succeeded?: number;
    failed?: number;
    conditions?: { type: string; status: string; reason?: string }[];
  };
}

const job = (name: string, script: string, spec: object) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: meta(name),
  spec: {
    ...spec,
    template: {
      metadata: { labels: { 'job-test': name } },
      spec: { restartPolicy: 'Never', containers: [container('main', script)] },
    },
  },
});

const statefulSet = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: meta('vault'),
  spec: {
    serviceName: 'vault',
    replicas: 1,
    selector: { matchLabels: { app: 'vault' } },
    template: {
      metadata: { labels: { app: 'vault' } },
      spec: {
        terminationGracePeriodSeconds: 2,
        containers: [
          container(
            'main',
            `if [ -f /data/stamp ]; then echo "found $(cat /data/stamp)"; else echo "$TOKEN" > /data/stamp && echo "wrote $TOKEN"; fi; ${idle}`,
            {
              env: [{ name: 'TOKEN', value: token }],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
          ),
        ],
      },
    },
    volumeClaimTemplates: [
      {
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Mi' } } },
      },
    ],
  },
};

const daemonSet = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: meta('everywhere'),
  spec: {
    selector: { matchLabels: { app: 'everywhere' } },
    template: {
      metadata: { labels: { app: 'everywhere' } },
      spec: { terminationGracePeriodSeconds: 2, containers: [container('main', idle)] },
    },
  },
};

// Burns CPU until the test creates the stop file (a hostPath: every node is this machine), so
// "the load stops" is one file, not a new rollout. The limit keeps 3 burners from eating the box.
const burner = (stopDir: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: meta('burner'),
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'burner' } },
    template: {
      metadata: { labels: { app: 'burner' } },
      spec: {
        terminationGracePeriodSeconds: 2,
        volumes: [{ name: 'ctl', hostPath: { path: stopDir, type: 'Directory' } }],
        containers: [
          container('main', `trap "exit 0" TERM; while [ ! -e /ctl/stop ]; do :; done; ${idle}`, {
            resources: { requests: { cpu: '100m' }, limits: { cpu: '300m' } },
            volumeMounts: [{ name: 'ctl', mountPath: '/ctl' }],
          }),
        ],
      },
    },
  },
});

const SCALE_DOWN_WINDOW_SECONDS = 15;
const hpa = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: meta('burner'),
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'burner' },
    minReplicas: 1,
    maxReplicas: 3,
    metrics: [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
      },
    ],
    behavior: { scaleDown: { stabilizationWindowSeconds: SCALE_DOWN_WINDOW_SECONDS } },
  },
};

const summarise = (pods: PodView[]) =>
  JSON.stringify(
    pods.map((p) => ({
      name: p.metadata.name,
      node: p.spec.nodeName,
      phase: p.status?.phase,
      deleting: p.metadata.deletionTimestamp !== undefined,
    })),
  );

beforeAll(async () => {
  cluster = await startLocalCluster('wl');
  loadStopFile = path.join(cluster.dir, 'load', 'stop');
  await mkdir(path.dirname(loadStopFile), { recursive: true });
  const start = (name: string, ...objects: object[]) => {
    created[name] = (async () => {
      for (const o of objects) await cluster.create(o);
      return Date.now();
    })();
    // Each test awaits its own promise; this only keeps an early failure from being "unhandled".
    created[name].catch(() => undefined);
  };
  start('job', job('twice', 'echo done', { completions: 2, parallelism: 2 }));
  start('failing', job('doomed', 'exit 1', { backoffLimit: 1 }));
  start('statefulset', statefulSet);
  start('daemonset', daemonSet);
  start('hpa', burner(path.dirname(loadStopFile)), hpa);
}, 150_000);

afterAll(async () => {
  if (loadStopFile) await writeFile(loadStopFile, '').catch(() => undefined);
  await cluster?.stop();
  console.log('figures', JSON.stringify(figures));
}, 90_000);

describe('controllers on a real 3-agent cluster', () => {
  it('a Job with completions 2 and parallelism 2 completes', async () => {
    const t0 = await created.job!;
    const status = await waitFor(
      'Job twice reaching Complete',
      async () => {
        const j = await cluster.getJson<JobView>('job', 'twice');
        return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')
          ? j.status
          : undefined;
      },
      60_000,
      async () => JSON.stringify((await cluster.getJson<JobView>('job', 'twice')).status),
    );
    figures.jobCompleteMs = Date.now() - t0;
    expect(status.succeeded, 'both completions succeeded').toBe(2);
    expect(status.failed ?? 0, 'no pod failed').toBe(0);
    const pods = await cluster.pods('job-test=twice');
    expect(pods.map((p) => p.status?.phase).sort(), summarise(pods)).toEqual(['Succeeded', 'Succeeded']);
    expect((await cluster.kubectl('logs', pods[0]!.metadata.name)).trim()).toBe('done');
  });

  it('a Job whose pod exits 1 stops at backoffLimit 1 with Failed/BackoffLimitExceeded', async () => {
    const t0 = await created.failing!;
    const status = await waitFor(
      'Job doomed reaching Failed',
      async () => {
        const j = await cluster.getJson<JobView>('job', 'doomed');
        return j.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True')
          ? j.status
          : undefined;
      },
      60_000,
      async () => JSON.stringify((await cluster.getJson<JobView>('job', 'doomed')).status),
    );
    figures.jobFailedMs = Date.now() - t0;
    const failed = status.conditions?.find((c) => c.type === 'Failed');
    expect(failed?.reason).toBe('BackoffLimitExceeded');
    // backoffLimit 1: the first failure is retried once, the second one ends the Job.
    expect(status.failed, 'failed pods counted').toBe(2);
    await new Promise((r) => setTimeout(r, 3000));
    const pods = await cluster.pods('job-test=doomed');
    expect(pods.length, `no pod started after the Job failed: ${summarise(pods)}`).toBe(2);
    expect(
      pods.every((p) => p.status?.phase === 'Failed'),
      summarise(pods),
    ).toBe(true);
  });

  it("a StatefulSet's recreated pod finds the data its predecessor wrote into the claimed volume", async () => {
    await created.statefulset;
    const first = await waitFor(
      'vault-0 Running',
      async () =>
        (await cluster.pods('app=vault')).find((p) => p.metadata.name === 'vault-0' && isRunningReady(p)),
      60_000,
      async () => summarise(await cluster.pods('app=vault')),
    );
    await waitFor(
      'vault-0 writing its stamp',
      async () => ((await cluster.kubectl('logs', 'vault-0')).includes(`wrote ${token}`) ? true : undefined),
      20_000,
      () => cluster.kubectl('logs', 'vault-0'),
    );
    const claim = first.spec.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName;
    expect(claim, 'the pod mounts the claim from the template').toBe('data-vault-0');

    const deletedAt = Date.now();
    await cluster.kubectl('delete', 'pod', 'vault-0', '--wait=false');
    const second = await waitFor(
      'a new vault-0 Running',
      async () =>
        (await cluster.pods('app=vault')).find(
          (p) => p.metadata.name === 'vault-0' && p.metadata.uid !== first.metadata.uid && isRunningReady(p),
        ),
      60_000,
      async () => summarise(await cluster.pods('app=vault')),
    );
    figures.statefulPodRecreatedMs = Date.now() - deletedAt;
    expect(second.spec.nodeName, 'the local volume pins the pod to its node').toBe(first.spec.nodeName);
    const logs = await waitFor(
      'the new vault-0 logging what it found',
      async () => {
        const out = await cluster.kubectl('logs', 'vault-0');
        return out.trim() === '' ? undefined : out;
      },
      20_000,
    );
    expect(logs.trim(), 'the recreated pod saw the file its predecessor wrote').toBe(`found ${token}`);
  });

  it('a DaemonSet runs exactly one pod on every node', async () => {
    await created.daemonset;
    const pods = await waitFor(
      'one running DaemonSet pod per node',
      async () => {
        const running = (await cluster.pods('app=everywhere')).filter(isRunningReady);
        return running.length === cluster.nodeNames.length ? running : undefined;
      },
      60_000,
      async () => summarise(await cluster.pods('app=everywhere')),
    );
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual([...cluster.nodeNames].sort());
    // Settled: no extra pods appear a moment later.
    await new Promise((r) => setTimeout(r, 2000));
    const again = (await cluster.pods('app=everywhere')).filter(
      (p) => p.metadata.deletionTimestamp === undefined,
    );
    expect(again.length, summarise(again)).toBe(cluster.nodeNames.length);
  });

  it('an HPA scales a Deployment out under CPU load and back in after the load stops', async () => {
    const t0 = await created.hpa!;
    const replicas = async () =>
      (await cluster.getJson<{ spec: { replicas?: number } }>('deployment', 'burner')).spec.replicas ?? 1;
    const hpaStatus = async () =>
      JSON.stringify(
        (await cluster.getJson<{ status?: unknown }>('hpa', 'burner')).status ??
          'none (no HPA controller wrote a status: does the leader run one? it needs a MetricsSource)',
      );
    // The controller evaluates every 15 s; a status within 45 s shows that one runs at all.
    await waitFor(
      'the HPA controller writing the HPA status',
      async () =>
        (await cluster.getJson<{ status?: { conditions?: unknown[] } }>('hpa', 'burner')).status?.conditions
          ? true
          : undefined,
      45_000,
      hpaStatus,
    );
    const out = await waitFor(
      'the HPA scaling burner out (spec.replicas > 1)',
      async () => {
        const n = await replicas();
        return n > 1 ? n : undefined;
      },
      75_000,
      hpaStatus,
    );
    figures.hpaScaleOutMs = Date.now() - t0;
    expect(out).toBeLessThanOrEqual(3);
    await waitFor(
      `${out} burner pods Running`,
      async () =>
        (await cluster.pods('app=burner')).filter(isRunningReady).length >= out ? true : undefined,
      60_000,
      async () => summarise(await cluster.pods('app=burner')),
    );

    await writeFile(loadStopFile, '');
    const stoppedAt = Date.now();
    await waitFor(
      `the HPA scaling burner back in to 1 (scale-down window ${SCALE_DOWN_WINDOW_SECONDS} s)`,
      async () => ((await replicas()) === 1 ? true : undefined),
      90_000,
      hpaStatus,
    );
    figures.hpaScaleInAfterLoadStopMs = Date.now() - stoppedAt;
  }, 240_000);
});
