import { describe, expect, it } from 'vitest';
import { expired, type Pod, type ReplicaSet } from '../../../agent/src/api/index.ts';
import { replicaSetController } from '../../../agent/src/controllers/replicaset/controller.ts';
import {
  type ClusterClient,
  EVENTS,
  PODS,
  REPLICASETS,
} from '../../../agent/src/controllers/runtime/client.ts';
import { FakeClock } from '../../../agent/src/controllers/runtime/clock.ts';
import { EventRecorder } from '../../../agent/src/controllers/runtime/event-recorder.ts';
import { Informer } from '../../../agent/src/controllers/runtime/informer.ts';
import { InProcessClusterClient } from '../../../agent/src/controllers/runtime/store-client.ts';
import { WorkQueue } from '../../../agent/src/controllers/runtime/work-queue.ts';
import { seededRandom } from '../../../agent/src/controllers/shared/names.ts';
import { ObjectStore } from '../../../agent/src/store/index.ts';
import { fresh, replicaSet } from './fixtures.ts';
import { TestCluster } from './harness.ts';

const tick = () => new Promise((r) => setImmediate(r));

describe('work queue', () => {
  it('holds a key once, re-queues a key added while in hand, and backs off per key exponentially', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, baseDelayMs: 10, maxDelayMs: 50 });
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
    const k = await q.get();
    expect(k).toBe('a');
    q.add('a');
    expect(q.length).toBe(1);
    q.done('a');
    expect(q.length).toBe(2);
    await q.get();
    await q.get();
    q.done('b');
    q.done('a');
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t0 = clock.now();
      q.addRateLimited('a');
      while (q.length === 0) clock.advance(1);
      delays.push(clock.now() - t0);
      await q.get();
      q.done('a');
    }
    expect(delays).toEqual([10, 20, 40, 50]);
    q.forget('a');
    expect(q.failuresOf('a')).toBe(0);
  });

  it('shutting down releases waiting workers and cancels timers', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const waiting = q.get();
    q.addAfter('x', 1_000);
    q.shutDown();
    expect(await waiting).toBeUndefined();
    expect(clock.pending).toBe(0);
  });
});

describe('informer', () => {
  it('resumes its watch from the last revision after a disconnect, missing nothing', async () => {
    const clock = new FakeClock();
    const store = new ObjectStore();
    const client = new InProcessClusterClient(store, { clock });
    await client.create(
      { group: '', resource: 'namespaces' },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
    );
    const inf = new Informer(client, REPLICASETS, { clock, retryMs: 100 });
    const seen: string[] = [];
    inf.onChange((t, o) => seen.push(`${t} ${o.metadata.name}`));
    const ac = new AbortController();
    void inf.run(ac.signal);
    await inf.synced;
    await client.create(REPLICASETS, fresh(replicaSet('a', 1)));
    client.disconnectWatches();
    // While no watch is open, changes happen; the resumed watch replays them.
    await client.create(REPLICASETS, fresh(replicaSet('b', 1)));
    await client.delete(REPLICASETS, 'default', 'a');
    for (let i = 0; i < 5; i++) await tick();
    expect(seen).toEqual(['ADDED a', 'ADDED b', 'DELETED a']);
    expect(inf.list().map((o) => o.metadata.name)).toEqual(['b']);
    expect(inf.lastRevision).toBe(store.revision);
    ac.abort();
    for (let i = 0; i < 3; i++) await tick();
    expect(client.openWatches).toBe(0);
  });

  it('re-lists after 410 Expired and reports objects deleted while it was away', async () => {
    const clock = new FakeClock();
    const store = new ObjectStore({ historyCapacity: 2 });
    const inner = new InProcessClusterClient(store, { clock });
    await inner.create(
      { group: '', resource: 'namespaces' },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
    );
    await inner.create(REPLICASETS, fresh(replicaSet('a', 1)));
    // A client whose watch calls wait at a gate: the informer is away while the history rolls on.
    let open: () => void = () => {};
    let gate: Promise<void> = Promise.resolve();
    const client: ClusterClient = Object.assign(Object.create(inner) as ClusterClient, {
      watch: async (...args: Parameters<ClusterClient['watch']>) => {
        await gate;
        return inner.watch(...args);
      },
    });
    const inf = new Informer(client, REPLICASETS, { clock });
    const seen: string[] = [];
    inf.onChange((t, o) => seen.push(`${t} ${o.metadata.name}`));
    const ac = new AbortController();
    void inf.run(ac.signal);
    await inf.synced;
    for (let i = 0; i < 3; i++) await tick();
    gate = new Promise((r) => {
      open = r;
    });
    inner.disconnectWatches();
    for (let i = 0; i < 3; i++) await tick();
    await inner.delete(REPLICASETS, 'default', 'a');
    for (const n of ['b', 'c', 'd']) await inner.create(REPLICASETS, fresh(replicaSet(n, 1)));
    expect(seen).toEqual(['ADDED a']);
    open();
    for (let i = 0; i < 10; i++) await tick();
    expect(seen).toEqual(['ADDED a', 'ADDED b', 'ADDED c', 'ADDED d', 'DELETED a']);
    expect(
      inf
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['b', 'c', 'd']);
    ac.abort();
  });
});

describe('events recorder', () => {
  it('counts repeats of one event and rate-limits a flood per object', async () => {
    const clock = new FakeClock();
    const store = new ObjectStore();
    const client = new InProcessClusterClient(store, { clock });
    await client.create(
      { group: '', resource: 'namespaces' },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
    );
    const rec = new EventRecorder(client, { clock, component: 'test', burst: 5, refillMs: 60_000 });
    const involvedObject = { kind: 'Pod', namespace: 'default', name: 'p', uid: 'u1' };
    for (let i = 0; i < 3; i++) {
      clock.advance(1_000);
      await rec.record({
        involvedObject,
        type: 'Warning',
        reason: 'BackOff',
        message: 'Back-off restarting',
      });
    }
    const list = store.list(EVENTS);
    if ('items' in list === false) throw new Error('list failed');
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({
      count: 3,
      reason: 'BackOff',
      firstTimestamp: '2026-01-01T00:00:01Z',
      lastTimestamp: '2026-01-01T00:00:03Z',
    });
    for (let i = 0; i < 10; i++)
      await rec.record({ involvedObject, type: 'Normal', reason: 'Spam', message: `m${i}` });
    expect(rec.dropped).toBe(8);
    clock.advance(60_000);
    await rec.record({ involvedObject, type: 'Normal', reason: 'Spam', message: 'later' });
    expect(rec.dropped).toBe(8);
  });
});

describe('leadership loss', () => {
  it('every controller stops at once when the signal aborts: no more writes', async () => {
    const c = new TestCluster({ nodes: ['n1'] });
    await c.start([replicaSetController({ random: seededRandom(4) })]);
    await c.create(REPLICASETS, { ...replicaSet('web', 2), metadata: { name: 'web', namespace: 'default' } });
    await c.settle();
    expect(c.list<Pod>(PODS)).toHaveLength(2);
    c.stop();
    for (let i = 0; i < 3; i++) await tick();
    expect(c.client.openWatches).toBe(0);
    const rev = c.store.revision;
    await c.modify<ReplicaSet>(REPLICASETS, 'default', 'web', (x) => {
      x.spec.replicas = 5;
    });
    for (let i = 0; i < 10; i++) await tick();
    c.clock.advance(60_000);
    for (let i = 0; i < 10; i++) await tick();
    expect(c.store.revision).toBe(rev + 1);
    expect(c.list<Pod>(PODS)).toHaveLength(2);
  });

  it('a write that fails is retried with back-off until it succeeds', async () => {
    const c = new TestCluster({ nodes: ['n1'], kubelet: false });
    let failures = 2;
    (
      c.client as unknown as { options: { beforeWrite?: (cmd: { op: string; resource: string }) => unknown } }
    ).options.beforeWrite = (cmd) => {
      if (cmd.op === 'create' && cmd.resource === 'pods' && failures > 0) {
        failures--;
        return expired('simulated failure');
      }
      return undefined;
    };
    await c.start([replicaSetController({ random: seededRandom(4) })]);
    await c.create(REPLICASETS, { ...replicaSet('web', 1), metadata: { name: 'web', namespace: 'default' } });
    await c.settle();
    expect(c.list<Pod>(PODS)).toHaveLength(0);
    await c.advance(1_000, 5);
    expect(c.list<Pod>(PODS)).toHaveLength(1);
    expect(c.errors.length).toBe(2);
    c.stop();
  });
});
