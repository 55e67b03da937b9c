/**
 * The ObjectBackend contract: what the API server may rely on from any store, written once and
 * run against the embedded store (LocalBackend) and the external etcd (EtcdBackend). Revisions
 * are compared, never spelled out: etcd's start at its own counter and are shared by every test
 * on the same etcd. Watches are asynchronous on etcd, so tests wait for the events they expect and
 * prove that nothing else arrived by writing a sentinel the watch must see last.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../agent/src/api/index.ts';
import type { ObjectBackend, WatchEvent } from '../../../agent/src/apiserver/backend.ts';
import type { CreateCommand, DeleteCommand } from '../../../agent/src/store/index.ts';

export interface BackendFixture {
  readonly backend: ObjectBackend;
  /** Makes every revision up to now unavailable to watches and continue tokens (etcd: compaction). */
  forgetHistory(): Promise<void>;
  close(): Promise<void>;
}

export const PODS = { group: '', resource: 'pods' } as const;
export const DEPLOYMENTS = { group: 'apps', resource: 'deployments' } as const;
export const NAMESPACES = { group: '', resource: 'namespaces' } as const;
const CONFIGMAPS = { group: '', resource: 'configmaps' } as const;

let uids = 0;
export function createCmd(ref: { group: string; resource: string }, object: unknown): CreateCommand {
  uids++;
  return {
    op: 'create',
    ...ref,
    object: object as KubeObject,
    uid: `uid-${uids}`,
    creationTimestamp: '2026-01-01T00:00:00Z',
  };
}

export function pod(
  name: string,
  namespace = 'default',
  labels?: Record<string, string>,
  nodeName?: string,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...(nodeName ? { nodeName } : {}) },
  } as KubeObject;
}

function deployment(name: string, replicas = 1): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
    },
  } as KubeObject;
}

const del = (
  ref: { group: string; resource: string },
  namespace: string,
  name: string,
  extra: Partial<DeleteCommand> = {},
): DeleteCommand => ({
  op: 'delete',
  ...ref,
  namespace,
  name,
  deletionTimestamp: '2026-01-01T00:01:00Z',
  ...extra,
});

async function failure(p: Promise<unknown>): Promise<{ reason: string; code: number; message: string }> {
  try {
    await p;
  } catch (e) {
    const status = (e as { status?: { reason: string; code: number; message: string } }).status;
    if (status === undefined) throw e;
    return status;
  }
  throw new Error('expected the backend to refuse');
}

const rv = (o: KubeObject): number => Number(o.metadata.resourceVersion);
const clone = <T>(x: T): T => structuredClone(x);
const names = (items: readonly KubeObject[]) =>
  items.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`);

async function eventually(check: () => boolean, what: () => string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Recorder {
  readonly events: WatchEvent[];
  seen(): string[];
  /** Waits until `n` events arrived (then lets a little more time pass for stray ones). */
  until(n: number): Promise<string[]>;
  stop(): void;
}

async function record(
  backend: ObjectBackend,
  options: Parameters<ObjectBackend['watch']>[1],
  ref: { group: string; resource: string } = PODS,
): Promise<Recorder> {
  const events: WatchEvent[] = [];
  const stream = await backend.watch(ref, options, (e) => events.push(e));
  const seen = () => events.map((e) => `${e.type}:${(e.object as KubeObject).metadata?.name ?? ''}`);
  return {
    events,
    seen,
    until: async (n) => {
      await eventually(
        () => events.length >= n,
        () => `${n} events, have ${JSON.stringify(seen())}`,
      );
      return seen();
    },
    stop: () => stream.stop(),
  };
}

/** Registers the contract's tests; `setup` gives each test a fresh, empty backend with namespaces default, a, b, a-b. */
export function describeBackendContract(name: string, setup: () => Promise<BackendFixture>): void {
  const withBackend = (body: (b: ObjectBackend, f: BackendFixture) => Promise<void>) => async () => {
    const f = await setup();
    try {
      for (const ns of ['default', 'a', 'b', 'a-b'])
        await f.backend.create(createCmd(NAMESPACES, { metadata: { name: ns } }));
      await body(f.backend, f);
    } finally {
      await f.close();
    }
  };

  describe(`${name}: writes`, () => {
    it(
      'create stamps identity and a growing resourceVersion; get returns it; duplicates are AlreadyExists',
      withBackend(async (b) => {
        const a = await b.create(createCmd(PODS, pod('a')));
        const c = await b.create(createCmd(PODS, pod('c')));
        expect(a.metadata).toMatchObject({
          uid: expect.stringMatching(/^uid-/),
          creationTimestamp: '2026-01-01T00:00:00Z',
          generation: 1,
          namespace: 'default',
        });
        expect(a).toMatchObject({ apiVersion: 'v1', kind: 'Pod' });
        expect(rv(c)).toBeGreaterThan(rv(a));
        expect(await b.get({ ...PODS, namespace: 'default', name: 'a' })).toEqual(a);
        expect(await failure(b.create(createCmd(PODS, pod('a'))))).toMatchObject({
          reason: 'AlreadyExists',
          code: 409,
          message: 'pods "a" already exists',
        });
        const withRv = pod('x');
        withRv.metadata.resourceVersion = '5';
        expect(await failure(b.create(createCmd(PODS, withRv)))).toMatchObject({ reason: 'BadRequest' });
        expect(await failure(b.get({ ...PODS, namespace: 'default', name: 'nope' }))).toMatchObject({
          reason: 'NotFound',
          code: 404,
          message: 'pods "nope" not found',
        });
        expect(
          await failure(b.create(createCmd({ group: 'nope', resource: 'widgets' }, pod('w')))),
        ).toMatchObject({ reason: 'NotFound', message: 'the server could not find the requested resource' });
      }),
    );

    it(
      'refuses a create into a missing or terminating namespace',
      withBackend(async (b) => {
        expect(await failure(b.create(createCmd(PODS, pod('p', 'ghost'))))).toMatchObject({
          reason: 'NotFound',
          message: 'namespaces "ghost" not found',
        });
        await b.create(
          createCmd(NAMESPACES, { metadata: { name: 'old' }, spec: { finalizers: ['kubernetes'] } }),
        );
        const marked = await b.delete(del(NAMESPACES, '', 'old'));
        expect(marked.removed).toBe(false);
        expect(marked.object.metadata.deletionTimestamp).toBe('2026-01-01T00:01:00Z');
        expect(await failure(b.create(createCmd(PODS, pod('p', 'old'))))).toMatchObject({
          reason: 'Forbidden',
          code: 403,
        });
      }),
    );

    it(
      'gives the second writer of the same version a Conflict and checks uid preconditions',
      withBackend(async (b) => {
        const d = await b.create(createCmd(DEPLOYMENTS, deployment('web')));
        const first = clone(d);
        (first as unknown as { spec: { replicas: number } }).spec.replicas = 2;
        const second = clone(d);
        (second as unknown as { spec: { replicas: number } }).spec.replicas = 3;
        const won = await b.update({ op: 'update', ...DEPLOYMENTS, object: first });
        expect(rv(won)).toBeGreaterThan(rv(d));
        expect(await failure(b.update({ op: 'update', ...DEPLOYMENTS, object: second }))).toMatchObject({
          reason: 'Conflict',
          code: 409,
        });
        const other = clone(won);
        expect(
          await failure(
            b.update({ op: 'update', ...DEPLOYMENTS, object: other, preconditions: { uid: 'someone-else' } }),
          ),
        ).toMatchObject({ reason: 'Conflict' });
        expect(
          await failure(b.update({ op: 'update', ...DEPLOYMENTS, object: deployment('ghost') })),
        ).toMatchObject({ reason: 'NotFound' });
      }),
    );

    it(
      'bumps generation on spec changes only, keeps status on update, and a no-op takes no revision',
      withBackend(async (b) => {
        let d = await b.create(createCmd(DEPLOYMENTS, deployment('web')));
        const labelled = clone(d);
        labelled.metadata.labels = { x: '1' };
        d = await b.update({ op: 'update', ...DEPLOYMENTS, object: labelled });
        expect(d.metadata.generation).toBe(1);
        const withStatus = { ...clone(d), status: { replicas: 1 } };
        d = await b.update({ op: 'updateStatus', ...DEPLOYMENTS, object: withStatus });
        expect(d).toMatchObject({ status: { replicas: 1 }, metadata: { generation: 1 } });
        const scaled = clone(d) as KubeObject & { spec: { replicas: number }; status?: unknown };
        scaled.spec.replicas = 5;
        scaled.status = { replicas: 99 }; // ignored: the main resource keeps the stored status
        d = await b.update({ op: 'update', ...DEPLOYMENTS, object: scaled });
        expect(d).toMatchObject({ status: { replicas: 1 }, metadata: { generation: 2 } });
        const same = await b.update({ op: 'update', ...DEPLOYMENTS, object: clone(d) });
        expect(same.metadata.resourceVersion).toBe(d.metadata.resourceVersion);
        expect(await b.get({ ...DEPLOYMENTS, namespace: 'default', name: 'web' })).toEqual(d);
      }),
    );

    it(
      'deletes at once without finalizers, checks delete preconditions, and gives the deletion a new revision',
      withBackend(async (b) => {
        const p = await b.create(createCmd(PODS, pod('a')));
        expect(
          await failure(b.delete(del(PODS, 'default', 'a', { preconditions: { resourceVersion: '1' } }))),
        ).toMatchObject({ reason: 'Conflict' });
        const gone = await b.delete(del(PODS, 'default', 'a'));
        expect(gone.removed).toBe(true);
        expect(rv(gone.object)).toBeGreaterThan(rv(p));
        expect(await failure(b.get({ ...PODS, namespace: 'default', name: 'a' }))).toMatchObject({
          reason: 'NotFound',
        });
        expect(await failure(b.delete(del(PODS, 'default', 'a')))).toMatchObject({ reason: 'NotFound' });
      }),
    );

    it(
      'keeps an object with finalizers marked for deletion until an update removes them; no new finalizers meanwhile',
      withBackend(async (b) => {
        const cm = await b.create(
          createCmd(CONFIGMAPS, {
            metadata: { name: 'c', namespace: 'default', finalizers: ['x/y'] },
            data: { k: 'v' },
          }),
        );
        const marked = await b.delete(del(CONFIGMAPS, 'default', 'c'));
        expect(marked.removed).toBe(false);
        expect(marked.object.metadata).toMatchObject({
          deletionTimestamp: '2026-01-01T00:01:00Z',
          deletionGracePeriodSeconds: 0,
        });
        expect(rv(marked.object)).toBeGreaterThan(rv(cm));
        const again = await b.delete(del(CONFIGMAPS, 'default', 'c'));
        expect(again.object.metadata.resourceVersion).toBe(marked.object.metadata.resourceVersion);
        const more = clone(marked.object);
        more.metadata.finalizers = ['x/y', 'new/one'];
        expect(await failure(b.update({ op: 'update', ...CONFIGMAPS, object: more }))).toMatchObject({
          reason: 'Invalid',
          code: 422,
        });
        const cleared = clone(marked.object);
        cleared.metadata.finalizers = [];
        await b.update({ op: 'update', ...CONFIGMAPS, object: cleared });
        expect(await failure(b.get({ ...CONFIGMAPS, namespace: 'default', name: 'c' }))).toMatchObject({
          reason: 'NotFound',
        });
      }),
    );

    it(
      'deletes a pod gracefully: marked with its grace period, removed by a delete with grace 0',
      withBackend(async (b) => {
        await b.create(createCmd(PODS, pod('g')));
        const marked = await b.delete(del(PODS, 'default', 'g', { gracePeriodSeconds: 30 }));
        expect(marked).toMatchObject({
          removed: false,
          object: { metadata: { deletionGracePeriodSeconds: 30, generation: 2 } },
        });
        const gone = await b.delete(del(PODS, 'default', 'g', { gracePeriodSeconds: 0 }));
        expect(gone.removed).toBe(true);
      }),
    );

    it(
      'lets concurrent unconditional updates all land and concurrent conditional ones conflict but one',
      withBackend(async (b) => {
        const base = await b.create(createCmd(PODS, pod('hot')));
        const writers = 8;
        const unconditional = await Promise.all(
          Array.from({ length: writers }, (_, i) => {
            const o = clone(base);
            delete o.metadata.resourceVersion;
            o.metadata.labels = { writer: String(i) };
            return b.update({ op: 'update', ...PODS, object: o });
          }),
        );
        expect(new Set(unconditional.map(rv)).size).toBe(writers);
        const last = unconditional.reduce((x, y) => (rv(y) > rv(x) ? y : x));
        const now = await b.get({ ...PODS, namespace: 'default', name: 'hot' });
        expect(now.metadata.labels).toEqual(last.metadata.labels);
        const results = await Promise.allSettled(
          Array.from({ length: writers }, (_, i) => {
            const o = clone(now);
            o.metadata.annotations = { by: String(i) };
            return b.update({ op: 'update', ...PODS, object: o });
          }),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results)
          if (r.status === 'rejected')
            expect((r.reason as { status: { reason: string } }).status.reason).toBe('Conflict');
      }),
    );
  });

  async function seed(b: ObjectBackend): Promise<number> {
    await b.create(createCmd(PODS, pod('web-1', 'a', { app: 'web', tier: 'fe' }, 'n1')));
    await b.create(createCmd(PODS, pod('web-2', 'a', { app: 'web', tier: 'be' }, 'n2')));
    await b.create(createCmd(PODS, pod('db', 'a', { app: 'db' }, 'n1')));
    await b.create(createCmd(PODS, pod('web-1', 'b', { app: 'web' })));
    return rv(await b.create(createCmd(PODS, pod('lone', 'a-b'))));
  }

  describe(`${name}: lists`, () => {
    it(
      'lists in key order, by namespace, with label and field selectors, at the latest revision',
      withBackend(async (b) => {
        const last = await seed(b);
        const all = await b.list(PODS, {});
        expect(names(all.items)).toEqual(['a-b/lone', 'a/db', 'a/web-1', 'a/web-2', 'b/web-1']);
        expect(all).toMatchObject({ kind: 'PodList', apiVersion: 'v1' });
        expect(Number(all.metadata.resourceVersion)).toBeGreaterThanOrEqual(last);
        expect(names((await b.list(PODS, { namespace: 'a' })).items)).toEqual(['a/db', 'a/web-1', 'a/web-2']);
        expect(names((await b.list(PODS, { labelSelector: 'app=web,tier!=be' })).items)).toEqual([
          'a/web-1',
          'b/web-1',
        ]);
        expect(names((await b.list(PODS, { labelSelector: 'app in (db,web),!tier' })).items)).toEqual([
          'a/db',
          'b/web-1',
        ]);
        expect(names((await b.list(PODS, { fieldSelector: 'spec.nodeName=n1' })).items)).toEqual([
          'a/db',
          'a/web-1',
        ]);
        expect(names((await b.list(NAMESPACES, {})).items)).toEqual(['/a', '/a-b', '/b', '/default']);
        expect(await failure(b.list(PODS, { fieldSelector: 'spec.image=x' }))).toMatchObject({
          reason: 'BadRequest',
          message: 'field label not supported: spec.image',
        });
        expect(await failure(b.list(PODS, { labelSelector: 'a in (' }))).toMatchObject({
          reason: 'BadRequest',
        });
      }),
    );

    it(
      'pages with limit/continue, counts what remains, and keeps later pages at the first page revision',
      withBackend(async (b) => {
        await seed(b);
        const p1 = await b.list(PODS, { limit: 2 });
        expect(names(p1.items)).toEqual(['a-b/lone', 'a/db']);
        expect(p1.metadata.remainingItemCount).toBe(3);
        // Between pages: delete one not yet seen, add one sorting into the next page, change another.
        await b.delete(del(PODS, 'a', 'web-1'));
        await b.create(createCmd(PODS, pod('web-15', 'a')));
        const w2 = await b.get({ ...PODS, namespace: 'a', name: 'web-2' });
        w2.metadata.labels = { changed: 'yes' };
        await b.update({ op: 'update', ...PODS, object: w2 });
        const p2 = await b.list(PODS, { limit: 2, continue: p1.metadata.continue });
        expect(p2.metadata.resourceVersion).toBe(p1.metadata.resourceVersion);
        expect(names(p2.items)).toEqual(['a/web-1', 'a/web-2']);
        expect(p2.items[1]?.metadata.labels).toEqual({ app: 'web', tier: 'be' });
        const p3 = await b.list(PODS, { limit: 2, continue: p2.metadata.continue });
        expect(names(p3.items)).toEqual(['b/web-1']);
        expect(p3.metadata.continue).toBeUndefined();
        expect(names((await b.list(PODS, {})).items)).toEqual([
          'a-b/lone',
          'a/db',
          'a/web-15',
          'a/web-2',
          'b/web-1',
        ]);
        // With a selector, pages hold only matches and still end.
        const s1 = await b.list(PODS, { limit: 1, labelSelector: 'app' });
        expect(names(s1.items)).toEqual(['a/db']);
        const s2 = await b.list(PODS, { limit: 5, labelSelector: 'app', continue: s1.metadata.continue });
        expect(names(s2.items)).toEqual(['b/web-1']);
      }),
    );

    it(
      'reads an older revision exactly with resourceVersionMatch=Exact',
      withBackend(async (b) => {
        await b.create(createCmd(PODS, pod('one')));
        const before = await b.list(PODS, {});
        await b.create(createCmd(PODS, pod('two')));
        const then = await b.list(PODS, {
          resourceVersion: before.metadata.resourceVersion,
          resourceVersionMatch: 'Exact',
        });
        expect(names(then.items)).toEqual(['default/one']);
        expect(then.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      }),
    );

    it(
      'answers 410 Expired for a continue token whose revision is gone, 400 for garbage',
      withBackend(async (b, f) => {
        await seed(b);
        const p1 = await b.list(PODS, { limit: 1 });
        await b.create(createCmd(PODS, pod('later')));
        await f.forgetHistory();
        expect(await failure(b.list(PODS, { continue: p1.metadata.continue }))).toMatchObject({
          reason: 'Expired',
          code: 410,
        });
        expect(await failure(b.list(PODS, { continue: 'garbage!' }))).toMatchObject({ reason: 'BadRequest' });
      }),
    );
  });

  describe(`${name}: watches`, () => {
    it(
      'replays a finalized deletion with its final state, for a namespace (spec.finalizers) too',
      withBackend(async (b) => {
        const ns = await b.create(
          createCmd(NAMESPACES, { metadata: { name: 'gone' }, spec: { finalizers: ['kubernetes'] } }),
        );
        const marked = await b.delete(del(NAMESPACES, '', 'gone'));
        const cleared = clone(marked.object) as KubeObject & { spec: { finalizers: string[] } };
        cleared.spec.finalizers = [];
        const last = await b.update({ op: 'update', ...NAMESPACES, object: cleared });
        // A sentinel after the deletion, so the replay is known to be complete.
        await b.create(createCmd(NAMESPACES, { metadata: { name: 'zz-sentinel' } }));
        const w = await record(
          b,
          { resourceVersion: ns.metadata.resourceVersion, allowBookmarks: false },
          NAMESPACES,
        );
        expect(await w.until(3)).toEqual(['MODIFIED:gone', 'DELETED:gone', 'ADDED:zz-sentinel']);
        const final = w.events[1]?.object as KubeObject & { spec: { finalizers?: string[] } };
        expect(final.spec.finalizers).toEqual([]);
        expect(final.metadata.resourceVersion).toBe(last.metadata.resourceVersion);
        w.stop();
      }),
    );

    it(
      'replays every change after a revision in order, then goes live; stop ends delivery',
      withBackend(async (b) => {
        const a = await b.create(createCmd(PODS, pod('a')));
        await b.create(createCmd(PODS, pod('b')));
        await b.delete(del(PODS, 'default', 'a'));
        const w = await record(b, { resourceVersion: a.metadata.resourceVersion, allowBookmarks: false });
        expect(await w.until(2)).toEqual(['ADDED:b', 'DELETED:a']);
        await b.create(createCmd(PODS, pod('c')));
        expect(await w.until(3)).toEqual(['ADDED:b', 'DELETED:a', 'ADDED:c']);
        const revisions = w.events.map((e) => e.revision);
        expect([...revisions].sort((x, y) => x - y)).toEqual(revisions);
        for (const e of w.events)
          expect(String(e.revision)).toBe((e.object as KubeObject).metadata.resourceVersion);
        w.stop();
        await b.create(createCmd(PODS, pod('d')));
        const sentinel = await record(b, { resourceVersion: '0', allowBookmarks: false });
        await sentinel.until(3);
        expect(w.events).toHaveLength(3);
      }),
    );

    it(
      'starts with ADDED for the current objects when no resourceVersion (or "0") is given',
      withBackend(async (b) => {
        await b.create(createCmd(PODS, pod('a')));
        await b.create(createCmd(PODS, pod('b', 'b')));
        for (const resourceVersion of [undefined, '0']) {
          const w = await record(b, {
            ...(resourceVersion === undefined ? {} : { resourceVersion }),
            allowBookmarks: false,
          });
          expect(await w.until(2)).toEqual(['ADDED:b', 'ADDED:a']);
          w.stop();
        }
        const scoped = await record(b, { namespace: 'default', allowBookmarks: false });
        expect(await scoped.until(1)).toEqual(['ADDED:a']);
        await b.create(createCmd(PODS, pod('other', 'b')));
        await b.create(createCmd(PODS, pod('sentinel', 'default')));
        expect(await scoped.until(2)).toEqual(['ADDED:a', 'ADDED:sentinel']);
        scoped.stop();
      }),
    );

    it(
      'answers 410 Expired with "too old resource version" for a compacted revision; 400 for a bad one',
      withBackend(async (b, f) => {
        const a = await b.create(createCmd(PODS, pod('a')));
        await b.create(createCmd(PODS, pod('b')));
        await f.forgetHistory();
        expect(
          await failure(
            b.watch(PODS, { resourceVersion: a.metadata.resourceVersion, allowBookmarks: false }, () => {}),
          ),
        ).toMatchObject({
          reason: 'Expired',
          code: 410,
          message: expect.stringMatching(/^too old resource version: \d+/),
        });
        expect(
          await failure(b.watch(PODS, { resourceVersion: 'x1', allowBookmarks: false }, () => {})),
        ).toMatchObject({ reason: 'BadRequest' });
      }),
    );

    it(
      'turns selector transitions into ADDED and DELETED; DELETED carries the last matching state',
      withBackend(async (b) => {
        const p = await b.create(createCmd(PODS, pod('a', 'default', { app: 'web' })));
        const w = await record(b, {
          labelSelector: 'app=web',
          resourceVersion: p.metadata.resourceVersion,
          allowBookmarks: false,
        });
        const off = clone(p);
        off.metadata.labels = { app: 'other' };
        const offStored = await b.update({ op: 'update', ...PODS, object: off });
        const on = clone(offStored);
        on.metadata.labels = { app: 'web', v: '2' };
        const onStored = await b.update({ op: 'update', ...PODS, object: on });
        const again = clone(onStored);
        again.metadata.labels = { app: 'web', v: '3' };
        await b.update({ op: 'update', ...PODS, object: again });
        expect(await w.until(3)).toEqual(['DELETED:a', 'ADDED:a', 'MODIFIED:a']);
        const gone = w.events[0]?.object as KubeObject;
        expect(gone.metadata.labels).toEqual({ app: 'web' });
        expect(gone.metadata.resourceVersion).toBe(offStored.metadata.resourceVersion);
        w.stop();
      }),
    );

    it(
      'delivers by field selector (a kubelet watching its node) and shows a finalized deletion',
      withBackend(async (b) => {
        const n1 = await record(b, { fieldSelector: 'spec.nodeName=n1', allowBookmarks: false });
        const unbound = await b.create(createCmd(PODS, pod('x')));
        const bound = clone(unbound) as KubeObject & { spec: { nodeName?: string } };
        bound.spec.nodeName = 'n1';
        await b.update({ op: 'update', ...PODS, object: bound });
        await b.create(createCmd(PODS, pod('y', 'default', undefined, 'n2')));
        const cm = await record(b, { allowBookmarks: false }, CONFIGMAPS);
        await b.create(
          createCmd(CONFIGMAPS, { metadata: { name: 'f', namespace: 'a', finalizers: ['x/y'] } }),
        );
        const marked = await b.delete(del(CONFIGMAPS, 'a', 'f'));
        const cleared = clone(marked.object);
        cleared.metadata.finalizers = [];
        cleared.metadata.labels = { finalized: 'yes' };
        const last = await b.update({ op: 'update', ...CONFIGMAPS, object: cleared });
        expect(await cm.until(3)).toEqual(['ADDED:f', 'MODIFIED:f', 'DELETED:f']);
        expect(cm.events[2]?.revision).toBe(rv(last));
        // The DELETED event carries the final state: what the removing update wrote, finalizers gone.
        const final = cm.events[2]?.object as KubeObject;
        expect(final.metadata.finalizers ?? []).toEqual([]);
        expect(final.metadata).toMatchObject({
          labels: { finalized: 'yes' },
          deletionTimestamp: '2026-01-01T00:01:00Z',
          resourceVersion: last.metadata.resourceVersion,
        });
        await b.create(createCmd(PODS, pod('z', 'b', undefined, 'n1')));
        expect(await n1.until(2)).toEqual(['ADDED:x', 'ADDED:z']);
        n1.stop();
        cm.stop();
      }),
    );
  });
}
