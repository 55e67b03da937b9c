import { describe, expect, it } from 'vitest';
import type { KubeList, KubeObject } from '../../../agent/src/api/index.ts';
import {
  encodeCommand,
  ObjectStore,
  restoreStore,
  snapshotStore,
  type WatchEvent,
} from '../../../agent/src/store/index.ts';
import { clone, createCmd, ok, PODS, pod } from './fixtures.ts';

function list(store: ObjectStore, opts: Parameters<ObjectStore['list']>[1]): KubeList {
  const l = store.list(PODS, opts);
  if ('status' in l) throw new Error(l.message);
  return l;
}
const names = (l: KubeList) => l.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

function seeded(): ObjectStore {
  const store = new ObjectStore({ requireNamespace: false });
  ok(store, createCmd(PODS, pod('web-1', 'a', { app: 'web', tier: 'fe' }, 'n1')));
  ok(store, createCmd(PODS, pod('web-2', 'a', { app: 'web', tier: 'be' }, 'n2')));
  ok(store, createCmd(PODS, pod('db', 'a', { app: 'db' }, 'n1')));
  ok(store, createCmd(PODS, pod('web-1', 'b', { app: 'web' })));
  ok(store, createCmd(PODS, pod('lone', 'a-b')));
  return store;
}

describe('list with selectors', () => {
  it('lists in key order, by namespace and across namespaces, with the store revision', () => {
    const store = seeded();
    const all = list(store, {});
    // Kubernetes' etcd key order: "a-b/..." sorts before "a/..." ('-' < '/').
    expect(names(all)).toEqual(['a-b/lone', 'a/db', 'a/web-1', 'a/web-2', 'b/web-1']);
    expect(all.metadata.resourceVersion).toBe(String(store.revision));
    expect(all.kind).toBe('PodList');
    expect(names(list(store, { namespace: 'a' }))).toEqual(['a/db', 'a/web-1', 'a/web-2']);
  });

  it('filters by equality, set-based and field selectors', () => {
    const store = seeded();
    expect(names(list(store, { labelSelector: 'app=web,tier!=be' }))).toEqual(['a/web-1', 'b/web-1']);
    expect(names(list(store, { labelSelector: 'app in (db,web),!tier' }))).toEqual(['a/db', 'b/web-1']);
    expect(names(list(store, { labelSelector: 'tier' }))).toEqual(['a/web-1', 'a/web-2']);
    expect(names(list(store, { fieldSelector: 'spec.nodeName=n1' }))).toEqual(['a/db', 'a/web-1']);
    expect(names(list(store, { fieldSelector: 'metadata.name==web-1,metadata.namespace!=a' }))).toEqual([
      'b/web-1',
    ]);
    expect(store.list(PODS, { fieldSelector: 'spec.image=x' })).toMatchObject({
      status: { reason: 'BadRequest', message: 'field label not supported: spec.image' },
    });
    expect(store.list(PODS, { labelSelector: 'a in (' })).toMatchObject({ status: { reason: 'BadRequest' } });
  });
});

describe('paging', () => {
  it('pages with limit/continue and counts what remains', () => {
    const store = seeded();
    const p1 = list(store, { limit: 2 });
    expect(names(p1)).toEqual(['a-b/lone', 'a/db']);
    expect(p1.metadata.remainingItemCount).toBe(3);
    const p2 = list(store, { limit: 2, continue: p1.metadata.continue });
    expect(names(p2)).toEqual(['a/web-1', 'a/web-2']);
    const p3 = list(store, { limit: 2, continue: p2.metadata.continue });
    expect(names(p3)).toEqual(['b/web-1']);
    expect(p3.metadata.continue).toBeUndefined();
  });

  it('keeps pages consistent at the first page revision across writes in between', () => {
    const store = seeded();
    const p1 = list(store, { limit: 2 });
    const rev = p1.metadata.resourceVersion;
    // Between pages: delete one not yet seen, add one that would sort into the next page,
    // and modify another.
    store.apply({ op: 'delete', ...PODS, namespace: 'a', name: 'web-1', deletionTimestamp: 't' });
    ok(store, createCmd(PODS, pod('web-15', 'a')));
    const w2 = clone(store.get(PODS, 'a', 'web-2') as KubeObject);
    w2.metadata.labels = { changed: 'yes' };
    ok(store, { op: 'update', ...PODS, object: w2 });
    const rest = list(store, { continue: p1.metadata.continue });
    expect(rest.metadata.resourceVersion).toBe(rev);
    expect(names(rest)).toEqual(['a/web-1', 'a/web-2', 'b/web-1']);
    expect(rest.items[1]?.metadata.labels).toEqual({ app: 'web', tier: 'be' });
    // A fresh list sees the new state.
    expect(names(list(store, {}))).toEqual(['a-b/lone', 'a/db', 'a/web-15', 'a/web-2', 'b/web-1']);
  });

  it('answers 410 Expired when the history no longer reaches the token revision', () => {
    const store = new ObjectStore({ requireNamespace: false, historyCapacity: 3 });
    for (const n of ['p1', 'p2', 'p3']) ok(store, createCmd(PODS, pod(n)));
    const p1 = list(store, { limit: 1 });
    for (const n of ['q1', 'q2', 'q3', 'q4']) ok(store, createCmd(PODS, pod(n)));
    expect(store.list(PODS, { continue: p1.metadata.continue })).toMatchObject({
      status: { reason: 'Expired', code: 410 },
    });
    expect(store.list(PODS, { continue: 'garbage!' })).toMatchObject({ status: { reason: 'BadRequest' } });
  });
});

function collect(store: ObjectStore, opts: Omit<Parameters<ObjectStore['watch']>[0], 'group' | 'resource'>) {
  const events: WatchEvent[] = [];
  const h = store.watch({ ...PODS, ...opts }, (e) => events.push(e));
  if ('status' in h) throw new Error(h.message);
  return {
    events,
    handle: h,
    seen: () => events.map((e) => `${e.type}:${(e.object as KubeObject).metadata.name ?? ''}@${e.revision}`),
  };
}

describe('watch', () => {
  it('replays every change after a revision, then goes live, in revision order', () => {
    const store = new ObjectStore({ requireNamespace: false });
    ok(store, createCmd(PODS, pod('a')));
    const from = store.revision;
    ok(store, createCmd(PODS, pod('b')));
    store.apply({ op: 'delete', ...PODS, namespace: 'default', name: 'a', deletionTimestamp: 't' });
    const w = collect(store, { resourceVersion: String(from) });
    expect(w.seen()).toEqual(['ADDED:b@2', 'DELETED:a@3']);
    ok(store, createCmd(PODS, pod('c')));
    expect(w.seen()).toEqual(['ADDED:b@2', 'DELETED:a@3', 'ADDED:c@4']);
    w.handle.stop();
    ok(store, createCmd(PODS, pod('d')));
    expect(w.events).toHaveLength(3);
    expect(store.watcherCount).toBe(0);
  });

  it('starts from now with synthetic ADDED events for resourceVersion "0" or none', () => {
    const store = new ObjectStore({ requireNamespace: false });
    ok(store, createCmd(PODS, pod('a')));
    ok(store, createCmd(PODS, pod('b')));
    expect(collect(store, { resourceVersion: '0' }).seen()).toEqual(['ADDED:a@1', 'ADDED:b@2']);
    expect(collect(store, {}).seen()).toEqual(['ADDED:a@1', 'ADDED:b@2']);
    expect(collect(store, { sendInitialEvents: false }).seen()).toEqual([]);
    const withEnd = collect(store, { sendInitialEvents: true, allowWatchBookmarks: true });
    expect(withEnd.events.at(-1)?.type).toBe('BOOKMARK');
    expect((withEnd.events.at(-1)!.object as KubeObject).metadata.annotations).toEqual({
      'k8s.io/initial-events-end': 'true',
    });
  });

  it('answers 410 Expired with "too old resource version" for a compacted revision', () => {
    const store = new ObjectStore({ requireNamespace: false, historyCapacity: 2 });
    for (const n of ['a', 'b', 'c', 'd']) ok(store, createCmd(PODS, pod(n)));
    const h = store.watch({ ...PODS, resourceVersion: '1' }, () => {});
    expect(h).toMatchObject({
      status: { reason: 'Expired', code: 410, message: 'too old resource version: 1 (2)' },
    });
    // The oldest still-covered revision works.
    expect(collect(store, { resourceVersion: '2' }).seen()).toEqual(['ADDED:c@3', 'ADDED:d@4']);
  });

  it('turns selector transitions into ADDED and DELETED for a filtered watcher', () => {
    const store = new ObjectStore({ requireNamespace: false });
    const p = ok(store, createCmd(PODS, pod('a', 'default', { app: 'web' })));
    const w = collect(store, { labelSelector: 'app=web', resourceVersion: store.revision.toString() });
    const off = clone(p);
    off.metadata.labels = { app: 'other' };
    const offStored = ok(store, { op: 'update', ...PODS, object: off });
    const on = clone(offStored);
    on.metadata.labels = { app: 'web', v: '2' };
    const onStored = ok(store, { op: 'update', ...PODS, object: on });
    const again = clone(onStored);
    again.metadata.labels = { app: 'web', v: '3' };
    ok(store, { op: 'update', ...PODS, object: again });
    expect(w.seen()).toEqual(['DELETED:a@2', 'ADDED:a@3', 'MODIFIED:a@4']);
    // The DELETED carries the last matching state under the new revision.
    expect((w.events[0]!.object as KubeObject).metadata.labels).toEqual({ app: 'web' });
    expect((w.events[0]!.object as KubeObject).metadata.resourceVersion).toBe('2');
  });

  it('delivers to field-indexed watchers (kubelet by node, kubectl by name) and nobody else', () => {
    const store = new ObjectStore({ requireNamespace: false });
    const n1 = collect(store, { fieldSelector: 'spec.nodeName=n1' });
    const byName = collect(store, { fieldSelector: 'metadata.name=x', namespace: 'default' });
    const other = collect(store, { namespace: 'elsewhere' });
    const unbound = ok(store, createCmd(PODS, pod('x')));
    const bound = clone(unbound) as KubeObject & { spec: { nodeName?: string } };
    bound.spec.nodeName = 'n1';
    ok(store, { op: 'update', ...PODS, object: bound });
    ok(store, createCmd(PODS, pod('y', 'default', undefined, 'n2')));
    expect(n1.seen()).toEqual(['ADDED:x@2']);
    expect(byName.seen()).toEqual(['ADDED:x@1', 'MODIFIED:x@2']);
    expect(other.seen()).toEqual([]);
  });

  it('stops a watcher whose sink throws without disturbing apply or other watchers', async () => {
    const store = new ObjectStore({ requireNamespace: false });
    const good = collect(store, {});
    const thrown: unknown[] = [];
    const onError = (e: unknown) => thrown.push(e);
    process.on('uncaughtException', onError);
    try {
      store.watch({ ...PODS }, () => {
        throw new Error('bad sink');
      });
      ok(store, createCmd(PODS, pod('a')));
      ok(store, createCmd(PODS, pod('b')));
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(good.seen()).toEqual(['ADDED:a@1', 'ADDED:b@2']);
    expect(store.watcherCount).toBe(1);
    expect(thrown).toHaveLength(1);
  });
});

describe('snapshot and restore', () => {
  it('restores an equal store: same objects, revision, history and bytes', () => {
    const store = seeded();
    store.apply({ op: 'delete', ...PODS, namespace: 'a', name: 'db', deletionTimestamp: 't' });
    const bytes = snapshotStore(store);
    const copy = restoreStore(bytes, { requireNamespace: false });
    if ('status' in copy) throw new Error(copy.message);
    expect(copy.revision).toBe(store.revision);
    expect(list(copy, {})).toEqual(list(store, {}));
    expect(Buffer.from(snapshotStore(copy)).equals(Buffer.from(bytes))).toBe(true);
    // Watches resume on the restored replica from before the snapshot.
    const events: WatchEvent[] = [];
    copy.watch({ ...PODS, resourceVersion: '4' }, (e) => events.push(e));
    expect(events.map((e) => `${e.type}:${(e.object as KubeObject).metadata.name}`)).toEqual([
      'ADDED:lone',
      'DELETED:db',
    ]);
    // And the restored store keeps applying from the same revision.
    expect(ok(copy, createCmd(PODS, pod('new'))).metadata.resourceVersion).toBe(String(store.revision + 1));
  });

  it('gives the same bytes for the same log applied on two replicas, different bytes otherwise', () => {
    const log = [createCmd(PODS, pod('a')), createCmd(PODS, pod('b', 'x', { k: 'v' }))].map(encodeCommand);
    const r1 = new ObjectStore({ requireNamespace: false });
    const r2 = new ObjectStore({ requireNamespace: false });
    for (const e of log) r1.applyEntry(e);
    for (const e of log) r2.applyEntry(e);
    expect(Buffer.from(snapshotStore(r1)).equals(Buffer.from(snapshotStore(r2)))).toBe(true);
    r2.apply({ op: 'delete', ...PODS, namespace: 'x', name: 'b', deletionTimestamp: 't' });
    expect(Buffer.from(snapshotStore(r1)).equals(Buffer.from(snapshotStore(r2)))).toBe(false);
  });

  it('rejects bytes that are not a snapshot', () => {
    expect(restoreStore(new TextEncoder().encode('{"format":"x"}'))).toMatchObject({
      status: { reason: 'BadRequest' },
    });
  });
});
