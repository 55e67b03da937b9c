import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../agent/src/api/index.ts';
import { decodeCommand, encodeCommand, ObjectStore } from '../../../agent/src/store/index.ts';
import {
  clone,
  createCmd,
  DEPLOYMENTS,
  fail,
  NAMESPACES,
  ok,
  PODS,
  pod,
  withNamespaces,
} from './fixtures.ts';

function deployment(name: string, replicas = 1) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
    },
  };
}

describe('revisions and create', () => {
  it('gives every change the next revision and stamps it as resourceVersion', () => {
    const store = new ObjectStore();
    withNamespaces(store, 'default');
    const a = ok(store, createCmd(PODS, pod('a')));
    const b = ok(store, createCmd(PODS, pod('b')));
    expect(Number(a.metadata.resourceVersion)).toBe(2);
    expect(Number(b.metadata.resourceVersion)).toBe(3);
    expect(store.revision).toBe(3);
    expect(a.metadata.uid).toMatch(/^uid-/);
    expect(a.metadata.creationTimestamp).toBe('2026-01-01T00:00:00Z');
    expect(a.metadata.generation).toBe(1);
  });

  it('rejects a duplicate with AlreadyExists in Kubernetes wording and does not move the revision', () => {
    const store = new ObjectStore();
    withNamespaces(store, 'default');
    ok(store, createCmd(PODS, pod('a')));
    const rev = store.revision;
    const err = fail(store, createCmd(PODS, pod('a')));
    expect(err).toMatchObject({ reason: 'AlreadyExists', code: 409, message: 'pods "a" already exists' });
    expect(store.revision).toBe(rev);
  });

  it('refuses a create into a missing or terminating namespace', () => {
    const store = new ObjectStore();
    expect(fail(store, createCmd(PODS, pod('a', 'ghost')))).toMatchObject({
      reason: 'NotFound',
      message: 'namespaces "ghost" not found',
    });
    ok(
      store,
      createCmd(NAMESPACES, { metadata: { name: 'old' }, spec: { finalizers: ['kubernetes'] } } as never),
    );
    ok(store, { op: 'delete', ...NAMESPACES, namespace: '', name: 'old', deletionTimestamp: 't' });
    expect(fail(store, createCmd(PODS, pod('a', 'old')))).toMatchObject({ reason: 'Forbidden', code: 403 });
  });

  it('rejects resourceVersion on create and unknown resources', () => {
    const store = new ObjectStore({ requireNamespace: false });
    const p = pod('a');
    p.metadata.resourceVersion = '5';
    expect(fail(store, createCmd(PODS, p))).toMatchObject({ reason: 'BadRequest' });
    expect(fail(store, createCmd({ group: 'nope', resource: 'widgets' }, pod('a')))).toMatchObject({
      reason: 'NotFound',
      message: 'the server could not find the requested resource',
    });
  });

  it('stores frozen copies, so a caller cannot change stored state by mutating its object', () => {
    const store = new ObjectStore({ requireNamespace: false });
    const p = pod('a');
    const stored = ok(store, createCmd(PODS, p));
    p.metadata.labels = { changed: 'yes' };
    expect(stored.metadata.labels).toBeUndefined();
    expect(Object.isFrozen(stored.metadata)).toBe(true);
  });
});

describe('update preconditions', () => {
  it('gives the second of two writers of the same version a Conflict, never a lost update', () => {
    const store = new ObjectStore({ requireNamespace: false });
    const base = ok(store, createCmd(DEPLOYMENTS, deployment('web')));
    const first = clone(base) as ReturnType<typeof deployment>;
    const second = clone(base) as ReturnType<typeof deployment>;
    first.spec.replicas = 3;
    second.spec.replicas = 5;
    ok(store, { op: 'update', ...DEPLOYMENTS, object: first });
    const err = fail(store, { op: 'update', ...DEPLOYMENTS, object: second });
    expect(err.reason).toBe('Conflict');
    expect(err.code).toBe(409);
    expect(err.message).toBe(
      'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    );
    const now = store.get(DEPLOYMENTS, 'default', 'web');
    expect((now as ReturnType<typeof deployment>).spec.replicas).toBe(3);
  });

  it('checks uid and resourceVersion preconditions', () => {
    const store = new ObjectStore({ requireNamespace: false });
    const p = ok(store, createCmd(PODS, pod('a')));
    const upd = clone(p);
    upd.metadata.labels = { x: 'y' };
    expect(
      fail(store, { op: 'update', ...PODS, object: upd, preconditions: { uid: 'other' } }).message,
    ).toContain('Precondition failed: UID in precondition: other');
    delete upd.metadata.resourceVersion;
    expect(
      fail(store, { op: 'update', ...PODS, object: upd, preconditions: { resourceVersion: '999' } }).reason,
    ).toBe('Conflict');
    // Without any version the update is unconditional, as Kubernetes allows for these kinds.
    expect(ok(store, { op: 'update', ...PODS, object: upd }).metadata.labels).toEqual({ x: 'y' });
  });

  it('answers NotFound for an update of a missing object', () => {
    const store = new ObjectStore({ requireNamespace: false });
    expect(fail(store, { op: 'update', ...PODS, object: pod('nope') })).toMatchObject({
      reason: 'NotFound',
      message: 'pods "nope" not found',
      code: 404,
    });
  });
});

describe('generation and status', () => {
  it('bumps generation on spec changes only, not on metadata or status', () => {
    const store = new ObjectStore({ requireNamespace: false });
    let d = ok(store, createCmd(DEPLOYMENTS, deployment('web')));
    expect(d.metadata.generation).toBe(1);
    const labelled = clone(d);
    labelled.metadata.labels = { tier: 'fe' };
    d = ok(store, { op: 'update', ...DEPLOYMENTS, object: labelled });
    expect(d.metadata.generation).toBe(1);
    const withStatus = { ...clone(d), status: { observedGeneration: 1, replicas: 1 } };
    d = ok(store, { op: 'updateStatus', ...DEPLOYMENTS, object: withStatus });
    expect(d.metadata.generation).toBe(1);
    expect((d as { status?: unknown }).status).toEqual({ observedGeneration: 1, replicas: 1 });
    const scaled = clone(d) as ReturnType<typeof deployment>;
    scaled.spec.replicas = 4;
    d = ok(store, { op: 'update', ...DEPLOYMENTS, object: scaled });
    expect(d.metadata.generation).toBe(2);
  });

  it('keeps status on a main update and spec on a status update', () => {
    const store = new ObjectStore({ requireNamespace: false });
    const d = ok(store, createCmd(DEPLOYMENTS, deployment('web')));
    ok(store, {
      op: 'updateStatus',
      ...DEPLOYMENTS,
      object: { ...clone(d), status: { replicas: 7 } } as KubeObject,
    });
    const cur = clone(store.get(DEPLOYMENTS, 'default', 'web')) as ReturnType<typeof deployment> & {
      status?: unknown;
    };
    cur.status = { replicas: 0 };
    cur.spec.replicas = 9;
    const after = ok(store, { op: 'update', ...DEPLOYMENTS, object: cur }) as typeof cur;
    expect(after.status).toEqual({ replicas: 7 });
    const s = clone(after);
    s.spec.replicas = 1;
    s.status = { replicas: 9 };
    const st = ok(store, { op: 'updateStatus', ...DEPLOYMENTS, object: s }) as typeof cur;
    expect(st.spec.replicas).toBe(9);
    expect(st.status).toEqual({ replicas: 9 });
  });

  it('treats an update that changes nothing as a no-op: same resourceVersion, no event', () => {
    const store = new ObjectStore({ requireNamespace: false });
    const d = ok(store, createCmd(DEPLOYMENTS, deployment('web')));
    const out = store.apply({ op: 'update', ...DEPLOYMENTS, object: clone(d) });
    expect(out.events).toHaveLength(0);
    expect(out.results[0]).toMatchObject({
      ok: true,
      object: { metadata: { resourceVersion: d.metadata.resourceVersion } },
    });
  });
});

describe('deletion, finalizers and grace', () => {
  it('removes an object without finalizers at once and emits DELETED with a new revision', () => {
    const store = new ObjectStore({ requireNamespace: false });
    ok(store, createCmd(PODS, pod('a')));
    const out = store.apply({
      op: 'delete',
      ...PODS,
      namespace: 'default',
      name: 'a',
      deletionTimestamp: 't',
    });
    expect(out.events.map((e) => e.type)).toEqual(['DELETED']);
    expect(out.events[0]?.object.metadata.resourceVersion).toBe(String(out.revision));
    expect(store.get(PODS, 'default', 'a')).toMatchObject({ status: { reason: 'NotFound' } });
  });

  it('marks an object with finalizers and removes it when the last finalizer goes', () => {
    const store = new ObjectStore({ requireNamespace: false });
    const p = pod('a');
    p.metadata.finalizers = ['example.com/x', 'example.com/y'];
    ok(store, createCmd(PODS, p));
    const marked = ok(store, {
      op: 'delete',
      ...PODS,
      namespace: 'default',
      name: 'a',
      deletionTimestamp: '2026-01-01T00:01:00Z',
    });
    expect(marked.metadata.deletionTimestamp).toBe('2026-01-01T00:01:00Z');
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(marked.metadata.generation).toBe(2);
    const adding = clone(marked);
    adding.metadata.finalizers = ['example.com/x', 'example.com/y', 'example.com/z'];
    expect(fail(store, { op: 'update', ...PODS, object: adding })).toMatchObject({ reason: 'Invalid' });
    const one = clone(marked);
    one.metadata.finalizers = ['example.com/y'];
    const still = ok(store, { op: 'update', ...PODS, object: one });
    expect(still.metadata.deletionTimestamp).toBe('2026-01-01T00:01:00Z');
    const none = clone(still);
    none.metadata.finalizers = [];
    const out = store.apply({ op: 'update', ...PODS, object: none });
    expect(out.results[0]).toMatchObject({ ok: true, removed: true });
    expect(out.events.map((e) => e.type)).toEqual(['DELETED']);
    expect(store.count(PODS)).toBe(0);
  });

  it('deletes gracefully: marked with a grace period, gone on the final delete with grace 0', () => {
    const store = new ObjectStore({ requireNamespace: false });
    ok(store, createCmd(PODS, pod('a')));
    const del = { op: 'delete', ...PODS, namespace: 'default', name: 'a' } as const;
    const marked = ok(store, { ...del, deletionTimestamp: 't+30', gracePeriodSeconds: 30 });
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(30);
    // A repeat with the same grace changes nothing; a shorter one shortens it.
    expect(store.apply({ ...del, deletionTimestamp: 't+30', gracePeriodSeconds: 30 }).events).toHaveLength(0);
    expect(
      ok(store, { ...del, deletionTimestamp: 't+5', gracePeriodSeconds: 5 }).metadata.deletionTimestamp,
    ).toBe('t+5');
    const out = store.apply({ ...del, deletionTimestamp: 't', gracePeriodSeconds: 0 });
    expect(out.events.map((e) => e.type)).toEqual(['DELETED']);
  });

  it('checks delete preconditions with Kubernetes wording', () => {
    const store = new ObjectStore({ requireNamespace: false });
    const p = ok(store, createCmd(PODS, pod('a')));
    const err = fail(store, {
      op: 'delete',
      ...PODS,
      namespace: 'default',
      name: 'a',
      deletionTimestamp: 't',
      preconditions: { resourceVersion: `1${p.metadata.resourceVersion}` },
    });
    expect(err.message).toBe(
      `Operation cannot be fulfilled on pods "a": Precondition failed: ResourceVersion in precondition: 1${p.metadata.resourceVersion}, ResourceVersion in object meta: ${p.metadata.resourceVersion}`,
    );
  });

  it('keeps a namespace Terminating until its spec finalizers are removed', () => {
    const store = new ObjectStore();
    ok(
      store,
      createCmd(NAMESPACES, { metadata: { name: 'team' }, spec: { finalizers: ['kubernetes'] } } as never),
    );
    const ns = ok(store, {
      op: 'delete',
      ...NAMESPACES,
      namespace: '',
      name: 'team',
      deletionTimestamp: 't',
    });
    expect((ns as { status?: { phase?: string } }).status?.phase).toBe('Terminating');
    const finalized = clone(ns) as { spec?: { finalizers?: string[] } } & typeof ns;
    finalized.spec = { finalizers: [] };
    expect(store.apply({ op: 'update', ...NAMESPACES, object: finalized }).events[0]?.type).toBe('DELETED');
  });
});

describe('transactions', () => {
  it('applies all commands or none', () => {
    const store = new ObjectStore({ requireNamespace: false });
    ok(store, createCmd(PODS, pod('exists')));
    const rev = store.revision;
    const failed = store.apply({
      op: 'txn',
      commands: [createCmd(PODS, pod('new')), createCmd(PODS, pod('exists'))],
    });
    expect(failed.results.map((r) => r.ok)).toEqual([false, false]);
    expect(failed.results[1]).toMatchObject({ ok: false, status: { reason: 'AlreadyExists' } });
    expect(store.revision).toBe(rev);
    expect(store.count(PODS)).toBe(1);
    const done = store.apply({
      op: 'txn',
      commands: [
        createCmd(PODS, pod('n1')),
        createCmd(PODS, pod('n2')),
        { op: 'delete', ...PODS, namespace: 'default', name: 'exists', deletionTimestamp: 't' },
      ],
    });
    expect(done.results.every((r) => r.ok)).toBe(true);
    expect(done.events.map((e) => [e.type, e.revision])).toEqual([
      ['ADDED', rev + 1],
      ['ADDED', rev + 2],
      ['DELETED', rev + 3],
    ]);
  });

  it('lets a later command in a txn see an earlier one', () => {
    const store = new ObjectStore();
    const done = store.apply({
      op: 'txn',
      commands: [createCmd(NAMESPACES, { metadata: { name: 'fresh' } }), createCmd(PODS, pod('p', 'fresh'))],
    });
    expect(done.results.every((r) => r.ok)).toBe(true);
  });
});

describe('command encoding', () => {
  it('round-trips through bytes and applies the same on two replicas', () => {
    const cmds = [createCmd(NAMESPACES, { metadata: { name: 'default' } }), createCmd(PODS, pod('a'))];
    const r1 = new ObjectStore();
    const r2 = new ObjectStore();
    for (const c of cmds) {
      const bytes = encodeCommand(c);
      expect(decodeCommand(bytes)).toEqual(c);
      r1.applyEntry(bytes);
      r2.applyEntry(bytes);
    }
    expect(r1.get(PODS, 'default', 'a')).toEqual(r2.get(PODS, 'default', 'a'));
  });

  it('answers BadRequest for a malformed entry and changes nothing', () => {
    const store = new ObjectStore();
    const out = store.applyEntry(new TextEncoder().encode('{"op":"create"}'));
    expect(out.results[0]).toMatchObject({ ok: false, status: { reason: 'BadRequest' } });
    expect(store.applyEntry(new Uint8Array([0xff, 0xfe])).results[0]).toMatchObject({ ok: false });
    expect(store.revision).toBe(0);
  });
});
