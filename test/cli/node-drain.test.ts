/**
 * `kedge node cordon|uncordon|drain` with the real bin against an in-process API server. A small
 * stand-in kubelet finishes graceful deletions (deletes a pod marked for deletion with grace 0),
 * as the real one does once the containers stopped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../agent/src/api/types/pod.ts';
import { type DrainFlags, planDrain } from '../../cli/src/drain/drain-plan.ts';
import { type Cluster, startCluster } from './cluster-fixture.ts';

const owner = (kind: string) => [
  { apiVersion: 'apps/v1', kind, name: `${kind.toLowerCase()}-x`, uid: `u-${kind}`, controller: true },
];
const pod = (
  name: string,
  node: string,
  extra: { owners?: unknown[]; annotations?: Record<string, string>; emptyDir?: boolean } = {},
) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'default',
    ...(extra.owners ? { ownerReferences: extra.owners } : {}),
    ...(extra.annotations ? { annotations: extra.annotations } : {}),
  },
  spec: {
    nodeName: node,
    terminationGracePeriodSeconds: 7,
    containers: [{ name: 'c', image: 'localhost/kedge/busybox:latest' }],
    ...(extra.emptyDir ? { volumes: [{ name: 'scratch', emptyDir: {} }] } : {}),
  },
});
const yaml = (objects: unknown[]) => objects.map((o) => JSON.stringify(o)).join('\n---\n');

describe('planDrain (kubectl drain filters)', () => {
  const flags: DrainFlags = { ignoreDaemonsets: false, force: false, deleteEmptydirData: false };
  const p = (x: ReturnType<typeof pod>) => x as unknown as Pod;
  it('deletes controller-owned pods, skips mirror pods, refuses DaemonSet and bare pods without flags', () => {
    const plan = planDrain(
      [
        p(pod('web', 'n', { owners: owner('ReplicaSet') })),
        p(pod('ds', 'n', { owners: owner('DaemonSet') })),
        p(pod('bare', 'n')),
        p(pod('static', 'n', { annotations: { 'kubernetes.io/config.mirror': 'x' } })),
      ],
      flags,
    );
    expect(plan.delete.map((x) => x.metadata.name)).toEqual(['web']);
    expect(plan.errors).toEqual([
      'cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/ds',
      'cannot delete Pods that declare no controller (use --force to override): default/bare',
    ]);
  });

  it('with --ignore-daemonsets, --force and --delete-emptydir-data it warns instead', () => {
    const plan = planDrain(
      [p(pod('ds', 'n', { owners: owner('DaemonSet') })), p(pod('bare', 'n', { emptyDir: true }))],
      { ignoreDaemonsets: true, force: true, deleteEmptydirData: true },
    );
    expect(plan.errors).toEqual([]);
    expect(plan.delete.map((x) => x.metadata.name)).toEqual(['bare']);
    expect(plan.warnings).toEqual([
      'ignoring DaemonSet-managed Pods: default/ds',
      'deleting Pods that declare no controller: default/bare',
      'deleting Pods with local storage: default/bare',
    ]);
  });
});

describe('kedge node', () => {
  let cluster: Cluster;
  let kubelet: ReturnType<typeof setInterval> | undefined;
  const graces: number[] = [];

  beforeAll(async () => {
    cluster = await startCluster();
    const nodes = ['edge-1', 'edge-2'].map((name) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name },
    }));
    const created = await cluster.kedge(['apply', '-f', '-'], { input: yaml(nodes) });
    expect(created.stderr).toBe('');
    // The stand-in kubelet: a pod marked for deletion is stopped and then removed with grace 0.
    kubelet = setInterval(() => {
      void (async () => {
        const list = await cluster.backend.list({ group: '', resource: 'pods' }, { namespace: 'default' });
        for (const item of list.items) {
          if (item.metadata.deletionTimestamp === undefined) continue;
          graces.push(item.metadata.deletionGracePeriodSeconds ?? -1);
          await cluster.backend.delete({
            op: 'delete',
            group: '',
            resource: 'pods',
            namespace: 'default',
            name: item.metadata.name!,
            deletionTimestamp: new Date().toISOString(),
            gracePeriodSeconds: 0,
          });
        }
      })();
    }, 100);
  });
  afterAll(async () => {
    clearInterval(kubelet);
    await cluster?.close();
  });

  const unschedulable = async (node: string) =>
    (await cluster.kedge(['get', 'node', node, '-o', 'jsonpath={.spec.unschedulable}'])).stdout;

  it('cordon and uncordon flip spec.unschedulable and say so, also when nothing changes', async () => {
    expect((await cluster.kedge(['node', 'cordon', 'edge-2'])).stdout).toBe('node/edge-2 cordoned\n');
    expect(await unschedulable('edge-2')).toBe('true');
    expect((await cluster.kedge(['node', 'cordon', 'edge-2'])).stdout).toBe('node/edge-2 already cordoned\n');
    expect((await cluster.kedge(['node', 'uncordon', 'edge-2'])).stdout).toBe('node/edge-2 uncordoned\n');
    expect(await unschedulable('edge-2')).toBe('');
    const missing = await cluster.kedge(['node', 'cordon', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NotFound');
  });

  it('drain refuses DaemonSet and bare pods without flags, and deletes nothing then', async () => {
    const pods = [
      pod('web-a', 'edge-1', { owners: owner('ReplicaSet') }),
      pod('agent-ds', 'edge-1', { owners: owner('DaemonSet') }),
      pod('bare', 'edge-1'),
      pod('static', 'edge-1', { annotations: { 'kubernetes.io/config.mirror': 'abc' } }),
      pod('web-b', 'edge-2', { owners: owner('ReplicaSet') }),
    ];
    expect((await cluster.kedge(['apply', '-f', '-'], { input: yaml(pods) })).code).toBe(0);
    const refused = await cluster.kedge(['node', 'drain', 'edge-1']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('node/edge-1 cordoned');
    expect(refused.stderr).toContain('unable to drain node "edge-1"');
    expect(refused.stderr).toContain('use --ignore-daemonsets to ignore): default/agent-ds');
    expect(refused.stderr).toContain('use --force to override): default/bare');
    const names = (await cluster.kedge(['get', 'pods', '-o', 'name'])).stdout;
    expect(names).toContain('pod/web-a');
  });

  it('drain with --ignore-daemonsets --force deletes the rest gracefully, waits, and leaves others alone', async () => {
    const result = await cluster.kedge([
      'node',
      'drain',
      'edge-1',
      '--ignore-daemonsets',
      '--force',
      '--timeout',
      '20s',
    ]);
    expect(result.stderr).toContain('Warning: ignoring DaemonSet-managed Pods: default/agent-ds');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('node/edge-1 already cordoned');
    expect(result.stdout).toContain('deleting pod default/web-a');
    expect(result.stdout).toContain('deleting pod default/bare');
    expect(result.stdout).toContain('pod/web-a deleted');
    expect(result.stdout.trim().split('\n').at(-1)).toBe('node/edge-1 drained');
    const names = (await cluster.kedge(['get', 'pods', '-o', 'name'])).stdout.trim().split('\n').sort();
    expect(names).toEqual(['pod/agent-ds', 'pod/static', 'pod/web-b']);
    // The pods' own grace period (7 s) went to the kubelet.
    expect(graces).toContain(7);
  });

  it('drain gives up at --timeout when a pod does not go, leaving the node cordoned', async () => {
    clearInterval(kubelet);
    kubelet = undefined;
    await cluster.kedge(['apply', '-f', '-'], {
      input: yaml([pod('stuck', 'edge-2', { owners: owner('ReplicaSet') })]),
    });
    const result = await cluster.kedge([
      'node',
      'drain',
      'edge-2',
      '--timeout',
      '1s',
      '--grace-period',
      '30',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('timed out waiting for the pods to go: ');
    expect(result.stderr).toContain('default/stuck');
    expect(await unschedulable('edge-2')).toBe('true');
  });
});
