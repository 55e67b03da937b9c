/**
 * Preemption through the real wiring: an in-process store behind the leader's BackendClusterClient
 * (admission included), the scheduler's informers and effects (control/scheduler-wiring.ts), and
 * a stand-in kubelet that confirms graceful deletions. A pod of a high PriorityClass on a full
 * node evicts the low-priority pod, is nominated, then bound once the victim is gone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject, Pod } from '../../../agent/src/api/index.ts';
import { isStatusError } from '../../../agent/src/api/index.ts';
import { LocalBackend } from '../../../agent/src/apiserver/local-backend.ts';
import { BackendClusterClient } from '../../../agent/src/control/backend-cluster-client.ts';
import { informerClusterSource, schedulerEffects } from '../../../agent/src/control/scheduler-wiring.ts';
import { systemClock } from '../../../agent/src/controllers/runtime/clock.ts';
import { Scheduler } from '../../../agent/src/scheduler/scheduler.ts';
import { ObjectStore } from '../../../agent/src/store/index.ts';
import { node } from './fixtures.ts';

const PODS = { group: '', resource: 'pods' };
const NODES = { group: '', resource: 'nodes' };
const EVENTS = { group: '', resource: 'events' };
const CLASSES = { group: 'scheduling.k8s.io', resource: 'priorityclasses' };

const podObject = (name: string, cpu: string, extra: Record<string, unknown> = {}): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu } } }],
      terminationGracePeriodSeconds: 30,
      ...extra,
    },
  }) as unknown as KubeObject;

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const ac = new AbortController();
afterEach(() => ac.abort());

describe('preemption through the scheduler wiring', () => {
  it('evicts the lower-priority pod gracefully, nominates, then binds the preemptor', async () => {
    const backend = new LocalBackend(new ObjectStore());
    const client = new BackendClusterClient(backend);
    const errors: string[] = [];
    const onError = (e: Error, what: string) => errors.push(`${what}: ${e.message}`);
    await client.create({ group: '', resource: 'namespaces' }, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'default' },
    } as KubeObject);
    expect(isStatusError(await client.create(NODES, node('n1', { cpu: '1' }) as unknown as KubeObject))).toBe(
      false,
    );
    const pcs = [
      { metadata: { name: 'low' }, value: 10 },
      { metadata: { name: 'high' }, value: 1000 },
    ];
    for (const p of pcs) {
      const out = await client.create(CLASSES, {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        ...p,
      } as unknown as KubeObject);
      expect(isStatusError(out) ? out.message : 'ok').toBe('ok');
    }
    const scheduler = new Scheduler({
      source: informerClusterSource(client, systemClock, { onError }),
      effects: schedulerEffects(client, systemClock, { onError }),
      queue: { initialBackoffMs: 10, maxBackoffMs: 20 },
    });
    const running = scheduler.run(ac.signal);

    const created = await client.create(PODS, podObject('low', '800m', { priorityClassName: 'low' }));
    if (isStatusError(created)) throw created;
    expect((created as Pod).spec.priority).toBe(10);
    await until('low bound', async () => {
      const p = (await client.get(PODS, 'default', 'low')) as Pod;
      return p.spec.nodeName === 'n1' ? true : undefined;
    });

    const high = (await client.create(PODS, podObject('high', '500m', { priorityClassName: 'high' }))) as Pod;
    expect([high.spec.priority, high.spec.preemptionPolicy]).toEqual([1000, 'PreemptLowerPriority']);

    // The victim is deleted with its grace period: it stays, terminating, until its kubelet confirms.
    const dying = await until('low terminating', async () => {
      const p = (await client.get(PODS, 'default', 'low')) as Pod;
      return p.metadata.deletionTimestamp !== undefined ? p : undefined;
    });
    expect(dying.metadata.deletionGracePeriodSeconds).toBe(30);
    const nominated = await until('high nominated', async () => {
      const p = (await client.get(PODS, 'default', 'high')) as Pod;
      return p.status?.nominatedNodeName;
    });
    expect(nominated).toBe('n1');
    // Not bound while the victim still holds the room.
    await new Promise((r) => setTimeout(r, 50));
    expect(((await client.get(PODS, 'default', 'high')) as Pod).spec.nodeName ?? '').toBe('');

    // The kubelet stops the container and confirms (grace 0): the pod is gone, the room free.
    await client.delete(PODS, 'default', 'low', { gracePeriodSeconds: 0 });
    await until('high bound', async () => {
      const p = (await client.get(PODS, 'default', 'high')) as Pod;
      return p.spec.nodeName === 'n1' ? true : undefined;
    });
    const events = await until('events recorded', async () => {
      const list = await client.list(EVENTS, { namespace: 'default' });
      if (isStatusError(list)) return undefined;
      const reasons = list.items.map(
        (e) =>
          `${(e as unknown as { reason: string }).reason}/${(e as unknown as { involvedObject: { name: string } }).involvedObject.name}`,
      );
      return reasons.includes('Preempted/low') && reasons.includes('Scheduled/high') ? list.items : undefined;
    });
    const preempted = events.find(
      (e) => (e as unknown as { reason: string }).reason === 'Preempted',
    ) as unknown as {
      message: string;
    };
    expect(preempted.message).toBe(`Preempted by pod ${high.metadata.uid} on node n1`);
    expect(scheduler.stats).toMatchObject({ preemptions: 1, victims: 1 });
    expect(errors).toEqual([]);
    ac.abort();
    await running;
  });

  it('admission on the controllers path: one globalDefault, default priority, kept on update', async () => {
    const client = new BackendClusterClient(new LocalBackend(new ObjectStore()));
    await client.create({ group: '', resource: 'namespaces' }, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'default' },
    } as KubeObject);
    const cls = (name: string, value: number) =>
      ({
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name },
        value,
        globalDefault: true,
      }) as unknown as KubeObject;
    expect(isStatusError(await client.create(CLASSES, cls('normal', 5)))).toBe(false);
    const second = await client.create(CLASSES, cls('other', 6));
    expect(isStatusError(second) && [second.status.code, second.message]).toEqual([
      403,
      'priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass normal is already marked as default. Only one default can exist',
    ]);
    const created = await client.create(PODS, podObject('p', '10m'));
    if (isStatusError(created)) throw created;
    expect([(created as Pod).spec.priorityClassName, (created as Pod).spec.priority]).toEqual(['normal', 5]);
    // A body without the admitted fields (the original manifest, relabelled) keeps them.
    const updated = await client.update(PODS, {
      ...(created as Pod),
      metadata: { ...created.metadata, labels: { x: 'y' } },
      spec: { ...(created as Pod).spec, priority: undefined, preemptionPolicy: undefined },
    } as unknown as KubeObject);
    if (isStatusError(updated)) throw updated;
    expect([(updated as Pod).spec.priority, (updated as Pod).spec.preemptionPolicy]).toEqual([
      5,
      'PreemptLowerPriority',
    ]);
  });
});
