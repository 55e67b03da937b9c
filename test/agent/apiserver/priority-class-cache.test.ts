import { describe, expect, it } from 'vitest';
import { isStatusError, type StatusError } from '../../../agent/src/api/errors.ts';
import type { KubeList, KubeObject } from '../../../agent/src/api/types/meta.ts';
import type { Pod } from '../../../agent/src/api/types/pod.ts';
import type { ObjectBackend, WatchOptions, WatchStream } from '../../../agent/src/apiserver/backend.ts';
import { LocalBackend } from '../../../agent/src/apiserver/local-backend.ts';
import { priorityClassCacheOf } from '../../../agent/src/apiserver/priority-admission.ts';
import { PriorityClassCache } from '../../../agent/src/apiserver/priority-class-cache.ts';
import { BackendClusterClient } from '../../../agent/src/control/backend-cluster-client.ts';
import type { ObjectKey, ResourceRef } from '../../../agent/src/store/keys.ts';
import type { ListOptions } from '../../../agent/src/store/list.ts';
import { ObjectStore } from '../../../agent/src/store/object-store.ts';
import type { WatchEvent } from '../../../agent/src/store/watch-hub.ts';

const PODS = { group: '', resource: 'pods' };
const CLASSES = { group: 'scheduling.k8s.io', resource: 'priorityclasses' };

/**
 * A LocalBackend that counts reads (each one a ReadIndex round on the replicated store) and can
 * hold back watch events, as a follower's replica or etcd delivers them a moment later.
 */
class CountingBackend implements ObjectBackend {
  readonly inner = new LocalBackend(new ObjectStore());
  readonly reads: string[] = [];
  holdEvents = false;
  readonly held: (() => void)[] = [];
  readonly sinks: ((event: WatchEvent) => void)[] = [];

  get(key: ObjectKey): Promise<KubeObject> {
    this.reads.push(`get ${key.resource}/${key.name}`);
    return this.inner.get(key);
  }
  list(ref: ResourceRef, options: ListOptions): Promise<KubeList> {
    this.reads.push(`list ${ref.resource}`);
    return this.inner.list(ref, options);
  }
  create: ObjectBackend['create'] = (c) => this.inner.create(c);
  update: ObjectBackend['update'] = (c) => this.inner.update(c);
  delete: ObjectBackend['delete'] = (c) => this.inner.delete(c);
  watch(ref: ResourceRef, options: WatchOptions, sink: (event: WatchEvent) => void): Promise<WatchStream> {
    this.reads.push(`watch ${ref.resource}`);
    const outer = (event: WatchEvent) => {
      if (this.holdEvents) this.held.push(() => sink(event));
      else sink(event);
    };
    this.sinks.push(outer);
    return this.inner.watch(ref, options, outer);
  }
  release(): void {
    for (const deliver of this.held.splice(0)) deliver();
  }
}

const priorityClass = (name: string, value: number, extra: object = {}): KubeObject =>
  ({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name },
    value,
    ...extra,
  }) as KubeObject;

const podNamed = (name: string, priorityClassName?: string): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      containers: [{ name: 'main', image: 'busybox' }],
      ...(priorityClassName !== undefined ? { priorityClassName } : {}),
    },
  }) as KubeObject;

/** A backend with the default namespace (pods need one), its reads not counted yet. */
async function newBackend(): Promise<CountingBackend> {
  const backend = new CountingBackend();
  await backend.create({
    op: 'create',
    group: '',
    resource: 'namespaces',
    object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } } as KubeObject,
    uid: 'ns',
    creationTimestamp: '2026-01-01T00:00:00Z',
  });
  return backend;
}

async function createPod(client: BackendClusterClient, name: string, className?: string): Promise<Pod> {
  const created = await client.create(PODS, podNamed(name, className));
  if (isStatusError(created)) throw created;
  return created as Pod;
}

describe('Priority admission reads PriorityClasses from a watched copy', () => {
  it('a burst of pod creates costs one list and one watch, no read per pod', async () => {
    const backend = await newBackend();
    const client = new BackendClusterClient(backend);
    expect(isStatusError(await client.create(CLASSES, priorityClass('high', 1000)))).toBe(false);
    backend.reads.length = 0;
    const pods = await Promise.all(
      Array.from({ length: 20 }, (_, i) => createPod(client, `p${i}`, i % 2 === 0 ? 'high' : undefined)),
    );
    expect(backend.reads).toEqual(['list priorityclasses', 'watch priorityclasses']);
    expect(pods.map((p) => p.spec.priority)).toEqual(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 1000 : 0)),
    );
  });

  it('follows creates and deletes of classes through the watch, with no read per pod', async () => {
    const backend = await newBackend();
    const client = new BackendClusterClient(backend);
    expect((await createPod(client, 'before')).spec.priority).toBe(0);
    await client.create(CLASSES, priorityClass('default', 7, { globalDefault: true }));
    backend.reads.length = 0;
    const p = await createPod(client, 'after');
    expect([p.spec.priorityClassName, p.spec.priority]).toEqual(['default', 7]);
    await client.delete(CLASSES, '', 'default');
    backend.reads.length = 0;
    expect((await createPod(client, 'gone')).spec.priority).toBe(0);
    expect(backend.reads).toEqual([]);
  });

  it('a class the copy has not seen yet is read directly, once per such pod', async () => {
    const backend = await newBackend();
    const client = new BackendClusterClient(backend);
    await createPod(client, 'warm');
    backend.holdEvents = true;
    await client.create(CLASSES, priorityClass('fresh', 42));
    backend.reads.length = 0;
    const p = await createPod(client, 'names-fresh', 'fresh');
    expect([p.spec.priorityClassName, p.spec.priority]).toEqual(['fresh', 42]);
    expect(backend.reads).toEqual(['get priorityclasses/fresh']);
    // A pod without a class does not read: its default comes from the copy.
    await createPod(client, 'plain');
    expect(backend.reads).toEqual(['get priorityclasses/fresh']);
    backend.release();
    await createPod(client, 'names-fresh-again', 'fresh');
    expect(backend.reads).toEqual(['get priorityclasses/fresh']);
  });

  it('a class that exists nowhere is refused with Kubernetes’ Forbidden', async () => {
    const backend = await newBackend();
    const client = new BackendClusterClient(backend);
    const refused = (await client.create(PODS, podNamed('p', 'missing'))) as StatusError;
    expect(isStatusError(refused)).toBe(true);
    expect(refused.status.code).toBe(403);
    expect(refused.message).toContain('no PriorityClass with name missing was found');
  });

  it('after a watch ERROR the next use lists again and watches from there', async () => {
    const backend = await newBackend();
    const cache = new PriorityClassCache(backend);
    await backend.create({
      op: 'create',
      ...CLASSES,
      object: priorityClass('a', 1),
      uid: 'u1',
      creationTimestamp: '2026-01-01T00:00:00Z',
    });
    expect((await cache.classes()).map((c) => c.metadata.name)).toEqual(['a']);
    backend.sinks[0]?.({
      type: 'ERROR',
      object: { kind: 'Status', apiVersion: 'v1', code: 410 } as never,
      revision: 0,
    });
    expect(cache.synced).toBe(false);
    await backend.create({
      op: 'create',
      ...CLASSES,
      object: priorityClass('b', 2),
      uid: 'u2',
      creationTimestamp: '2026-01-01T00:00:00Z',
    });
    // The ended watch's later events do not count; the re-list brings b.
    expect((await cache.classes()).map((c) => c.metadata.name).sort()).toEqual(['a', 'b']);
    expect(backend.reads).toEqual([
      'list priorityclasses',
      'watch priorityclasses',
      'list priorityclasses',
      'watch priorityclasses',
    ]);
    expect(cache.synced).toBe(true);
    cache.stop();
  });

  it('keeps one copy per backend, whoever admits through it', () => {
    const backend = new CountingBackend();
    expect(priorityClassCacheOf(backend)).toBe(priorityClassCacheOf(backend));
    expect(priorityClassCacheOf(backend)).not.toBe(priorityClassCacheOf(new CountingBackend()));
  });
});
