import { describe, expect, it } from 'vitest';
import type { Endpoints, Pod, Service } from '../../../agent/src/api/index.ts';
import { endpointsController } from '../../../agent/src/controllers/endpoints/controller.ts';
import { reconcileEndpoints } from '../../../agent/src/controllers/endpoints/reconcile.ts';
import { ENDPOINTS, PODS, SERVICES } from '../../../agent/src/controllers/runtime/client.ts';
import { pod, stored } from './fixtures.ts';
import { TestCluster } from './harness.ts';

const service = (ports: Service['spec']['ports'], extra: Partial<Service['spec']> = {}): Service =>
  stored({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', labels: { tier: 'front' } },
    spec: { selector: { app: 'web' }, ports, ...extra },
  });

function withIp(p: Pod, ip: string, ports?: { name: string; containerPort: number }[]): Pod {
  if (p.status) p.status.podIP = ip;
  const c = p.spec.containers[0];
  if (ports && c) c.ports = ports;
  return p;
}

describe('Endpoints reconcile', () => {
  it('splits ready and not-ready pods, resolves named target ports per pod, and records node and pod', () => {
    const svc = service([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    const pods = [
      withIp(pod('b', { node: 'n2', ready: true }), '10.0.0.2', [{ name: 'http', containerPort: 8080 }]),
      withIp(pod('a', { node: 'n1', ready: true }), '10.0.0.1', [{ name: 'http', containerPort: 8080 }]),
      withIp(pod('c', { node: 'n1', ready: false }), '10.0.0.3', [{ name: 'http', containerPort: 8080 }]),
      withIp(pod('d', { node: 'n3', ready: true }), '10.0.0.4', [{ name: 'http', containerPort: 9090 }]),
      withIp(pod('no-port', { node: 'n3', ready: true }), '10.0.0.5'),
      pod('no-ip', { node: 'n3', ready: true }),
      withIp(pod('other', { node: 'n3', ready: true, labels: { app: 'db' } }), '10.0.0.6'),
      withIp(pod('going', { node: 'n3', ready: true, deleting: true }), '10.0.0.7', [
        { name: 'http', containerPort: 8080 },
      ]),
    ];
    const r = reconcileEndpoints({
      service: svc,
      existing: undefined,
      pods,
      namespace: 'default',
      name: 'web',
    });
    const create = r.actions[0];
    if (create?.kind !== 'create') throw new Error('expected a create');
    const ep = create.object as Endpoints;
    expect(ep.metadata.labels).toEqual({ tier: 'front' });
    expect(ep.subsets).toEqual([
      {
        addresses: [
          {
            ip: '10.0.0.1',
            nodeName: 'n1',
            targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: pods[1]?.metadata.uid },
          },
          {
            ip: '10.0.0.2',
            nodeName: 'n2',
            targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: pods[0]?.metadata.uid },
          },
        ],
        notReadyAddresses: [
          {
            ip: '10.0.0.3',
            nodeName: 'n1',
            targetRef: { kind: 'Pod', namespace: 'default', name: 'c', uid: pods[2]?.metadata.uid },
          },
        ],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
      {
        addresses: [
          {
            ip: '10.0.0.4',
            nodeName: 'n3',
            targetRef: { kind: 'Pod', namespace: 'default', name: 'd', uid: pods[3]?.metadata.uid },
          },
        ],
        ports: [{ name: 'http', port: 9090, protocol: 'TCP' }],
      },
    ]);
  });

  it('publishNotReadyAddresses lists every pod as ready; a numeric targetPort needs no container port', () => {
    const svc = service([{ port: 80, targetPort: 8080, protocol: 'TCP' }], {
      publishNotReadyAddresses: true,
    });
    const r = reconcileEndpoints({
      service: svc,
      existing: undefined,
      pods: [withIp(pod('c', { node: 'n1', ready: false }), '10.0.0.3')],
      namespace: 'default',
      name: 'web',
    });
    const ep = r.actions[0]?.kind === 'create' ? (r.actions[0].object as Endpoints) : undefined;
    expect(ep?.subsets?.[0]?.addresses?.map((a) => a.ip)).toEqual(['10.0.0.3']);
    expect(ep?.subsets?.[0]?.ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
  });

  it('leaves a selector-less Service to its user and deletes the Endpoints of a deleted Service', () => {
    const manual = service([{ port: 80 }], { selector: {} });
    expect(
      reconcileEndpoints({
        service: manual,
        existing: undefined,
        pods: [],
        namespace: 'default',
        name: 'web',
      }).actions,
    ).toEqual([]);
    const ep = stored<Endpoints>({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'web', namespace: 'default' },
    });
    expect(
      reconcileEndpoints({
        service: undefined,
        existing: ep,
        pods: [],
        namespace: 'default',
        name: 'web',
      }).actions.map((a) => a.kind),
    ).toEqual(['delete']);
  });
});

describe('Endpoints controller loop', () => {
  it('follows pods becoming ready, losing the label, and the Service going away', async () => {
    const c = new TestCluster({ kubelet: false });
    await c.start([endpointsController()]);
    await c.create(SERVICES, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    } as Service);
    await c.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p1', namespace: 'default', labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'x' }], nodeName: 'n1' },
    } as Pod);
    await c.settle();
    expect(c.get<Endpoints>(ENDPOINTS, 'default', 'web')?.subsets).toEqual([]);
    const p = c.get<Pod>(PODS, 'default', 'p1');
    if (!p) throw new Error('no pod');
    await c.client.updateStatus(PODS, {
      ...structuredClone(p),
      status: { phase: 'Running', podIP: '10.1.0.9', conditions: [{ type: 'Ready', status: 'True' }] },
    } as Pod);
    await c.settle();
    expect(c.get<Endpoints>(ENDPOINTS, 'default', 'web')?.subsets?.[0]?.addresses?.[0]?.ip).toBe('10.1.0.9');
    await c.modify<Pod>(PODS, 'default', 'p1', (x) => {
      x.metadata.labels = { app: 'other' };
    });
    await c.settle();
    expect(c.get<Endpoints>(ENDPOINTS, 'default', 'web')?.subsets).toEqual([]);
    await c.client.delete(SERVICES, 'default', 'web');
    await c.settle();
    expect(c.get<Endpoints>(ENDPOINTS, 'default', 'web')).toBeUndefined();
    expect(c.errors).toEqual([]);
    c.stop();
  });
});
