import { describe, expect, it } from 'vitest';
import type { PersistentVolume, PersistentVolumeClaim } from '../../../agent/src/api/index.ts';
import { SchedulerCache } from '../../../agent/src/scheduler/cache.ts';
import { hostPorts } from '../../../agent/src/scheduler/filters/host-ports.ts';
import {
  interPodAffinity,
  prepareInterPodAffinity,
} from '../../../agent/src/scheduler/filters/inter-pod-affinity.ts';
import { nodeAffinity } from '../../../agent/src/scheduler/filters/node-affinity.ts';
import { nodeReady, nodeUnschedulable } from '../../../agent/src/scheduler/filters/node-status.ts';
import { nodeResourcesFit } from '../../../agent/src/scheduler/filters/resources-fit.ts';
import { taintToleration } from '../../../agent/src/scheduler/filters/taint-toleration.ts';
import { volumeConstraint, volumeNodeAffinity } from '../../../agent/src/scheduler/filters/volume-binding.ts';
import { bound, info, node, nodeInfo, pod } from './fixtures.ts';

describe('NodeReady and NodeUnschedulable', () => {
  it('rejects a NotReady node unless the pod tolerates not-ready', () => {
    const n = nodeInfo(node('n1', { ready: false }));
    expect(nodeReady(info(pod('p')), n)).toEqual(['node(s) were not ready']);
    const tolerant = pod('d', { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }] });
    expect(nodeReady(info(tolerant), n)).toBeUndefined();
    expect(nodeReady(info(pod('p')), nodeInfo(node('n2')))).toBeUndefined();
  });
  it('rejects a cordoned node unless the pod tolerates unschedulable (DaemonSet pods)', () => {
    const n = nodeInfo(node('n1', { unschedulable: true }));
    expect(nodeUnschedulable(info(pod('p')), n)).toEqual(['node(s) were unschedulable']);
    const ds = pod('ds', {
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
    });
    expect(nodeUnschedulable(info(ds), n)).toBeUndefined();
  });
});

describe('NodeResourcesFit', () => {
  it('fits exactly up to allocatable and reports each shortfall', () => {
    const n = nodeInfo(node('n1', { cpu: '2', memory: '1Gi' }), [
      bound(pod('a', { cpu: '1500m', memory: '512Mi' }), 'n1'),
    ]);
    expect(nodeResourcesFit(info(pod('p', { cpu: '500m', memory: '512Mi' })), n)).toBeUndefined();
    expect(nodeResourcesFit(info(pod('p', { cpu: '501m' })), n)).toEqual(['Insufficient cpu']);
    expect(nodeResourcesFit(info(pod('p', { cpu: '1', memory: '1Gi' })), n)).toEqual([
      'Insufficient cpu',
      'Insufficient memory',
    ]);
  });
  it('counts pods against the pods allocatable', () => {
    const n = nodeInfo(node('n1', { pods: 1 }), [bound(pod('a'), 'n1')]);
    expect(nodeResourcesFit(info(pod('p')), n)).toEqual(['Too many pods']);
  });
  it('checks extended resources by name', () => {
    const n = nodeInfo(node('n1', { extra: { 'nvidia.com/gpu': '1' } }));
    const gpu = (q: string) =>
      pod('g', { spec: { containers: [{ name: 'c', resources: { requests: { 'nvidia.com/gpu': q } } }] } });
    expect(nodeResourcesFit(info(gpu('1')), n)).toBeUndefined();
    expect(nodeResourcesFit(info(gpu('2')), n)).toEqual(['Insufficient nvidia.com/gpu']);
  });
  it('takes the larger of the app containers and the biggest init step', () => {
    const p = pod('p', {
      spec: {
        initContainers: [{ name: 'init', resources: { requests: { cpu: '3' } } }],
        containers: [{ name: 'c', resources: { requests: { cpu: '1' } } }],
      },
    });
    expect(info(p).requests.cpu).toBe(3000);
    expect(nodeResourcesFit(info(p), nodeInfo(node('n1', { cpu: '2' })))).toEqual(['Insufficient cpu']);
  });
});

describe('NodeAffinity', () => {
  const n = nodeInfo(node('n1', { labels: { disk: 'ssd', gen: '5' } }));
  const mismatch = ["node(s) didn't match Pod's node affinity/selector"];
  it('matches nodeSelector labels exactly', () => {
    expect(nodeAffinity(info(pod('p', { nodeSelector: { disk: 'ssd' } })), n)).toBeUndefined();
    expect(nodeAffinity(info(pod('p', { nodeSelector: { disk: 'hdd' } })), n)).toEqual(mismatch);
  });
  it('ORs terms, ANDs expressions, supports Gt and matchFields', () => {
    const affinity = (terms: object[]) =>
      info(
        pod('p', {
          spec: {
            affinity: {
              nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
            },
          },
        } as never),
      );
    expect(
      nodeAffinity(affinity([{ matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['4'] }] }]), n),
    ).toBeUndefined();
    expect(
      nodeAffinity(
        affinity([
          {
            matchExpressions: [
              { key: 'disk', operator: 'In', values: ['ssd'] },
              { key: 'gen', operator: 'Lt', values: ['5'] },
            ],
          },
        ]),
        n,
      ),
    ).toEqual(mismatch);
    expect(
      nodeAffinity(
        affinity([
          { matchExpressions: [{ key: 'zone', operator: 'Exists' }] },
          { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] },
        ]),
        n,
      ),
    ).toBeUndefined();
  });
});

describe('TaintToleration', () => {
  const edge = nodeInfo(node('n1', { taints: [{ key: 'node-role', value: 'edge', effect: 'NoSchedule' }] }));
  it('names the untolerated taint as kube-scheduler does', () => {
    expect(taintToleration(info(pod('p')), edge)).toEqual([
      'node(s) had untolerated taint {node-role: edge}',
    ]);
  });
  it('accepts Equal with the same value, Exists on the key, and an empty key with Exists', () => {
    for (const t of [
      { key: 'node-role', operator: 'Equal' as const, value: 'edge' },
      { key: 'node-role', operator: 'Exists' as const, effect: 'NoSchedule' as const },
      { operator: 'Exists' as const },
    ])
      expect(taintToleration(info(pod('p', { tolerations: [t] })), edge)).toBeUndefined();
  });
  it('rejects a wrong value or effect; NoExecute filters too; PreferNoSchedule does not', () => {
    expect(
      taintToleration(info(pod('p', { tolerations: [{ key: 'node-role', value: 'core' }] })), edge),
    ).toBeDefined();
    expect(
      taintToleration(
        info(pod('p', { tolerations: [{ key: 'node-role', operator: 'Exists', effect: 'NoExecute' }] })),
        edge,
      ),
    ).toBeDefined();
    const noExec = nodeInfo(node('n2', { taints: [{ key: 'dead', effect: 'NoExecute' }] }));
    expect(taintToleration(info(pod('p')), noExec)).toEqual(['node(s) had untolerated taint {dead: }']);
    const soft = nodeInfo(node('n3', { taints: [{ key: 'meh', effect: 'PreferNoSchedule' }] }));
    expect(taintToleration(info(pod('p')), soft)).toBeUndefined();
  });
});

describe('NodePorts', () => {
  it('conflicts on the same port and protocol, with wildcard addresses', () => {
    const n = nodeInfo(node('n1'), [bound(pod('a', { hostPort: 8080 }), 'n1')]);
    expect(hostPorts(info(pod('p', { hostPort: 8080 })), n)).toEqual([
      "node(s) didn't have free ports for the requested pod ports",
    ]);
    expect(hostPorts(info(pod('p', { hostPort: 8081 })), n)).toBeUndefined();
    const udp = pod('u', {
      spec: { containers: [{ name: 'c', ports: [{ containerPort: 1, hostPort: 8080, protocol: 'UDP' }] }] },
    });
    expect(hostPorts(info(udp), n)).toBeUndefined();
  });
  it('lets two specific addresses share a port but not a wildcard', () => {
    const withIp = (name: string, hostIP: string) =>
      pod(name, {
        spec: { containers: [{ name: 'c', ports: [{ containerPort: 1, hostPort: 53, hostIP }] }] },
      });
    const n = nodeInfo(node('n1'), [bound(withIp('a', '10.0.0.1'), 'n1')]);
    expect(hostPorts(info(withIp('b', '10.0.0.2')), n)).toBeUndefined();
    expect(hostPorts(info(withIp('c', '10.0.0.1')), n)).toBeDefined();
    expect(hostPorts(info(withIp('d', '0.0.0.0')), n)).toBeDefined();
  });
});

describe('VolumeBinding (local PV node affinity)', () => {
  const pvc = (name: string, volumeName?: string): PersistentVolumeClaim => ({
    metadata: { name, namespace: 'default' },
    spec: { ...(volumeName ? { volumeName } : {}) },
  });
  const pv: PersistentVolume = {
    metadata: { name: 'pv-1' },
    spec: {
      local: { path: '/data' },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] },
          ],
        },
      },
    },
  };
  const withClaim = pod('p', {
    spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] },
  });
  it('pins a pod with a bound local volume to the volume’s node', () => {
    const cache = SchedulerCache.fromObjects({
      nodes: [node('n1'), node('n2')],
      claims: [pvc('data', 'pv-1')],
      volumes: [pv],
    });
    const c = volumeConstraint(info(withClaim), cache);
    if (!c.ok) throw new Error(c.message);
    expect(volumeNodeAffinity(c.terms, cache.nodeInfo('n1')!)).toBeUndefined();
    expect(volumeNodeAffinity(c.terms, cache.nodeInfo('n2')!)).toEqual([
      'node(s) had volume node affinity conflict',
    ]);
  });
  it('does not constrain an unbound claim and rejects a missing one pod-wide', () => {
    const unbound = SchedulerCache.fromObjects({ nodes: [node('n1')], claims: [pvc('data')] });
    expect(volumeConstraint(info(withClaim), unbound)).toEqual({ ok: true, terms: [] });
    const missing = SchedulerCache.fromObjects({ nodes: [node('n1')] });
    expect(volumeConstraint(info(withClaim), missing)).toEqual({
      ok: false,
      message: 'persistentvolumeclaim "data" not found',
    });
  });
});

describe('InterPodAffinity', () => {
  const zoneNode = (name: string, zone: string) =>
    node(name, { labels: { 'topology.kubernetes.io/zone': zone } });
  const term = (labels: Record<string, string>, topologyKey: string) => ({
    labelSelector: { matchLabels: labels },
    topologyKey,
  });
  const nodes = [zoneNode('n1', 'a'), zoneNode('n2', 'a'), zoneNode('n3', 'b')];

  it('anti-affinity forbids the whole topology domain of a matching pod', () => {
    const cache = SchedulerCache.fromObjects({
      nodes,
      pods: [bound(pod('db-0', { labels: { app: 'db' } }), 'n1')],
    });
    const p = info(
      pod('db-1', {
        labels: { app: 'db' },
        spec: {
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                term({ app: 'db' }, 'topology.kubernetes.io/zone'),
              ],
            },
          },
        },
      }),
    );
    const state = prepareInterPodAffinity(p, cache);
    expect(interPodAffinity(state, p, cache.nodeInfo('n2')!)).toEqual([
      "node(s) didn't match pod anti-affinity rules",
    ]);
    expect(interPodAffinity(state, p, cache.nodeInfo('n3')!)).toBeUndefined();
  });

  it("an existing pod's anti-affinity keeps matching newcomers out", () => {
    const loner = pod('loner', {
      labels: { app: 'loner' },
      spec: {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, 'kubernetes.io/hostname')],
          },
        },
      },
    });
    const cache = SchedulerCache.fromObjects({ nodes, pods: [bound(loner, 'n1')] });
    const web = info(pod('web', { labels: { app: 'web' } }));
    const state = prepareInterPodAffinity(web, cache);
    expect(interPodAffinity(state, web, cache.nodeInfo('n1')!)).toEqual([
      "node(s) didn't satisfy existing pods anti-affinity rules",
    ]);
    expect(interPodAffinity(state, web, cache.nodeInfo('n2')!)).toBeUndefined();
    const other = info(pod('other', { labels: { app: 'other' } }));
    expect(
      interPodAffinity(prepareInterPodAffinity(other, cache), other, cache.nodeInfo('n1')!),
    ).toBeUndefined();
  });

  it('affinity needs a matching pod in the domain, except for the first of a self-affine group', () => {
    const affine = (name: string) =>
      pod(name, {
        labels: { app: 'cache' },
        spec: {
          affinity: {
            podAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                term({ app: 'cache' }, 'topology.kubernetes.io/zone'),
              ],
            },
          },
        },
      });
    const empty = SchedulerCache.fromObjects({ nodes });
    const first = info(affine('c0'));
    const s0 = prepareInterPodAffinity(first, empty);
    expect(interPodAffinity(s0, first, empty.nodeInfo('n3')!)).toBeUndefined();

    const cache = SchedulerCache.fromObjects({ nodes, pods: [bound(affine('c0'), 'n3')] });
    const second = info(affine('c1'));
    const s1 = prepareInterPodAffinity(second, cache);
    expect(interPodAffinity(s1, second, cache.nodeInfo('n1')!)).toEqual([
      "node(s) didn't match pod affinity rules",
    ]);
    expect(interPodAffinity(s1, second, cache.nodeInfo('n3')!)).toBeUndefined();
  });

  it('terms only see their own namespace unless told otherwise', () => {
    const cache = SchedulerCache.fromObjects({
      nodes,
      pods: [bound(pod('x', { namespace: 'other', labels: { app: 'db' } }), 'n1')],
    });
    const p = info(
      pod('p', {
        spec: {
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, 'kubernetes.io/hostname')],
            },
          },
        },
      }),
    );
    expect(interPodAffinity(prepareInterPodAffinity(p, cache), p, cache.nodeInfo('n1')!)).toBeUndefined();
    const all = info(
      pod('q', {
        spec: {
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                { ...term({ app: 'db' }, 'kubernetes.io/hostname'), namespaceSelector: {} },
              ],
            },
          },
        },
      }),
    );
    expect(interPodAffinity(prepareInterPodAffinity(all, cache), all, cache.nodeInfo('n1')!)).toBeDefined();
  });
});
