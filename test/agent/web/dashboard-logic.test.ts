/** The page's pure logic, run in Node: the same modules the browser loads. */
import { describe, expect, it } from 'vitest';
import type { TimelineEntry } from './app-module-types.ts';
import { loadAppModule } from './app-module-types.ts';

const { ActionError, drainPlan, rollbackRequest, scaleRequest } = await loadAppModule('actions.js');
const { AgentPool } = await loadAppModule('agent-pool.js');
const { healthOf, leadershipOf, observeLeadership } = await loadAppModule('leader-timeline.js');
const { chartTimeRange, recordSamples } = await loadAppModule('metrics-history.js');
const { splitLines } = await loadAppModule('ndjson.js');
const { applyWatchEvent, cacheFromList } = await loadAppModule('object-cache.js');
const { parseQuantity } = await loadAppModule('quantity.js');
const { podRow, serviceRow } = await loadAppModule('workload-rows.js');

import type { ClusterStatus } from '../../../agent/src/web/cluster-status-types.ts';

const member = (id: number, name: string, health = 'healthy') => ({
  id,
  name,
  role: 'voter' as const,
  apiAddress: `127.0.0.${id}:6443`,
  raftAddress: '',
  joinedAt: '',
  health,
});
const status = (term: number, leader: number, health = 'healthy'): ClusterStatus => ({
  clusterId: 'c',
  desiredVoters: 3,
  term,
  leader,
  members: [member(1, 'a', health), member(2, 'b'), member(3, 'c')],
});

describe('NDJSON', () => {
  it('keeps a line split across chunks until its newline arrives', () => {
    const first = splitLines('', '{"type":"ADDED"}\n{"type":"MOD');
    expect(first).toEqual({ lines: ['{"type":"ADDED"}'], rest: '{"type":"MOD' });
    expect(splitLines(first.rest, 'IFIED"}\n\n')).toEqual({ lines: ['{"type":"MODIFIED"}'], rest: '' });
  });
});

describe('the object cache', () => {
  const pod = (name: string, rv: string) => ({
    metadata: { namespace: 'default', name, resourceVersion: rv },
  });
  it('applies added, modified and deleted objects and remembers where to resume', () => {
    const cache = cacheFromList({ items: [pod('x', '5')], metadata: { resourceVersion: '7' } });
    expect(applyWatchEvent(cache, { type: 'ADDED', object: pod('y', '8') })).toBe('changed');
    expect(applyWatchEvent(cache, { type: 'DELETED', object: pod('x', '9') })).toBe('changed');
    expect([...cache.objects.keys()]).toEqual(['default/y']);
    expect(
      applyWatchEvent(cache, { type: 'BOOKMARK', object: { metadata: { resourceVersion: '12' } } }),
    ).toBe('quiet');
    expect(cache.resourceVersion).toBe('12');
  });
  it('asks for a new list on 410 and reports other errors', () => {
    const cache = cacheFromList({ items: [] });
    expect(applyWatchEvent(cache, { type: 'ERROR', object: { metadata: {}, code: 410 } })).toBe('expired');
    expect(applyWatchEvent(cache, { type: 'ERROR', object: { metadata: {}, code: 500 } })).toBe('failed');
  });
});

describe('the leader timeline', () => {
  it('records a leader, the election after it and the next leader, once each', () => {
    let t: TimelineEntry[] = observeLeadership([], status(1, 1), 1000);
    t = observeLeadership(t, status(1, 1), 2000);
    t = observeLeadership(t, status(2, 0), 3000);
    t = observeLeadership(t, status(2, 0), 3500);
    t = observeLeadership(t, status(2, 2), 4000);
    expect(t.map((e: TimelineEntry) => [e.kind, e.leaderName, e.term, e.at])).toEqual([
      ['leader', 'a', 1, 1000],
      ['election', '', 2, 3000],
      ['leader', 'b', 2, 4000],
    ]);
  });
  it('ignores a lagging voter that still reports an older term', () => {
    const t = observeLeadership(observeLeadership([], status(3, 2), 1), status(2, 1), 2);
    expect(t).toHaveLength(1);
  });
  it('calls a leader that stopped answering an election, not a leader', () => {
    expect(leadershipOf(status(1, 1))).toEqual({ kind: 'leader', name: 'a', id: 1 });
    expect(leadershipOf(status(1, 1, 'unreachable (connect ECONNREFUSED)')).kind).toBe('election');
    expect(healthOf('unhealthy (HTTP 503)')).toEqual({ state: 'unhealthy', reason: 'HTTP 503' });
  });
});

describe('quantities and charts', () => {
  it('reads CPU and memory quantities', () => {
    expect(parseQuantity('250m')).toBe(0.25);
    expect(parseQuantity('1500000n')).toBeCloseTo(0.0015);
    expect(parseQuantity('2Gi')).toBe(2 * 2 ** 30);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('ten')).toBeNaN();
  });
  it('adds each sample once, as a share of the node, and a gap when the node size is unknown', () => {
    const history = new Map();
    const node = { metadata: { name: 'a' }, status: { allocatable: { cpu: '2', memory: '4Gi' } } };
    const list = (ts: string) => ({
      apiVersion: 'metrics.k8s.io/v1beta1' as const,
      kind: 'NodeMetricsList' as const,
      metadata: {},
      items: [
        { metadata: { name: 'a' }, timestamp: ts, window: '10s', usage: { cpu: '500m', memory: '1Gi' } },
      ],
    });
    expect(recordSamples(history, list('2026-01-01T00:00:00Z'), () => node)).toEqual(['a']);
    expect(recordSamples(history, list('2026-01-01T00:00:00Z'), () => node)).toEqual([]);
    recordSamples(history, list('2026-01-01T00:00:10Z'), () => undefined);
    expect(history.get('a')).toMatchObject({ cpu: [25, null], memory: [25, null] });
  });

  it('draws a fresh series over a minute ending at its newest point; keeps a longer span and a zoom', () => {
    // One point: uPlot proposes a day after it.
    expect(chartTimeRange(1000, 1000 + 86_400_000, [1000])).toEqual([940, 1000]);
    expect(chartTimeRange(990, 1000, [990, 1000])).toEqual([940, 1000]);
    expect(chartTimeRange(800, 1000, [800, 900, 1000])).toEqual([800, 1000]);
    expect(chartTimeRange(850, 950, [800, 900, 1000])).toEqual([850, 950]);
    expect(chartTimeRange(null, null, [])).toEqual([null, null]);
  });
});

describe('actions', () => {
  const deployment = { metadata: { namespace: 'default', name: 'web', uid: 'd1' }, spec: { replicas: 2 } };
  const rs = (name: string, revision: string, image: string) => ({
    metadata: {
      namespace: 'default',
      name,
      annotations: { 'deployment.kubernetes.io/revision': revision },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1', controller: true },
      ],
    },
    spec: {
      template: {
        metadata: { labels: { app: 'web', 'pod-template-hash': name } },
        spec: { containers: [{ name: 'c', image }] },
      },
    },
  });
  it('scales through the scale subresource and refuses nonsense', () => {
    expect(scaleRequest('default', 'web', 3)).toMatchObject({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/default/deployments/web/scale',
      body: { spec: { replicas: 3 } },
    });
    expect(() => scaleRequest('default', 'web', -1)).toThrow(ActionError);
  });
  it('rolls back to the previous revision’s template without its pod-template-hash', () => {
    const request = rollbackRequest(
      deployment as never,
      [rs('web-3', '3', 'v3'), rs('web-1', '1', 'v1'), rs('web-2', '2', 'v2')] as never,
    );
    expect(request.body).toEqual([
      {
        op: 'replace',
        path: '/spec/template',
        value: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'v2' }] } },
      },
    ]);
    expect(() => rollbackRequest(deployment as never, [rs('web-1', '1', 'v1')] as never)).toThrow(
      'no previous revision',
    );
  });
  it('drains: cordon first, then delete every pod on the node but DaemonSet and terminating ones', () => {
    const pod = (name: string, node: string, owner?: string, deleting = false) => ({
      metadata: {
        namespace: 'default',
        name,
        ...(owner
          ? {
              ownerReferences: [
                { kind: owner, name: 'o', uid: 'u', apiVersion: 'apps/v1', controller: true },
              ],
            }
          : {}),
        ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
      },
      spec: { nodeName: node, containers: [] },
    });
    const plan = drainPlan('n1', [
      pod('a', 'n1', 'ReplicaSet'),
      pod('b', 'n2'),
      pod('c', 'n1', 'DaemonSet'),
      pod('d', 'n1', undefined, true),
    ] as never);
    expect(plan.requests.map((r: { describe: string }) => r.describe)).toEqual([
      'cordon node n1',
      'delete pod default/a',
    ]);
    expect(plan.skipped).toEqual(['default/c (DaemonSet)', 'default/d (already terminating)']);
  });
});

describe('table rows', () => {
  it('shows a waiting reason over the phase and sums restarts', () => {
    const row = podRow(
      {
        metadata: { namespace: 'default', name: 'p', creationTimestamp: '2026-01-01T00:00:00Z' },
        spec: { nodeName: 'n1', containers: [{ name: 'a' }, { name: 'b' }] },
        status: {
          phase: 'Running',
          containerStatuses: [
            { name: 'a', ready: true, restartCount: 1, state: { running: {} } },
            { name: 'b', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } },
          ],
        },
      } as never,
      Date.parse('2026-01-01T00:05:00Z'),
    );
    expect(row).toMatchObject({
      status: 'CrashLoopBackOff',
      ready: '1/2',
      restarts: 5,
      node: 'n1',
      age: '5m',
    });
  });
  it('lists a Service’s ready and not-ready endpoints with their ports', () => {
    const row = serviceRow(
      { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } } as never,
      {
        metadata: { name: 's' },
        subsets: [
          {
            addresses: [{ ip: '10.0.0.1' }],
            notReadyAddresses: [{ ip: '10.0.0.2' }],
            ports: [{ port: 8080 }],
          },
        ],
      } as never,
    );
    expect(row).toMatchObject({ ready: ['10.0.0.1:8080'], notReady: ['10.0.0.2:8080'], ports: '80/TCP' });
  });
});

describe('the agent pool', () => {
  it('moves to the leader when its agent fails, then round the others, and says so once', () => {
    const pool = new AgentPool('t', 'https://127.0.0.1:6443');
    pool.setAgents(['127.0.0.1:6443', '127.0.0.2:6443', '127.0.0.3:6443'], '127.0.0.3:6443');
    const switches: string[] = [];
    pool.addEventListener('switch', (e: Event) => switches.push((e as CustomEvent).detail.to));
    pool.failed('https://127.0.0.1:6443', new Error('refused'));
    pool.failed('https://127.0.0.1:6443', new Error('refused again'));
    expect(switches).toEqual(['https://127.0.0.3:6443']);
    pool.failed('https://127.0.0.3:6443', new Error('the leader died too'));
    expect(switches).toEqual(['https://127.0.0.3:6443', 'https://127.0.0.2:6443']);
  });
});
