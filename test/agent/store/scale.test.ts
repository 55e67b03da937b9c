import { describe, expect, it } from 'vitest';
import { ObjectStore } from '../../../agent/src/store/index.ts';
import { createCmd, ok, PODS, pod } from './fixtures.ts';

describe('at tens of thousands of objects', () => {
  it('lists a namespace, pages, and fans a change out only to the watchers that select it', () => {
    const store = new ObjectStore({ requireNamespace: false });
    const t0 = performance.now();
    for (let i = 0; i < 20_000; i++)
      ok(store, createCmd(PODS, pod(`p-${i}`, `ns-${i % 100}`, { app: `a${i % 7}` }, `node-${i % 1000}`)));
    const tCreate = performance.now() - t0;

    const t1 = performance.now();
    const ns = store.list(PODS, { namespace: 'ns-42' });
    const tList = performance.now() - t1;
    expect('items' in ns && ns.items.length).toBe(200);

    let seen = 0;
    let pages = 0;
    let cont: string | undefined;
    do {
      const page = store.list(PODS, { limit: 500, continue: cont, labelSelector: 'app=a3' });
      if ('status' in page) throw new Error(page.message);
      seen += page.items.length;
      cont = page.metadata.continue;
      pages++;
    } while (cont !== undefined);
    expect(seen).toBe(Math.ceil((20_000 - 3) / 7));

    // One watcher per node, as kubelets watch; plus a namespace watcher.
    const delivered = new Map<string, number>();
    for (let n = 0; n < 1000; n++)
      store.watch({ ...PODS, fieldSelector: `spec.nodeName=node-${n}`, sendInitialEvents: false }, () =>
        delivered.set(`node-${n}`, (delivered.get(`node-${n}`) ?? 0) + 1),
      );
    const t2 = performance.now();
    for (let i = 0; i < 1000; i++) ok(store, createCmd(PODS, pod(`q-${i}`, 'ns-1', {}, 'node-7')));
    const tFanout = performance.now() - t2;
    expect([...delivered.entries()]).toEqual([['node-7', 1000]]);

    console.log(
      `20k creates ${tCreate.toFixed(0)} ms; namespace list ${tList.toFixed(2)} ms; ${pages} filtered pages; 1k writes with 1k node watchers ${tFanout.toFixed(0)} ms`,
    );
  });
});
