/** The backend contract for lists: selectors, key order, paging at one revision, Exact reads. */
import { describe, expect, it } from 'vitest';
import type { ObjectBackend } from '../../../agent/src/apiserver/backend.ts';
import {
  createCmd,
  del,
  failure,
  NAMESPACES,
  names,
  PODS,
  pod,
  rv,
  type WithBackend,
} from './backend-fixtures.ts';

async function seed(b: ObjectBackend): Promise<number> {
  await b.create(createCmd(PODS, pod('web-1', 'a', { app: 'web', tier: 'fe' }, 'n1')));
  await b.create(createCmd(PODS, pod('web-2', 'a', { app: 'web', tier: 'be' }, 'n2')));
  await b.create(createCmd(PODS, pod('db', 'a', { app: 'db' }, 'n1')));
  await b.create(createCmd(PODS, pod('web-1', 'b', { app: 'web' })));
  return rv(await b.create(createCmd(PODS, pod('lone', 'a-b'))));
}

export function describeListContract(name: string, withBackend: WithBackend): void {
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
}
