import { describe, expect, it } from 'vitest';
import type { Endpoints, Event, Pod, Service } from '../../../agent/src/api/index.ts';
import { leaderControllers } from '../../../agent/src/controllers/index.ts';
import {
  DEPLOYMENTS,
  ENDPOINTS,
  EVENTS,
  PODS,
  SERVICES,
} from '../../../agent/src/controllers/runtime/client.ts';
import { seededRandom } from '../../../agent/src/controllers/shared/names.ts';
import { deployment } from './fixtures.ts';
import { TestCluster } from './harness.ts';

describe('the leader controller set', () => {
  it('a Deployment behind a Service ends with three ready Endpoints addresses, events recorded, nothing failing', async () => {
    const c = new TestCluster({ nodes: ['n1', 'n2', 'n3'], readyDelayMs: 1_000 });
    c.heartbeats = true;
    await c.beat();
    await c.start(leaderControllers({ client: c.client, random: seededRandom(21) }));
    await c.create(SERVICES, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    } as Service);
    await c.create(DEPLOYMENTS, deployment('web', 3));
    await c.advance(5_000);
    const ep = c.get<Endpoints>(ENDPOINTS, 'default', 'web');
    expect(ep?.subsets?.[0]?.addresses).toHaveLength(3);
    expect(new Set(ep?.subsets?.[0]?.addresses?.map((a) => a.nodeName))).toEqual(new Set(['n1', 'n2', 'n3']));
    const reasons = c.list<Event>(EVENTS).map((e) => `${e.involvedObject.kind}/${e.reason}`);
    expect(reasons).toContain('Deployment/ScalingReplicaSet');
    expect(reasons.filter((r) => r === 'ReplicaSet/SuccessfulCreate')).toHaveLength(3);
    expect(c.list<Pod>(PODS)).toHaveLength(3);
    expect(c.errors).toEqual([]);
    c.stop();
  });
});
