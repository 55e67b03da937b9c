import { describe, expect, it } from 'vitest';
import type { Deployment, KubeObject, Namespace, Pod, ReplicaSet } from '../../../agent/src/api/index.ts';
import { deploymentController } from '../../../agent/src/controllers/deployment/controller.ts';
import { garbageCollector } from '../../../agent/src/controllers/gc/controller.ts';
import { reconcileGarbage } from '../../../agent/src/controllers/gc/reconcile.ts';
import { namespaceController } from '../../../agent/src/controllers/namespace/controller.ts';
import { replicaSetController } from '../../../agent/src/controllers/replicaset/controller.ts';
import { DEPLOYMENTS, NAMESPACES, PODS, REPLICASETS } from '../../../agent/src/controllers/runtime/client.ts';
import { seededRandom } from '../../../agent/src/controllers/shared/names.ts';
import { deployment, pod, replicaSet } from './fixtures.ts';
import { TestCluster } from './harness.ts';

const CONFIGMAPS_FOR_TEST = { group: '', resource: 'configmaps' } as const;

describe('garbage collection reconcile', () => {
  it('deletes an object whose only owner is gone, and only drops the dangling reference when another owner lives', () => {
    const rs = replicaSet('web-1', 1);
    const p = pod('p', { owner: rs });
    const gone = reconcileGarbage({
      item: { ref: PODS, object: p },
      owners: new Map([[rs.metadata.uid ?? '', { present: false }]]),
      dependants: [],
    });
    expect(gone.actions).toEqual([
      {
        kind: 'delete',
        ref: PODS,
        namespace: 'default',
        name: 'p',
        preconditions: { uid: p.metadata.uid },
        propagationPolicy: 'Background',
      },
    ]);
    const other = replicaSet('other', 1);
    const two = structuredClone(p);
    two.metadata.ownerReferences?.push({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: 'other',
      uid: other.metadata.uid ?? '',
    });
    const some = reconcileGarbage({
      item: { ref: PODS, object: two },
      owners: new Map([
        [rs.metadata.uid ?? '', { present: false }],
        [other.metadata.uid ?? '', { present: true, object: other }],
      ]),
      dependants: [],
    });
    const upd = some.actions[0];
    expect(upd?.kind === 'update' && upd.object.metadata.ownerReferences?.map((r) => r.name)).toEqual([
      'other',
    ]);
  });

  it('foreground: deletes dependants first and keeps the finalizer while a blocking one remains', () => {
    const rs = replicaSet('web-1', 1);
    rs.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    rs.metadata.finalizers = ['foregroundDeletion'];
    const p = pod('p', { owner: rs });
    const r = reconcileGarbage({
      item: { ref: REPLICASETS, object: rs },
      owners: new Map(),
      dependants: [{ ref: PODS, object: p }],
    });
    expect(r.actions.map((a) => a.kind)).toEqual(['delete']);
    expect(r.actions[0]?.kind === 'delete' && r.actions[0].propagationPolicy).toBe('Foreground');
    const done = reconcileGarbage({
      item: { ref: REPLICASETS, object: rs },
      owners: new Map(),
      dependants: [],
    });
    expect(done.actions[0]?.kind === 'update' && done.actions[0].object.metadata.finalizers).toEqual([]);
  });

  it('orphan: frees every dependant before the finalizer comes off', () => {
    const rs = replicaSet('web-1', 1);
    rs.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    rs.metadata.finalizers = ['orphan'];
    const r = reconcileGarbage({
      item: { ref: REPLICASETS, object: rs },
      owners: new Map(),
      dependants: [{ ref: PODS, object: pod('p', { owner: rs }) }],
    });
    expect(r.actions).toHaveLength(1);
    expect(r.actions[0]?.kind === 'update' && r.actions[0].object.metadata.ownerReferences).toBeUndefined();
  });
});

async function cluster() {
  const c = new TestCluster({ nodes: ['n1'] });
  await c.start([
    deploymentController(),
    replicaSetController({ random: seededRandom(5) }),
    garbageCollector(c.client),
    namespaceController(),
  ]);
  await c.create(DEPLOYMENTS, deployment('web', 2));
  await c.advance(2_000);
  expect(c.list<Pod>(PODS)).toHaveLength(2);
  return c;
}

describe('garbage collection loop', () => {
  it('background: deleting a Deployment removes its ReplicaSets and pods', async () => {
    const c = await cluster();
    await c.client.delete(DEPLOYMENTS, 'default', 'web', { propagationPolicy: 'Background' });
    await c.advance(2_000);
    expect(c.list<ReplicaSet>(REPLICASETS)).toEqual([]);
    expect(c.list<Pod>(PODS)).toEqual([]);
    expect(c.errors).toEqual([]);
    c.stop();
  });

  it('foreground: the Deployment stays, marked, until its ReplicaSets and pods are gone', async () => {
    const c = await cluster();
    await c.client.delete(DEPLOYMENTS, 'default', 'web', { propagationPolicy: 'Foreground' });
    const seen: string[] = [];
    const sawDeploymentWithoutPods = () => {
      const d = c.get<Deployment>(DEPLOYMENTS, 'default', 'web');
      if (d) seen.push(`${c.list<Pod>(PODS).length}`);
    };
    sawDeploymentWithoutPods();
    await c.advance(3_000, 100, sawDeploymentWithoutPods);
    expect(seen[0]).toBe('2');
    expect(c.get(DEPLOYMENTS, 'default', 'web')).toBeUndefined();
    expect(c.list<Pod>(PODS)).toEqual([]);
    c.stop();
  });

  it('orphan: the ReplicaSet and pods stay, without the owner reference', async () => {
    const c = await cluster();
    await c.client.delete(DEPLOYMENTS, 'default', 'web', { propagationPolicy: 'Orphan' });
    await c.advance(2_000);
    expect(c.get(DEPLOYMENTS, 'default', 'web')).toBeUndefined();
    const rss = c.list<ReplicaSet>(REPLICASETS);
    expect(rss).toHaveLength(1);
    expect(rss[0]?.metadata.ownerReferences).toBeUndefined();
    expect(c.list<Pod>(PODS)).toHaveLength(2);
    c.stop();
  });

  it('a terminating namespace is emptied, then its kubernetes finalizer removed and it is gone', async () => {
    const c = new TestCluster({ nodes: ['n1'] });
    await c.start([
      garbageCollector(c.client),
      namespaceController(),
      replicaSetController({ random: seededRandom(2) }),
    ]);
    await c.create(NAMESPACES, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop' },
    } as Namespace);
    const rs = replicaSet('web-1', 2);
    await c.create(REPLICASETS, { ...rs, metadata: { name: 'web-1', namespace: 'shop' } });
    await c.create(CONFIGMAPS_FOR_TEST, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'shop' },
    } as KubeObject);
    await c.advance(1_000);
    expect(c.list<Pod>(PODS, 'shop')).toHaveLength(2);
    await c.client.delete(NAMESPACES, '', 'shop');
    expect(c.get<Namespace>(NAMESPACES, '', 'shop')?.status?.phase).toBe('Terminating');
    await c.advance(2_000);
    expect(c.list<Pod>(PODS, 'shop')).toEqual([]);
    expect(c.list(CONFIGMAPS_FOR_TEST, 'shop')).toEqual([]);
    expect(c.get(NAMESPACES, '', 'shop')).toBeUndefined();
    c.stop();
  });
});
