import { describe, expect, it } from 'vitest';
import type { PersistentVolumeClaim, Pod, StatefulSet } from '../../../agent/src/api/index.ts';
import { applyDefaults } from '../../../agent/src/api/index.ts';
import { PODS, PVCS, STATEFULSETS } from '../../../agent/src/controllers/runtime/client.ts';
import { statefulSetController } from '../../../agent/src/controllers/statefulset/controller.ts';
import { TestCluster } from './harness.ts';

function statefulSet(replicas: number, image = 'db:1'): StatefulSet {
  const s: StatefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'default' },
    spec: {
      replicas,
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: { app: 'db' } },
        spec: { containers: [{ name: 'db', image, volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ],
    },
  };
  applyDefaults('apps/statefulsets', s);
  return s;
}

const names = (c: TestCluster) =>
  c
    .list<Pod>(PODS)
    .map((p) => p.metadata.name)
    .sort();

describe('StatefulSet loop', () => {
  it('starts ordinals in order, each with its own claim, and keeps identity and claim across a pod loss', async () => {
    const c = new TestCluster({ nodes: ['n1', 'n2'], readyDelayMs: 1_000 });
    await c.start([statefulSetController()]);
    await c.create(STATEFULSETS, statefulSet(3));
    await c.settle();
    expect(names(c)).toEqual(['db-0']);
    const order: string[] = [];
    await c.advance(5_000, 250, () => {
      for (const n of names(c)) if (!order.includes(n ?? '')) order.push(n ?? '');
    });
    expect(order).toEqual(['db-0', 'db-1', 'db-2']);
    expect(
      c
        .list<PersistentVolumeClaim>(PVCS)
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(['data-db-0', 'data-db-1', 'data-db-2']);
    const p1 = c.get<Pod>(PODS, 'default', 'db-1');
    expect(p1?.spec.hostname).toBe('db-1');
    expect(p1?.spec.subdomain).toBe('db');
    expect(p1?.spec.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'data-db-1' } }]);
    await c.client.delete(PODS, 'default', 'db-1', { gracePeriodSeconds: 0 });
    await c.advance(2_000);
    expect(names(c)).toEqual(['db-0', 'db-1', 'db-2']);
    expect(c.get<Pod>(PODS, 'default', 'db-1')?.metadata.uid).not.toBe(p1?.metadata.uid);
    expect(c.list(PVCS)).toHaveLength(3);
    const st = c.get<StatefulSet>(STATEFULSETS, 'default', 'db')?.status;
    expect(st).toMatchObject({ replicas: 3, readyReplicas: 3, updatedReplicas: 3 });
    expect(st?.currentRevision).toBe(st?.updateRevision);
    c.stop();
  });

  it('rolls a new template from the highest ordinal down, honouring the partition, and scales down from the top', async () => {
    const c = new TestCluster({ nodes: ['n1'], readyDelayMs: 500 });
    await c.start([statefulSetController()]);
    await c.create(STATEFULSETS, statefulSet(3));
    await c.advance(4_000);
    await c.modify<StatefulSet>(STATEFULSETS, 'default', 'db', (s) => {
      const first = s.spec.template.spec.containers[0];
      if (first) first.image = 'db:2';
      s.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 1 } };
    });
    const updatedOrder: string[] = [];
    await c.advance(6_000, 250, () => {
      for (const p of c.list<Pod>(PODS))
        if (p.spec.containers[0]?.image === 'db:2' && !updatedOrder.includes(p.metadata.name ?? ''))
          updatedOrder.push(p.metadata.name ?? '');
    });
    expect(updatedOrder).toEqual(['db-2', 'db-1']);
    expect(c.get<Pod>(PODS, 'default', 'db-0')?.spec.containers[0]?.image).toBe('db:1');
    await c.modify<StatefulSet>(STATEFULSETS, 'default', 'db', (s) => {
      s.spec.replicas = 1;
    });
    const gone: string[] = [];
    const w = c.store.watch({ ...PODS, sendInitialEvents: false }, (e) => {
      if (e.type === 'DELETED') gone.push((e.object as Pod).metadata.name ?? '');
    });
    await c.advance(3_000, 100);
    if ('stop' in w) w.stop();
    expect(gone).toEqual(['db-2', 'db-1']);
    expect(names(c)).toEqual(['db-0']);
    expect(c.list(PVCS)).toHaveLength(3);
    c.stop();
  });
});
