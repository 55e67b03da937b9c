import { describe, expect, it } from 'vitest';
import type {
  DaemonSet,
  Deployment,
  HorizontalPodAutoscaler,
  Node,
  Pod,
} from '../../../agent/src/api/index.ts';
import { applyDefaults } from '../../../agent/src/api/index.ts';
import { daemonSetController } from '../../../agent/src/controllers/daemonset/controller.ts';
import { nodeShouldRunPod } from '../../../agent/src/controllers/daemonset/eligibility.ts';
import {
  DEFAULT_HPA_CONFIG,
  type Recommendation,
  reconcileHpa,
} from '../../../agent/src/controllers/hpa/reconcile.ts';
import { DAEMONSETS, DEPLOYMENTS, NODES, PODS } from '../../../agent/src/controllers/runtime/client.ts';
import { seededRandom } from '../../../agent/src/controllers/shared/names.ts';
import { deployment, NOW, pod, stored } from './fixtures.ts';
import { readyPods, TestCluster } from './harness.ts';

function daemonSet(image = 'agent:1', extra: Partial<DaemonSet['spec']['template']['spec']> = {}): DaemonSet {
  const ds: DaemonSet = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: { containers: [{ name: 'a', image }], ...extra },
      },
    },
  };
  applyDefaults('apps/daemonsets', ds);
  return ds;
}

describe('DaemonSet', () => {
  it('eligibility honours nodeSelector, required affinity and untolerated taints, tolerating node trouble', () => {
    const node = (
      labels: Record<string, string>,
      taints: NonNullable<Node['spec']>['taints'] = [],
    ): Node => ({ metadata: { name: 'n', labels }, spec: { taints } });
    const spec = daemonSet().spec.template.spec;
    expect(nodeShouldRunPod(node({}), spec)).toBe(true);
    expect(
      nodeShouldRunPod(node({}, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]), spec),
    ).toBe(true);
    expect(nodeShouldRunPod(node({}, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]), spec)).toBe(
      false,
    );
    expect(nodeShouldRunPod(node({ zone: 'a' }), { ...spec, nodeSelector: { zone: 'b' } })).toBe(false);
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'arch', operator: 'In' as const, values: ['arm64'] }] },
          ],
        },
      },
    };
    expect(nodeShouldRunPod(node({ arch: 'arm64' }), { ...spec, affinity })).toBe(true);
    expect(nodeShouldRunPod(node({ arch: 'amd64' }), { ...spec, affinity })).toBe(false);
  });

  it('runs one pod per node, follows nodes joining and leaving, and rolls a new template one node at a time', async () => {
    const c = new TestCluster({ nodes: ['n1', 'n2'], readyDelayMs: 500 });
    await c.start([daemonSetController({ random: seededRandom(6) })]);
    await c.create(DAEMONSETS, daemonSet());
    await c.advance(2_000);
    const perNode = () =>
      c
        .list<Pod>(PODS)
        .filter((p) => !p.metadata.deletionTimestamp)
        .map((p) => p.spec.nodeName)
        .sort();
    expect(perNode()).toEqual(['n1', 'n2']);
    await c.addNode('n3');
    await c.advance(2_000);
    expect(perNode()).toEqual(['n1', 'n2', 'n3']);
    await c.client.delete(NODES, '', 'n2');
    await c.advance(2_000);
    expect(perNode()).toEqual(['n1', 'n3']);
    await c.modify<DaemonSet>(DAEMONSETS, 'default', 'agent', (d) => {
      const first = d.spec.template.spec.containers[0];
      if (first) first.image = 'agent:2';
    });
    let minReady = 2;
    await c.advance(6_000, 100, () => {
      minReady = Math.min(minReady, readyPods(c.list<Pod>(PODS)).length);
    });
    expect(minReady).toBe(1);
    expect(c.list<Pod>(PODS).map((p) => p.spec.containers[0]?.image)).toEqual(['agent:2', 'agent:2']);
    expect(c.get<DaemonSet>(DAEMONSETS, 'default', 'agent')?.status).toMatchObject({
      desiredNumberScheduled: 2,
      updatedNumberScheduled: 2,
      numberAvailable: 2,
    });
    expect(c.errors).toEqual([]);
    c.stop();
  });
});

describe('HPA reconcile', () => {
  const target = stored(deployment('web', 2));
  const hpa = (): HorizontalPodAutoscaler => {
    const h: HorizontalPodAutoscaler = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 1,
        maxReplicas: 10,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
          },
        ],
      },
    };
    return stored(h);
  };
  const pods = ['a', 'b'].map((n) => {
    const p = pod(n, { node: 'n1', ready: true });
    const c = p.spec.containers[0];
    if (c) c.resources = { requests: { cpu: '200m' } };
    return p;
  });
  const run = (usage: number[], history: Recommendation[] = [], now = NOW) =>
    reconcileHpa({
      hpa: hpa(),
      target,
      targetRef: DEPLOYMENTS,
      pods,
      usage: new Map(usage.map((u, i) => [['a', 'b'][i] ?? '', u])),
      history,
      now,
      config: DEFAULT_HPA_CONFIG,
    });
  const replicasOf = (r: ReturnType<typeof run>) => {
    const u = r.actions.find((a) => a.kind === 'update');
    return u?.kind === 'update' ? (u.object as Deployment).spec.replicas : undefined;
  };

  it('scales out to ceil(current × usage/target) and stays put within the 10 % tolerance', () => {
    expect(replicasOf(run([200, 200]))).toBe(4); // 100 % of request vs 50 %: twice as many
    expect(replicasOf(run([105, 105]))).toBeUndefined(); // 52.5 %: within tolerance
  });

  it('scales in only to the highest recommendation of the stabilisation window', () => {
    const history = [{ at: NOW - 100_000, replicas: 2 }];
    expect(replicasOf(run([20, 20], history))).toBeUndefined();
    const old = [{ at: NOW - 301_000, replicas: 2 }];
    expect(replicasOf(run([20, 20], old))).toBe(1);
  });

  it("honours the HPA's own scale-down window (spec.behavior.scaleDown.stabilizationWindowSeconds)", () => {
    const short = (): HorizontalPodAutoscaler => {
      const h = hpa();
      h.spec.behavior = { scaleDown: { stabilizationWindowSeconds: 10 } };
      return h;
    };
    const runShort = (history: Recommendation[]) =>
      reconcileHpa({
        hpa: short(),
        target,
        targetRef: DEPLOYMENTS,
        pods,
        usage: new Map([
          ['a', 20],
          ['b', 20],
        ]),
        history,
        now: NOW,
        config: DEFAULT_HPA_CONFIG,
      });
    expect(replicasOf(runShort([{ at: NOW - 5_000, replicas: 2 }]))).toBeUndefined();
    expect(replicasOf(runShort([{ at: NOW - 11_000, replicas: 2 }]))).toBe(1);
  });

  it('reports a missing CPU request instead of guessing', () => {
    const r = reconcileHpa({
      hpa: hpa(),
      target,
      targetRef: DEPLOYMENTS,
      pods: [pod('x', { node: 'n1', ready: true })],
      usage: new Map([['x', 100]]),
      history: [],
      now: NOW,
      config: DEFAULT_HPA_CONFIG,
    });
    const st = r.actions.find((a) => a.kind === 'updateStatus');
    expect(
      st?.kind === 'updateStatus' &&
        (st.object as HorizontalPodAutoscaler).status?.conditions?.find((x) => x.type === 'ScalingActive')
          ?.reason,
    ).toBe('FailedGetResourceMetric');
  });
});
