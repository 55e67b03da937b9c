/** The backend contract for writes: create, update, status, preconditions, deletion, races. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../agent/src/api/index.ts';
import {
  CONFIGMAPS,
  clone,
  createCmd,
  DEPLOYMENTS,
  del,
  deployment,
  failure,
  NAMESPACES,
  PODS,
  pod,
  rv,
  type WithBackend,
} from './backend-fixtures.ts';

export function describeWriteContract(name: string, withBackend: WithBackend): void {
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
}
