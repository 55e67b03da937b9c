import { describe, expect, it } from 'vitest';
import type { Deployment, Pod, ReplicaSet } from '../../../agent/src/api/index.ts';
import { deploymentController } from '../../../agent/src/controllers/deployment/controller.ts';
import { maxUnavailable, resolveFenceposts } from '../../../agent/src/controllers/deployment/fenceposts.ts';
import { reconcileDeployment } from '../../../agent/src/controllers/deployment/reconcile.ts';
import {
  fnv32a,
  POD_TEMPLATE_HASH,
  templateHash,
} from '../../../agent/src/controllers/deployment/template-hash.ts';
import { replicaSetController } from '../../../agent/src/controllers/replicaset/controller.ts';
import { DEPLOYMENTS, PODS, REPLICASETS } from '../../../agent/src/controllers/runtime/client.ts';
import { seededRandom } from '../../../agent/src/controllers/shared/names.ts';
import { deployment, NOW, stored } from './fixtures.ts';
import { readyPods, TestCluster } from './harness.ts';

/** kubectl's rollout status verdict (polymorphichelpers/rollout_status.go). */
function rolloutStatus(d: Deployment): string {
  const s = d.status ?? {};
  if ((d.metadata.generation ?? 0) > (s.observedGeneration ?? 0))
    return 'waiting for spec update to be observed';
  if (s.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded'))
    return 'exceeded its progress deadline';
  const want = d.spec.replicas ?? 1;
  if ((s.updatedReplicas ?? 0) < want)
    return `${s.updatedReplicas ?? 0} out of ${want} new replicas have been updated`;
  if ((s.replicas ?? 0) > (s.updatedReplicas ?? 0)) return 'old replicas are pending termination';
  if ((s.availableReplicas ?? 0) < (s.updatedReplicas ?? 0)) return 'updated replicas are available';
  return 'successfully rolled out';
}

describe('rolling update arithmetic', () => {
  it('rounds surge up and unavailability down, as Kubernetes', () => {
    const d = deployment('web', 10);
    expect(resolveFenceposts(d)).toEqual({ surge: 3, unavailable: 2 });
    const zero = deployment('web', 3, {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } },
    });
    expect(resolveFenceposts(zero)).toEqual({ surge: 0, unavailable: 1 });
    const recreate = deployment('web', 3, { strategy: { type: 'Recreate' } });
    expect(maxUnavailable(recreate)).toBe(0);
  });

  it('hashes templates with FNV-32a, stable across round trips, and moves with the collision count', () => {
    expect(fnv32a(new TextEncoder().encode(''))).toBe(0x811c9dc5);
    expect(fnv32a(new TextEncoder().encode('a'))).toBe(0xe40c292c);
    const d = deployment('web', 1);
    const h = templateHash(d.spec.template);
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    // kubectl rollout undo sends the old template with creationTimestamp: null and the hash label removed.
    const roundTrip = JSON.parse(JSON.stringify(d.spec.template));
    roundTrip.metadata.creationTimestamp = null;
    roundTrip.metadata.labels[POD_TEMPLATE_HASH] = h;
    expect(templateHash(roundTrip)).toBe(h);
    expect(templateHash(d.spec.template, 1)).not.toBe(h);
  });
});

describe('Deployment reconcile', () => {
  it('creates the first ReplicaSet <name>-<hash> at full size, revision 1, and says so', () => {
    const d = stored(deployment('web', 3));
    const r = reconcileDeployment({ d, replicaSets: [], pods: [], now: NOW });
    const create = r.actions.find((a) => a.kind === 'create');
    if (create?.kind !== 'create') throw new Error('no ReplicaSet created');
    const rs = create.object as ReplicaSet;
    const hash = templateHash(d.spec.template);
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.spec.replicas).toBe(3);
    expect(rs.spec.selector.matchLabels).toEqual({ app: 'web', [POD_TEMPLATE_HASH]: hash });
    expect(rs.spec.template?.metadata?.labels?.[POD_TEMPLATE_HASH]).toBe(hash);
    expect(rs.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    const dUpdate = r.actions.find((a) => a.kind === 'update');
    expect(
      dUpdate?.kind === 'update' &&
        dUpdate.object.metadata.annotations?.['deployment.kubernetes.io/revision'],
    ).toBe('1');
    const status = r.actions.find((a) => a.kind === 'updateStatus');
    const conds = status?.kind === 'updateStatus' ? (status.object as Deployment).status?.conditions : [];
    expect(conds?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetCreated',
    });
    expect(conds?.find((c) => c.type === 'Available')).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
    });
    expect(r.requeueAfterMs).toBe(601_000);
  });

  it('with maxUnavailable 0 and maxSurge 1, surges one new pod and keeps every old one until it is available', () => {
    const d = stored(
      deployment(
        'web',
        3,
        { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } },
        'web:2',
      ),
    );
    const old = stored<ReplicaSet>({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'web-old',
        namespace: 'default',
        annotations: {
          'deployment.kubernetes.io/revision': '1',
          'deployment.kubernetes.io/desired-replicas': '3',
        },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: 'web',
            uid: d.metadata.uid ?? '',
            controller: true,
          },
        ],
        labels: { app: 'web' },
      },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: deployment('web', 3).spec.template,
      },
      status: { replicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 },
    });
    const r1 = reconcileDeployment({ d, replicaSets: [old], pods: [], now: NOW });
    const created = r1.actions.find((a) => a.kind === 'create');
    expect(created?.kind === 'create' && (created.object as ReplicaSet).spec.replicas).toBe(1);
    expect(
      created?.kind === 'create' &&
        created.object.metadata.annotations?.['deployment.kubernetes.io/revision'],
    ).toBe('2');
    expect(r1.actions.some((a) => a.kind === 'update' && a.object.metadata.name === 'web-old')).toBe(false);

    // The new pod is not available yet: nothing may be scaled down.
    const newRS = stored({
      ...(created as unknown as { object: ReplicaSet }).object,
      status: { replicas: 1, readyReplicas: 0, availableReplicas: 0 },
    });
    const r2 = reconcileDeployment({ d, replicaSets: [old, newRS], pods: [], now: NOW });
    expect(
      r2.actions.filter((a) => (a.kind === 'update' || a.kind === 'create') && a.ref === REPLICASETS),
    ).toEqual([]);

    // Once it is available, one old replica goes.
    newRS.status = { replicas: 1, readyReplicas: 1, availableReplicas: 1 };
    const r3 = reconcileDeployment({ d, replicaSets: [old, newRS], pods: [], now: NOW });
    const down = r3.actions.find((a) => a.kind === 'update' && a.object.metadata.name === 'web-old');
    expect(down?.kind === 'update' && (down.object as ReplicaSet).spec.replicas).toBe(2);
  });

  it('reuses an old ReplicaSet whose template matches (rollback) and gives it the next revision', () => {
    const d = stored(deployment('web', 2));
    const hash = templateHash(d.spec.template);
    const rsOf = (name: string, rev: string, image: string, replicas: number): ReplicaSet =>
      stored<ReplicaSet>({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name,
          namespace: 'default',
          annotations: { 'deployment.kubernetes.io/revision': rev },
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              name: 'web',
              uid: d.metadata.uid ?? '',
              controller: true,
            },
          ],
          labels: { app: 'web' },
        },
        spec: {
          replicas,
          selector: { matchLabels: { app: 'web' } },
          template: {
            ...deployment('web', 2, {}, image).spec.template,
            metadata: { labels: { app: 'web', [POD_TEMPLATE_HASH]: name.slice(4) } },
          },
        },
        status: { replicas, readyReplicas: replicas, availableReplicas: replicas },
      });
    const v1 = rsOf(`web-${hash}`, '1', 'web:1', 0);
    const v2 = rsOf('web-other', '2', 'web:2', 2);
    const r = reconcileDeployment({ d, replicaSets: [v1, v2], pods: [], now: NOW });
    expect(r.actions.some((a) => a.kind === 'create')).toBe(false);
    const bumped = r.actions.find((a) => a.kind === 'update' && a.object.metadata.name === v1.metadata.name);
    expect(bumped?.kind === 'update' && bumped.object.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
    });
  });

  it('reports ProgressDeadlineExceeded when nothing moved for progressDeadlineSeconds', () => {
    const d = stored(deployment('web', 1, { progressDeadlineSeconds: 30 }));
    const created = reconcileDeployment({ d, replicaSets: [], pods: [], now: NOW });
    const st = created.actions.find((a) => a.kind === 'updateStatus');
    if (st?.kind !== 'updateStatus') throw new Error('no status');
    const c = created.actions.find((a) => a.kind === 'create');
    if (c?.kind !== 'create') throw new Error('no rs');
    d.status = (st.object as Deployment).status;
    const rs = stored({
      ...(c.object as ReplicaSet),
      status: { replicas: 1, readyReplicas: 0, availableReplicas: 0 },
    });
    d.status = { ...d.status, replicas: 1, updatedReplicas: 1 };
    const early = reconcileDeployment({ d, replicaSets: [rs], pods: [], now: NOW + 20_000 });
    expect(early.actions.filter((a) => a.kind === 'updateStatus')).toEqual([]);
    const late = reconcileDeployment({ d, replicaSets: [rs], pods: [], now: NOW + 31_000 });
    const s = late.actions.find((a) => a.kind === 'updateStatus');
    expect(s?.kind === 'updateStatus' && rolloutStatus(s.object as Deployment)).toBe(
      'exceeded its progress deadline',
    );
  });
});

async function cluster(readyDelayMs = 2_000) {
  const c = new TestCluster({ nodes: ['n1', 'n2', 'n3'], readyDelayMs });
  await c.start([deploymentController(), replicaSetController({ random: seededRandom(11) })]);
  return c;
}

const webPods = (c: TestCluster) => c.list<Pod>(PODS).filter((p) => p.metadata.labels?.app === 'web');

describe('Deployment loop with ReplicaSets, a fake scheduler and a fake kubelet', () => {
  it('rolls out a new template with maxUnavailable 0 never dropping below 3 ready pods, then rolls back reusing the old ReplicaSet', async () => {
    const c = await cluster();
    await c.create(
      DEPLOYMENTS,
      deployment('web', 3, {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      }),
    );
    await c.advance(5_000);
    let d = c.get<Deployment>(DEPLOYMENTS, 'default', 'web');
    expect(d && rolloutStatus(d)).toBe('successfully rolled out');
    const firstRS = c.list<ReplicaSet>(REPLICASETS)[0];
    expect(c.list<ReplicaSet>(REPLICASETS)).toHaveLength(1);

    await c.modify<Deployment>(DEPLOYMENTS, 'default', 'web', (x) => {
      const first = x.spec.template.spec.containers[0];
      if (first) first.image = 'web:2';
    });
    let minReady = 3;
    let maxPods = 0;
    await c.advance(30_000, 250, () => {
      minReady = Math.min(minReady, readyPods(webPods(c)).length);
      maxPods = Math.max(
        maxPods,
        webPods(c).filter((p) => p.metadata.deletionTimestamp === undefined).length,
      );
    });
    expect(minReady).toBe(3);
    expect(maxPods).toBe(4);
    d = c.get<Deployment>(DEPLOYMENTS, 'default', 'web');
    expect(d && rolloutStatus(d)).toBe('successfully rolled out');
    expect(d?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(webPods(c).every((p) => p.spec.containers[0]?.image === 'web:2')).toBe(true);
    expect(c.list<ReplicaSet>(REPLICASETS)).toHaveLength(2);

    // kubectl rollout undo: PATCH the template with the old ReplicaSet's (minus the hash label).
    const oldTemplate = structuredClone(
      c.get<ReplicaSet>(REPLICASETS, 'default', firstRS?.metadata.name ?? '')?.spec.template,
    );
    if (oldTemplate?.metadata?.labels) delete oldTemplate.metadata.labels[POD_TEMPLATE_HASH];
    await c.modify<Deployment>(DEPLOYMENTS, 'default', 'web', (x) => {
      if (oldTemplate)
        x.spec.template = { ...oldTemplate, metadata: { ...oldTemplate.metadata, creationTimestamp: null } };
    });
    minReady = 3;
    await c.advance(30_000, 250, () => {
      minReady = Math.min(minReady, readyPods(webPods(c)).length);
    });
    expect(minReady).toBe(3);
    expect(c.list<ReplicaSet>(REPLICASETS)).toHaveLength(2);
    const reused = c.get<ReplicaSet>(REPLICASETS, 'default', firstRS?.metadata.name ?? '');
    expect(reused?.spec.replicas).toBe(3);
    expect(reused?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    d = c.get<Deployment>(DEPLOYMENTS, 'default', 'web');
    expect(d?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    expect(d && rolloutStatus(d)).toBe('successfully rolled out');
    expect(webPods(c).every((p) => p.spec.containers[0]?.image === 'web:1')).toBe(true);
    expect(d?.status?.conditions?.find((x) => x.type === 'Progressing')?.reason).toBe(
      'NewReplicaSetAvailable',
    );
    expect(d?.status?.conditions?.find((x) => x.type === 'Available')?.status).toBe('True');
    expect(c.errors).toEqual([]);
    c.stop();
  });

  it('Recreate stops every old pod before the first new one starts', async () => {
    const c = await cluster(1_000);
    await c.create(DEPLOYMENTS, deployment('web', 2, { strategy: { type: 'Recreate' } }));
    await c.advance(3_000);
    await c.modify<Deployment>(DEPLOYMENTS, 'default', 'web', (x) => {
      const first = x.spec.template.spec.containers[0];
      if (first) first.image = 'web:2';
    });
    let mixed = false;
    await c.advance(10_000, 250, () => {
      const images = new Set(webPods(c).map((p) => p.spec.containers[0]?.image));
      if (images.size > 1) mixed = true;
    });
    expect(mixed).toBe(false);
    const d = c.get<Deployment>(DEPLOYMENTS, 'default', 'web');
    expect(d && rolloutStatus(d)).toBe('successfully rolled out');
    expect(webPods(c).map((p) => p.spec.containers[0]?.image)).toEqual(['web:2', 'web:2']);
    c.stop();
  });

  it('pause holds a template change; resume rolls it out; history is cut to revisionHistoryLimit', async () => {
    const c = await cluster(500);
    await c.create(DEPLOYMENTS, deployment('web', 2, { revisionHistoryLimit: 1 }));
    await c.advance(2_000);
    await c.modify<Deployment>(DEPLOYMENTS, 'default', 'web', (x) => {
      x.spec.paused = true;
      const first = x.spec.template.spec.containers[0];
      if (first) first.image = 'web:2';
    });
    await c.advance(5_000);
    expect(c.list<ReplicaSet>(REPLICASETS)).toHaveLength(1);
    let d = c.get<Deployment>(DEPLOYMENTS, 'default', 'web');
    expect(d?.status?.conditions?.find((x) => x.type === 'Progressing')?.reason).toBe('DeploymentPaused');
    for (const image of ['web:2', 'web:3']) {
      await c.modify<Deployment>(DEPLOYMENTS, 'default', 'web', (x) => {
        x.spec.paused = false;
        const first = x.spec.template.spec.containers[0];
        if (first) first.image = image;
      });
      await c.advance(10_000);
    }
    d = c.get<Deployment>(DEPLOYMENTS, 'default', 'web');
    expect(d && rolloutStatus(d)).toBe('successfully rolled out');
    // Revisions 1, 2, 3 existed; the limit keeps one old set besides the new one.
    const rss = c.list<ReplicaSet>(REPLICASETS);
    expect(rss.map((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision']).sort()).toEqual([
      '2',
      '3',
    ]);
    c.stop();
  });

  it('scaling mid-rollout spreads the change proportionally and finishes at the new size', async () => {
    const c = await cluster(3_000);
    await c.create(DEPLOYMENTS, deployment('web', 4));
    await c.advance(5_000);
    await c.modify<Deployment>(DEPLOYMENTS, 'default', 'web', (x) => {
      const first = x.spec.template.spec.containers[0];
      if (first) first.image = 'web:2';
    });
    await c.advance(500);
    await c.modify<Deployment>(DEPLOYMENTS, 'default', 'web', (x) => {
      x.spec.replicas = 8;
    });
    await c.advance(40_000);
    const d = c.get<Deployment>(DEPLOYMENTS, 'default', 'web');
    expect(d && rolloutStatus(d)).toBe('successfully rolled out');
    expect(readyPods(webPods(c))).toHaveLength(8);
    c.stop();
  });
});
