/** The backend contract for watches: replay, live, initial events, 410, selector transitions. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../agent/src/api/index.ts';
import {
  CONFIGMAPS,
  clone,
  createCmd,
  del,
  failure,
  NAMESPACES,
  PODS,
  pod,
  record,
  rv,
  type WithBackend,
} from './backend-fixtures.ts';

export function describeWatchContract(name: string, withBackend: WithBackend): void {
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
